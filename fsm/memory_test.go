package fsm

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// measureCount is how many messages TestHeapPerQueuedMessage queues:
// WHARF_MEASURE=1 means 1M, a larger number means that many.
func measureCount(t *testing.T) int {
	v := os.Getenv("WHARF_MEASURE")
	if v == "" {
		t.Skip("set WHARF_MEASURE=1 to measure heap per message and restore time with 1M messages")
	}
	if n, err := strconv.Atoi(v); err == nil && n > 1 {
		return n
	}
	return 1_000_000
}

// measureUUID is a UUID-shaped message ID for message i, as the leader
// stamps them.
func measureUUID(i int) string {
	x := fmt.Sprintf("%032x", uint64(i)*0x9E3779B97F4A7C15)
	return x[0:8] + "-" + x[8:12] + "-4" + x[13:16] + "-8" + x[17:20] + "-" + x[20:32]
}

// The heap a queued message costs: 1M sends of a 100-byte body without
// attributes, each its own command through Apply, as SendMessage makes
// them. It prints bytes per message (the target is payload + 200), then
// snapshots and restores the queue and prints how long each took. It is a
// measurement, not a test of speed: nothing is asserted about time.
func TestHeapPerQueuedMessage(t *testing.T) {
	n := measureCount(t)
	f := New()
	now := int64(1_700_000_000_000)
	apply := func(index uint64, cmd any) any {
		data, err := Encode(now, cmd)
		if err != nil {
			t.Fatal(err)
		}
		return f.Apply(index, data)
	}
	apply(1, CreateQueue{Queue: testQueue})
	pad := strings.Repeat("x", 100)
	runtime.GC()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("%08d", i) + pad[8:]
		res := apply(uint64(i+2), SendMessages{Queue: testQueue, SenderID: "AKIDEXAMPLE", Entries: []SendEntry{{MessageID: measureUUID(i), Body: body, DelaySeconds: -1}}})
		if r := res.([]SendResult); r[0].Err != nil {
			t.Fatal(r[0].Err)
		}
	}
	applied := time.Since(start)
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	perMsg := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
	t.Logf("%d sends applied in %v; heap %.1f bytes/message (payload 100, target <= 300)", n, applied.Round(time.Millisecond), perMsg)

	var snap bytes.Buffer
	snap.Grow(n * 160) // time the encoding, not the buffer's growth
	start = time.Now()
	if err := f.Snapshot().Persist(&snap); err != nil {
		t.Fatal(err)
	}
	t.Logf("snapshot written in %v: %d bytes (%.1f bytes/message)", time.Since(start).Round(time.Millisecond), snap.Len(), float64(snap.Len())/float64(n))
	restored := New()
	start = time.Now()
	if err := restored.Restore(bytes.NewReader(snap.Bytes())); err != nil {
		t.Fatal(err)
	}
	t.Logf("snapshot restored in %v", time.Since(start).Round(time.Millisecond))
	if st := restored.QueueStats(now); st[0].Visible != n {
		t.Fatalf("restored %d visible messages, want %d", st[0].Visible, n)
	}
	runtime.KeepAlive(f)
}
