package node

import (
	"bufio"
	"net"
	"runtime"
	"sync"
	"time"
)

// outFrame is a frame to write; call is the request it carries (nil for
// replies and cancels).
type outFrame struct {
	data []byte
	call *pendingCall
}

// writerBatches bounds the batches one sender writes for others before a
// goroutine of its own takes over, so a caller is not kept writing under
// a steady load.
const writerBatches = 4

// frameWriter writes frames to a connection from many goroutines and
// coalesces them: a sender that finds nobody writing writes its frame and
// every frame queued meanwhile, then flushes once; a sender that finds a
// write in progress only queues its frame. An idle connection costs no
// goroutine hand-off, a busy one few write calls.
type frameWriter struct {
	nc net.Conn
	bw *bufio.Writer // used by the one sender that is writing
	// admit reports whether a request frame may still be sent and marks
	// it sent; nil admits everything.
	admit func(*pendingCall) bool
	fail  func(error)

	mu      sync.Mutex
	queue   []outFrame
	spare   []outFrame
	writing bool
	err     error
}

// newFrameWriter writes to nc; fail is called once, with the first write
// error.
func newFrameWriter(nc net.Conn, admit func(*pendingCall) bool, fail func(error)) *frameWriter {
	return &frameWriter{nc: nc, bw: bufio.NewWriterSize(nc, 64<<10), admit: admit, fail: fail}
}

// send queues f and, unless another sender is writing, writes. An error
// means the connection failed (f may or may not have been written; a
// request's admit mark tells).
func (w *frameWriter) send(f outFrame) error {
	w.mu.Lock()
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return err
	}
	w.queue = append(w.queue, f)
	if w.writing {
		w.mu.Unlock()
		return nil
	}
	w.writing = true
	if len(w.queue) == 1 {
		// Let the goroutines ready to send join this write: under load,
		// one write for several frames instead of one each.
		w.mu.Unlock()
		runtime.Gosched()
		w.mu.Lock()
	}
	return w.drain(writerBatches)
}

// drain writes batches of queued frames until the queue is empty, or hands
// the rest to a goroutine after max batches. It is called with mu held and
// writing set, and returns with mu released.
func (w *frameWriter) drain(max int) error {
	for i := 0; ; i++ {
		if len(w.queue) == 0 {
			w.writing = false
			w.mu.Unlock()
			return nil
		}
		if i == max {
			w.mu.Unlock()
			go w.resume()
			return nil
		}
		batch := w.queue
		w.queue = w.spare[:0]
		w.mu.Unlock()
		err := w.write(batch)
		clear(batch)
		w.mu.Lock()
		w.spare = batch[:0]
		if err != nil {
			w.err = err
			w.writing = false
			w.mu.Unlock()
			w.fail(err)
			return err
		}
	}
}

// resume goes on writing for a sender that wrote its share.
func (w *frameWriter) resume() {
	w.mu.Lock()
	_ = w.drain(-1)
}

// write writes a batch of frames and flushes.
func (w *frameWriter) write(batch []outFrame) error {
	_ = w.nc.SetWriteDeadline(time.Now().Add(rpcWriteTimeout))
	for _, f := range batch {
		if f.call != nil && w.admit != nil && !w.admit(f.call) {
			continue // its caller gave up before it was sent
		}
		if _, err := w.bw.Write(f.data); err != nil {
			return err
		}
	}
	return w.bw.Flush()
}
