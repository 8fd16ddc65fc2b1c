package fsm

// watchers are the goroutines waiting for a change of one queue (or of
// the outbox, under outboxKey). Watch callers all wake at the next change;
// receivers wake one per change, in the order they came, so that one sent
// message does not wake every long poll of its queue (each would propose a
// receive, and all but one would come back empty). A receiver that got
// messages, or leaves after it was woken, passes the wake on.
type watchers struct {
	change    chan struct{}
	receivers []*Receiver
}

// Receiver is a long poll waiting for a queue to have a receivable
// message.
type Receiver struct {
	f   *FSM
	key QueueKey
	// C gets a value when the receiver is woken.
	C chan struct{}
}

// Watch returns a channel closed when something may have become
// receivable on the queue (a send, a visibility change, a restore) or the
// queue was deleted.
func (f *FSM) Watch(key QueueKey) <-chan struct{} {
	f.watchMu.Lock()
	defer f.watchMu.Unlock()
	w := f.watchersOf(key)
	if w.change == nil {
		w.change = make(chan struct{})
	}
	return w.change
}

// WaitReceivable registers a receiver on the queue, to be woken (on C)
// when a change may have made a message receivable. Register before
// looking at the queue, so that no change in between is missed; call
// Leave when done waiting.
func (f *FSM) WaitReceivable(key QueueKey) *Receiver {
	r := &Receiver{f: f, key: key, C: make(chan struct{}, 1)}
	f.watchMu.Lock()
	w := f.watchersOf(key)
	w.receivers = append(w.receivers, r)
	f.watchMu.Unlock()
	return r
}

// Leave unregisters r. It reports whether r had been woken (and not
// consumed the wake from C): a receiver that leaves without using a wake
// should pass it on with WakeReceiver.
func (r *Receiver) Leave() (woken bool) {
	f := r.f
	f.watchMu.Lock()
	defer f.watchMu.Unlock()
	if w, ok := f.watch[r.key]; ok {
		for i, x := range w.receivers {
			if x == r {
				w.receivers = append(w.receivers[:i], w.receivers[i+1:]...)
				f.dropIfIdle(r.key, w)
				return false
			}
		}
	}
	select {
	case <-r.C:
		return true
	default:
		return false
	}
}

// WakeReceiver wakes the receiver of the queue that has waited longest,
// if there is one.
func (f *FSM) WakeReceiver(key QueueKey) {
	f.watchMu.Lock()
	if w, ok := f.watch[key]; ok {
		f.wakeOne(key, w)
	}
	f.watchMu.Unlock()
}

func (f *FSM) watchersOf(key QueueKey) *watchers {
	w, ok := f.watch[key]
	if !ok {
		w = &watchers{}
		f.watch[key] = w
	}
	return w
}

// wakeOne wakes the first receiver; f.watchMu is held.
func (f *FSM) wakeOne(key QueueKey, w *watchers) {
	if len(w.receivers) > 0 {
		r := w.receivers[0]
		w.receivers[0] = nil
		w.receivers = w.receivers[1:]
		r.C <- struct{}{}
	}
	f.dropIfIdle(key, w)
}

func (f *FSM) dropIfIdle(key QueueKey, w *watchers) {
	if w.change == nil && len(w.receivers) == 0 {
		delete(f.watch, key)
	}
}

// notify tells the watchers of key that it changed: every Watch caller
// and one receiver.
func (f *FSM) notify(key QueueKey) {
	f.watchMu.Lock()
	if w, ok := f.watch[key]; ok {
		if w.change != nil {
			close(w.change)
			w.change = nil
		}
		f.wakeOne(key, w)
	}
	f.watchMu.Unlock()
}

// notifyAll wakes every watcher and receiver (the state was replaced).
func (f *FSM) notifyAll() {
	f.watchMu.Lock()
	for k, w := range f.watch {
		if w.change != nil {
			close(w.change)
		}
		for _, r := range w.receivers {
			r.C <- struct{}{}
		}
		delete(f.watch, k)
	}
	f.watchMu.Unlock()
}

// WaitingReceivers counts the long polls waiting on the queue.
func (f *FSM) WaitingReceivers(key QueueKey) int {
	f.watchMu.Lock()
	defer f.watchMu.Unlock()
	if w, ok := f.watch[key]; ok {
		return len(w.receivers)
	}
	return 0
}
