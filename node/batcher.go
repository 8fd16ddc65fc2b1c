package node

import (
	"sync"

	"github.com/hashicorp/raft"

	"github.com/wharfmq/wharf/fsm"
)

// The batcher coalesces commands proposed concurrently into one raft
// entry. Alone, a command is handed to raft at once by its own goroutine,
// with no hand-off and no wait. Under load, commands queue while
// pipelineDepth entries are between proposal and apply, and the next
// entry takes everything queued (up to maxBatchCommands and
// maxBatchBytes): the batch size follows the load and the speed of the
// disks, with no timer.
//
// Why one entry at a time: every entry costs an fsync on every node
// (two, in bbolt), and on this kind of machine fsyncs cost CPU that
// requests need. Measured with aws-sdk-go-v2 SendMessage on 2 cores, a
// depth of one beat two by 10-35% at 16 and at 64 in flight, and two beat
// no limit by a third (10 commands per entry against 17).
const (
	// pipelineDepth is how many entries may be proposed and not applied.
	pipelineDepth = 1
	// maxBatchBytes keeps entries near raft's suggested size; a larger
	// command is an entry of its own.
	maxBatchBytes = 512 << 10
	// maxBatchCommands bounds how long one apply holds the FSM lock.
	maxBatchCommands = 512
)

// proposal is one command waiting to be proposed.
type proposal struct {
	data []byte
	done chan applied
}

// applied is what became of a proposal.
type applied struct {
	result any
	err    error
}

// batcher queues proposals and hands them to raft.
type batcher struct {
	apply   func(data []byte) raft.ApplyFuture
	metrics *metrics

	mu sync.Mutex
	// proposing is set while a goroutine is proposing: it will look at
	// the queue again before it stops, so a new proposal only queues.
	proposing bool
	queue     []*proposal
	// wake starts the loop goroutine on a queue left by a direct proposer.
	wake chan struct{}
	// slots holds a token per entry proposed and not yet applied.
	slots chan struct{}
	stop  <-chan struct{}
}

func newBatcher(apply func([]byte) raft.ApplyFuture, m *metrics, stop <-chan struct{}) *batcher {
	return &batcher{apply: apply, metrics: m, wake: make(chan struct{}, 1), stop: stop, slots: make(chan struct{}, pipelineDepth)}
}

// submit proposes p; its outcome arrives on p.done.
func (b *batcher) submit(p *proposal) {
	b.mu.Lock()
	b.queue = append(b.queue, p)
	if b.proposing {
		b.mu.Unlock()
		return
	}
	// Nobody is proposing: propose from this goroutine (p, and whatever
	// queued while the entry in flight committed), leave what queues
	// meanwhile to the loop, and wait for the outcome here (no goroutine
	// between the caller and its result).
	b.proposing = true
	b.mu.Unlock()
	b.slots <- struct{}{}
	batch := b.take()
	if batch == nil {
		// The node stopped meanwhile: failQueued answered p.
		<-b.slots
		return
	}
	finish := b.propose(batch)
	b.mu.Lock()
	handOver := len(b.queue) > 0
	if !handOver {
		b.proposing = false
	}
	b.mu.Unlock()
	if handOver {
		b.wake <- struct{}{}
	}
	finish()
}

// run proposes what direct proposers left queued, until stop.
func (b *batcher) run() {
	for {
		select {
		case <-b.stop:
			b.failQueued()
			return
		case <-b.wake:
		}
		for {
			b.slots <- struct{}{}
			batch := b.take()
			if batch == nil {
				<-b.slots
				break
			}
			finish := b.propose(batch)
			go finish()
		}
	}
}

// take removes the next batch from the queue, or clears proposing and
// returns nil when the queue is empty.
func (b *batcher) take() []*proposal {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		b.proposing = false
		return nil
	}
	n, size := 0, 0
	for n < len(b.queue) && n < maxBatchCommands {
		if n > 0 && size+len(b.queue[n].data) > maxBatchBytes {
			break
		}
		size += len(b.queue[n].data)
		n++
	}
	batch := b.queue[:n:n]
	if n == len(b.queue) {
		b.queue = nil
	} else {
		b.queue = b.queue[n:]
	}
	return batch
}

// failQueued answers every queued proposal when the node stops.
func (b *batcher) failQueued() {
	b.mu.Lock()
	q := b.queue
	b.queue = nil
	b.mu.Unlock()
	for _, p := range q {
		p.done <- applied{err: ErrShuttingDown}
	}
}

// propose hands one entry to raft (blocking while raft's leader loop
// writes the previous ones); the returned finish waits for the entry to
// be applied and delivers its results.
func (b *batcher) propose(batch []*proposal) (finish func()) {
	data := batch[0].data
	if len(batch) > 1 {
		cmds := make([][]byte, len(batch))
		for i, p := range batch {
			cmds[i] = p.data
		}
		data = fsm.EncodeBatch(nowMillis(), cmds)
	}
	b.metrics.countEntry(len(batch))
	f := b.apply(data)
	return func() {
		deliver(batch, f)
		<-b.slots
	}
}

// deliver hands each proposal of an entry its result.
func deliver(batch []*proposal, f raft.ApplyFuture) {
	if err := f.Error(); err != nil {
		err = mapRaftError(err)
		for _, p := range batch {
			p.done <- applied{err: err}
		}
		return
	}
	if len(batch) == 1 {
		batch[0].done <- result(f.Response())
		return
	}
	results, _ := f.Response().([]any)
	for i, p := range batch {
		if i < len(results) {
			p.done <- result(results[i])
		} else {
			p.done <- applied{err: ErrIndeterminate}
		}
	}
}

func result(r any) applied {
	if e, ok := r.(*fsm.Error); ok {
		return applied{err: e}
	}
	return applied{result: r}
}
