//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wharfmq/wharf/test/chaos/checker"
	"github.com/wharfmq/wharf/test/chaos/cluster"
	"github.com/wharfmq/wharf/test/chaos/history"
	"github.com/wharfmq/wharf/test/chaos/workload"
)

// SegmentConfig is one cluster lifecycle: start, workload under a fault
// plan, heal, drain, check.
type SegmentConfig struct {
	Name    string
	Backend string // "netns" or "docker"
	Plan    Planner
	Dir     string // results of this segment
	Bin     string
	Image   string
	Seed    uint64

	Producers, Consumers, LinClients int
	// Publishers publish to an SNS topic with a raw-delivery queue
	// subscribed, at Rate each; one consumer drains that queue.
	Publishers int
	// FifoProducers send to a FIFO queue, each in its own message group,
	// at FifoRate each (Rate when 0); one consumer drains that queue.
	FifoProducers                   int
	FifoRate                        float64
	Rate                            float64       // sends per second per producer
	LinFor                          time.Duration // the lin clients run this long
	Warmup                          time.Duration
	DrainTimeout                    time.Duration
	MaxUnavailable                  time.Duration
	SnapshotThreshold, TrailingLogs uint64
	KeepData                        bool
	Logf                            func(string, ...any)
}

// SegmentResult is what a segment found.
type SegmentResult struct {
	Name           string                 `json:"name"`
	Backend        string                 `json:"backend"`
	Faults         []*Record              `json:"faults"`
	Queue          *checker.QueueResult   `json:"queue"`
	Fanout         *checker.FanoutResult  `json:"fanout,omitempty"`
	Fifo           *checker.FifoResult    `json:"fifo,omitempty"`
	Lin            checker.LinResult      `json:"lin"`
	Availability   []checker.Availability `json:"availability"`
	MaxUnavailable time.Duration          `json:"max_unavailable_ns"`
	Violations     []checker.Finding      `json:"violations"`
	Notes          []string               `json:"notes"`
	Duration       time.Duration          `json:"duration_ns"`
}

func (r *SegmentResult) violate(class checker.Class, summary string, evidence ...string) {
	r.Violations = append(r.Violations, checker.Finding{Class: class, Summary: summary, Evidence: evidence})
}

// Harness and cluster-level violation classes.
const (
	ClassHarness     checker.Class = "harness_error"
	ClassNotRecover  checker.Class = "not_recovered"
	ClassCounters    checker.Class = "counters_not_zero"
	ClassStateHash   checker.Class = "state_hash"
	ClassDrain       checker.Class = "drain_incomplete"
	ClassNoSnapshot  checker.Class = "snapshot_not_installed"
	ClassFaultFailed checker.Class = "fault_failed"
)

// RunSegment runs one segment. It never panics on product failures: they
// become violations in the result.
func RunSegment(ctx context.Context, sc SegmentConfig) *SegmentResult {
	began := time.Now()
	res := &SegmentResult{Name: sc.Name, Backend: sc.Backend}
	defer func() { res.Duration = time.Since(began) }()
	logf := func(format string, args ...any) { sc.Logf("["+sc.Name+"] "+format, args...) }
	os.MkdirAll(sc.Dir, 0o755)

	id, err := cluster.NewRunID()
	if err != nil {
		res.violate(ClassHarness, "run id: "+err.Error())
		return res
	}
	defer cluster.ReleaseRunID(id)
	opts := cluster.Options{Bin: sc.Bin, Image: sc.Image, Dir: filepath.Join(sc.Dir, "work"), Logf: logf,
		Env: []string{fmt.Sprintf("WHARF_SNAPSHOT_THRESHOLD=%d", sc.SnapshotThreshold), fmt.Sprintf("WHARF_TRAILING_LOGS=%d", sc.TrailingLogs)}}
	var cl cluster.Cluster
	if sc.Backend == "docker" {
		cl, err = cluster.NewDocker(ctx, id, opts)
	} else {
		cl, err = cluster.NewNetns(ctx, id, opts)
	}
	if err != nil {
		res.violate(ClassHarness, "cluster setup: "+err.Error())
		return res
	}
	failed := true
	defer func() {
		cl.CollectLogs(filepath.Join(sc.Dir, "nodes"))
		cl.Close()
		if !failed && !sc.KeepData {
			os.RemoveAll(filepath.Join(sc.Dir, "work", "data"))
		}
	}()

	clock := history.NewClock()
	rec := history.NewRecorder(clock)
	rng := rand.New(rand.NewPCG(sc.Seed, uint64(len(sc.Name))))
	nem := &Nemesis{cl: cl, clock: clock, rng: rng, logf: logf, trailingLogs: sc.TrailingLogs}

	for _, n := range cluster.Nodes {
		if err := cl.Start(ctx, n); err != nil {
			res.violate(ClassHarness, "start "+n+": "+err.Error())
			return res
		}
	}
	if err := cluster.WaitReady(ctx, cl, cluster.Nodes, 60*time.Second); err != nil {
		res.violate(ClassNotRecover, "cluster never became ready: "+err.Error())
		return res
	}
	eps := workload.Endpoints{Nodes: cluster.Nodes, URLs: map[string]string{}}
	for _, n := range cluster.Nodes {
		eps.URLs[n] = cl.APIURL(n)
	}
	clients := workload.NewClients(eps)
	var q queues
	err = func() (err error) {
		if q.main, err = workload.CreateQueue(ctx, clients, "chaos-main", 30*time.Second); err != nil {
			return err
		}
		if q.lin, err = workload.CreateQueue(ctx, clients, "chaos-lin", 30*time.Second); err != nil {
			return err
		}
		if q.topic, q.fanout, err = workload.CreateFanout(ctx, clients, "chaos-topic", "chaos-fanout", 30*time.Second); err != nil {
			return err
		}
		if sc.FifoProducers > 0 {
			q.fifo, err = workload.CreateFifoQueue(ctx, clients, "chaos-fifo.fifo", 30*time.Second)
		}
		return err
	}()
	if err != nil {
		res.violate(ClassHarness, "create queues: "+err.Error())
		return res
	}
	runWorkload(ctx, sc, res, cl, nem, clients, rec, q, rng, logf)

	ops := rec.Ops()
	history.WriteJSONL(filepath.Join(sc.Dir, "history.jsonl"), ops)
	check(sc, res, ops, nem.Records())
	writeFaults(filepath.Join(sc.Dir, "faults.jsonl"), res.Faults)
	failed = len(res.Violations) > 0
	return res
}

// queues are the URLs (and the topic ARN) the workloads use: the main
// queue, the lin queue, the SNS sub-workload's topic and subscribed queue,
// and the FIFO sub-workload's queue.
type queues struct{ main, lin, topic, fanout, fifo string }

// FifoSkipDeleteEvery: the FIFO consumer leaves every Nth non-empty
// receive undeleted.
const FifoSkipDeleteEvery = 150

// publisherIDs start here, so publish bodies never look like sends.
const publisherIDs = 100

// runWorkload runs producers, consumers, publishers, FIFO producers and
// lin clients through the fault plan, heals, drains, and checks counters
// and state hashes.
func runWorkload(ctx context.Context, sc SegmentConfig, res *SegmentResult, cl cluster.Cluster, nem *Nemesis,
	clients *workload.Clients, rec *history.Recorder, q queues, rng *rand.Rand, logf func(string, ...any)) {
	mainURL, linURL := q.main, q.lin
	seen := workload.NewSeen()
	fanSeen := workload.NewSeen()
	fifoSeen := workload.NewSeen()
	var prodWG, consWG, linWG sync.WaitGroup
	prodCtx, stopProd := context.WithCancel(ctx)
	consCtx, stopCons := context.WithCancel(ctx)
	linCtx, stopLin := context.WithTimeout(ctx, sc.Warmup+sc.LinFor)
	defer stopProd()
	defer stopCons()
	defer stopLin()

	var producers []*workload.Producer
	for i := 0; i < sc.Producers; i++ {
		p := &workload.Producer{ID: i, Clients: clients, Rec: rec, Queue: mainURL, Rate: sc.Rate}
		producers = append(producers, p)
		prodWG.Add(1)
		go func() { defer prodWG.Done(); p.Run(prodCtx) }()
	}
	for i := 0; i < sc.Publishers; i++ {
		p := &workload.Producer{ID: publisherIDs + i, Clients: clients, Rec: rec, Topic: q.topic, Rate: sc.Rate}
		producers = append(producers, p)
		prodWG.Add(1)
		go func() { defer prodWG.Done(); p.Run(prodCtx) }()
	}
	var fifoProducers []*workload.FifoProducer
	fifoRate := sc.FifoRate
	if fifoRate <= 0 {
		fifoRate = sc.Rate
	}
	for i := 0; i < sc.FifoProducers; i++ {
		p := &workload.FifoProducer{ID: i, Clients: clients, Rec: rec, Queue: q.fifo, Rate: fifoRate}
		fifoProducers = append(fifoProducers, p)
		prodWG.Add(1)
		go func() { defer prodWG.Done(); p.Run(prodCtx) }()
	}
	for i := 0; i < sc.Consumers; i++ {
		c := &workload.Consumer{ID: i, Clients: clients, Rec: rec, Queue: mainURL, Seen: seen}
		consWG.Add(1)
		go func() { defer consWG.Done(); c.Run(consCtx) }()
	}
	if sc.Publishers > 0 {
		c := &workload.Consumer{ID: sc.Consumers, Clients: clients, Rec: rec, Queue: q.fanout, Seen: fanSeen, Fanout: true}
		consWG.Add(1)
		go func() { defer consWG.Done(); c.Run(consCtx) }()
	}
	if sc.FifoProducers > 0 {
		// Now and then a receive is left undeleted, so that the group
		// lock is put to the test.
		c := &workload.Consumer{ID: sc.Consumers + 1, Clients: clients, Rec: rec, Queue: q.fifo, Seen: fifoSeen, Fifo: true,
			SkipDeleteEvery: FifoSkipDeleteEvery}
		consWG.Add(1)
		go func() { defer consWG.Done(); c.Run(consCtx) }()
	}
	for i := 0; i < sc.LinClients; i++ {
		l := &workload.LinClient{ID: i, Clients: clients, Rec: rec, Queue: linURL, Rand: rand.New(rand.NewPCG(rng.Uint64(), uint64(i)))}
		linWG.Add(1)
		go func() { defer linWG.Done(); l.Run(linCtx) }()
	}

	sleepCtx(ctx, sc.Warmup)
	for {
		spec, ok := sc.Plan.Next(ctx)
		if !ok {
			break
		}
		r := nem.Inject(ctx, spec)
		if r.Err != "" {
			cls := ClassFaultFailed
			if r.Start != 0 && r.End != 0 {
				cls = ClassNotRecover
			}
			res.violate(cls, fmt.Sprintf("fault %d %s: %s", r.ID, r.Kind, r.Err))
		}
		sleepCtx(ctx, time.Second)
	}
	faultsEnd := rec.Clock().Now()
	linWG.Wait()

	// Heal everything, restart what is down, let writes flow a moment.
	nem.healAll(ctx)
	if err := cluster.WaitReady(ctx, cl, cluster.Nodes, RecoverTimeout); err != nil {
		res.violate(ClassNotRecover, "after the fault phase: "+err.Error())
	}
	sleepCtx(ctx, 2*time.Second)
	stopProd()
	prodWG.Wait()
	for _, r := range nem.Records() {
		if r.Horizon == 0 {
			r.Horizon = faultsEnd
		}
	}
	recs := nem.Records()
	for i := range recs[:max(0, len(recs)-1)] {
		recs[i].Horizon = recs[i+1].Start
	}

	// Drain: until every producer's highest acked counter was received,
	// then until receives have come back empty for longer than the
	// visibility timeout + 2 s.
	drainStart := time.Now()
	quietNeed := workload.Visibility + 2*time.Second
	drained := false
	for time.Since(drainStart) < sc.DrainTimeout && ctx.Err() == nil {
		all := true
		for _, p := range producers {
			s := seen
			if p.Topic != "" {
				s = fanSeen
			}
			if m := p.MaxAcked(); m > 0 && !s.Has(workload.Body(p.ID, m)) {
				all = false
			}
		}
		for _, p := range fifoProducers {
			if m := p.MaxAcked(); m > 0 && !fifoSeen.Has(workload.FifoBody(p.ID, m)) {
				all = false
			}
		}
		quiet, empties := seen.Quiet(rec.Clock().Now())
		if sc.Publishers > 0 {
			fq, fe := fanSeen.Quiet(rec.Clock().Now())
			quiet, empties = min(quiet, fq), min(empties, fe)
		}
		if sc.FifoProducers > 0 {
			fq, fe := fifoSeen.Quiet(rec.Clock().Now())
			quiet, empties = min(quiet, fq), min(empties, fe)
		}
		if all && quiet > quietNeed && empties >= 3 {
			drained = true
			break
		}
		sleepCtx(ctx, 200*time.Millisecond)
	}
	stopCons()
	consWG.Wait()
	logf("drain: %s (done=%v)", time.Since(drainStart).Round(time.Millisecond), drained)
	if !drained {
		res.violate(ClassDrain, fmt.Sprintf("the drain did not finish within %s (a lost message or a queue that never empties)", sc.DrainTimeout))
	}
	checkCounters(ctx, res, cl, clients, mainURL)
	if sc.FifoProducers > 0 {
		checkCounters(ctx, res, cl, clients, q.fifo)
	}
	checkStateHash(ctx, res, cl)
}

// checkCounters requires a queue's counters to read 0 after the drain.
func checkCounters(ctx context.Context, res *SegmentResult, cl cluster.Cluster, clients *workload.Clients, url string) {
	deadline := time.Now().Add(15 * time.Second)
	var last workload.Counters
	var lastErr error
	for i := 0; ; i++ {
		n := cluster.Nodes[i%3]
		c, err := workload.GetCounters(ctx, clients, n, url)
		if err == nil && c == (workload.Counters{}) {
			return
		}
		last, lastErr = c, err
		if time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		sleepCtx(ctx, 500*time.Millisecond)
	}
	ev := fmt.Sprintf("ApproximateNumberOfMessages=%d NotVisible=%d Delayed=%d", last.Visible, last.NotVisible, last.Delayed)
	if lastErr != nil {
		ev = "GetQueueAttributes: " + lastErr.Error()
	}
	res.violate(ClassCounters, "queue counters not 0 after the drain: "+url, ev)
}

// checkStateHash requires identical state hashes at the same applied index
// on the three nodes.
func checkStateHash(ctx context.Context, res *SegmentResult, cl cluster.Cluster) {
	deadline := time.Now().Add(20 * time.Second)
	var seen []string
	for {
		hs := map[string]cluster.StateHash{}
		for _, n := range cluster.Nodes {
			if h, err := cluster.GetStateHash(ctx, cl, n); err == nil {
				hs[n] = h
			}
		}
		seen = seen[:0]
		for _, n := range cluster.Nodes {
			seen = append(seen, fmt.Sprintf("%s: applied %d hash %s", n, hs[n].AppliedIndex, hs[n].Hash))
		}
		if len(hs) == 3 && hs["n1"].AppliedIndex == hs["n2"].AppliedIndex && hs["n2"].AppliedIndex == hs["n3"].AppliedIndex {
			if hs["n1"].Hash == hs["n2"].Hash && hs["n2"].Hash == hs["n3"].Hash {
				res.Notes = append(res.Notes, fmt.Sprintf("state hashes equal at applied index %d: %s", hs["n1"].AppliedIndex, hs["n1"].Hash))
				return
			}
			res.violate(ClassStateHash, "replicas hold different state at the same applied index", seen...)
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			res.violate(ClassStateHash, "replicas never reported the same applied index within 20 s", seen...)
			return
		}
		sleepCtx(ctx, 300*time.Millisecond)
	}
}
