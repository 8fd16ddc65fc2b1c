//go:build chaos

package history

import (
	"bufio"
	"encoding/json"
	"os"
	"sort"
	"sync"
	"time"
)

// Clock gives monotonic times since the run began.
type Clock struct{ start time.Time }

// NewClock starts a clock now.
func NewClock() *Clock { return &Clock{start: time.Now()} }

// Now is the time since the clock started (monotonic).
func (c *Clock) Now() time.Duration { return time.Since(c.start) }

// Start is the wall-clock instant the clock started.
func (c *Clock) Start() time.Time { return c.start }

// Recorder collects operations from concurrent workers.
type Recorder struct {
	clock *Clock
	mu    sync.Mutex
	next  int64
	ops   []*Op
}

// NewRecorder makes an empty recorder on clock.
func NewRecorder(clock *Clock) *Recorder { return &Recorder{clock: clock} }

// Clock returns the recorder's clock.
func (r *Recorder) Clock() *Clock { return r.clock }

// Begin starts an operation: it gets an ID and its invoke time. The
// caller fills it in and passes it to End.
func (r *Recorder) Begin(process string, kind Kind, node string) *Op {
	r.mu.Lock()
	r.next++
	id := r.next
	r.mu.Unlock()
	return &Op{ID: id, Process: process, Kind: kind, Node: node, Invoke: r.clock.Now()}
}

// End stamps the completion time and adds the operation to the history.
func (r *Recorder) End(op *Op) {
	op.Complete = r.clock.Now()
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.mu.Unlock()
}

// Ops returns a copy of the history sorted by invoke time.
func (r *Recorder) Ops() []*Op {
	r.mu.Lock()
	out := append([]*Op(nil), r.ops...)
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Invoke < out[j].Invoke })
	return out
}

// WriteJSONL writes ops, one JSON object a line, to path.
func WriteJSONL(path string, ops []*Op) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, op := range ops {
		if err := enc.Encode(op); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadJSONL reads a history written by WriteJSONL.
func ReadJSONL(path string) ([]*Op, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ops []*Op
	dec := json.NewDecoder(bufio.NewReader(f))
	for dec.More() {
		op := &Op{}
		if err := dec.Decode(op); err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, nil
}
