package node

import (
	"github.com/hashicorp/raft"

	"github.com/wharfmq/wharf/fsm"
)

// The batcher coalesces commands proposed concurrently into one raft
// entry: while maxBatchesInFlight entries are waiting for their commit,
// new commands queue up and leave together in the next entry, so under
// load the per-entry costs of raft (encoding, storing, replicating,
// decoding on every node) are paid once for many requests.
const (
	maxBatchesInFlight = 2
	maxBatchCommands   = 256
	maxBatchBytes      = 1 << 20
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

// runBatcher proposes queued commands until the node stops.
func (n *Node) runBatcher() {
	defer n.wg.Done()
	slots := make(chan struct{}, maxBatchesInFlight)
	for {
		var first *proposal
		select {
		case <-n.stop:
			return
		case first = <-n.proposals:
		}
		select {
		case slots <- struct{}{}:
		case <-n.stop:
			first.done <- applied{err: ErrShuttingDown}
			return
		}
		batch := []*proposal{first}
		size := len(first.data)
	fill:
		for len(batch) < maxBatchCommands && size < maxBatchBytes {
			select {
			case p := <-n.proposals:
				batch = append(batch, p)
				size += len(p.data)
			default:
				break fill
			}
		}
		data := first.data
		if len(batch) > 1 {
			cmds := make([][]byte, len(batch))
			for i, p := range batch {
				cmds[i] = p.data
			}
			var err error
			if data, err = fsm.Encode(nowMillis(), fsm.Batch{Commands: cmds}); err != nil {
				for _, p := range batch {
					p.done <- applied{err: err}
				}
				<-slots
				continue
			}
		}
		f := n.raft.Apply(data, enqueueTimeout)
		go func() {
			defer func() { <-slots }()
			deliver(batch, f)
		}()
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
