package node

import (
	"context"
	"sync"
	"testing"

	"github.com/wharfmq/wharf/fsm"
)

// BenchmarkSend measures SendMessages on the leader of an in-process
// three-node cluster (real raft, bolt with fsync, loopback TCP), with 1
// and 64 sends in flight. Run: go test -run X -bench Send ./node
func BenchmarkSend(b *testing.B) {
	benchmarkSend(b, func(c *testCluster, leader *Node) *Node { return leader })
}

// BenchmarkSendThroughFollower is BenchmarkSend through a follower: each
// send crosses the command RPC to the leader.
func BenchmarkSendThroughFollower(b *testing.B) {
	benchmarkSend(b, func(c *testCluster, leader *Node) *Node { return c.followers(leader)[0] })
}

// benchmarkSend runs b.N sends of 100 bytes from the node pick chooses.
func benchmarkSend(b *testing.B, pick func(c *testCluster, leader *Node) *Node) {
	for _, inFlight := range []int{1, 64} {
		b.Run(map[int]string{1: "inflight=1", 64: "inflight=64"}[inFlight], func(b *testing.B) {
			c := newTestCluster(b, 3)
			leader := c.leader()
			sender := pick(c, leader)
			ctx := context.Background()
			q := fsm.QueueKey{Region: "us-east-1", Account: "000000000000", Name: "bench"}
			if err := leader.CreateQueue(ctx, fsm.CreateQueue{Queue: q}); err != nil {
				b.Fatal(err)
			}
			body := string(make([]byte, 100))
			b.ResetTimer()
			var wg sync.WaitGroup
			per := max(b.N/inFlight, 1)
			for w := 0; w < inFlight; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < per; i++ {
						if _, err := sender.SendMessages(ctx, fsm.SendMessages{Queue: q, Entries: []fsm.SendEntry{{Body: body, DelaySeconds: -1}}}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}
