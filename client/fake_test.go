package client

// A fake cluster that speaks the REST contract (docs/rest-api.md) from
// memory, for unit tests without real nodes.

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

type fakeMsg struct {
	id, body, key string
	handle        string
	visibleAt     time.Time
	receives      int
	deleted       bool
}

type fakeCluster struct {
	t       *testing.T
	mu      sync.Mutex
	nodes   []*httptest.Server
	leader  int // index, -1 none
	queues  map[string][]*fakeMsg
	keys    map[string]string // idempotency key -> message id
	seq     int
	hits    map[string]int // "node path" -> count
	visHits int
	topics  map[string]*fakeTopic // topic_fake_test.go
	// reverseBatches answers batch results in reverse order.
	reverseBatches bool
	// hooks, called under no lock before the normal handling; return true
	// when they answered.
	hook func(node int, w http.ResponseWriter, r *http.Request, body []byte) bool
}

func newFake(t *testing.T, n int) *fakeCluster {
	f := &fakeCluster{t: t, queues: map[string][]*fakeMsg{}, keys: map[string]string{}, hits: map[string]int{}}
	for i := 0; i < n; i++ {
		i := i
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f.serve(i, w, r) }))
		f.nodes = append(f.nodes, srv)
	}
	t.Cleanup(func() {
		for _, s := range f.nodes {
			s.Close()
		}
	})
	return f
}

func (f *fakeCluster) addr(i int) string { return strings.TrimPrefix(f.nodes[i].URL, "http://") }

func (f *fakeCluster) urls() []string {
	var u []string
	for _, s := range f.nodes {
		u = append(u, s.URL)
	}
	return u
}

func (f *fakeCluster) count(node int, path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[fmt.Sprintf("%d %s", node, path)]
}

func writeErr(w http.ResponseWriter, status int, code, msg string, retryable bool) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg, "retryable": retryable}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func md5hex(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

func (f *fakeCluster) serve(node int, w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.hits[fmt.Sprintf("%d %s", node, r.URL.Path)]++
	hook := f.hook
	f.mu.Unlock()
	if hook != nil && hook(node, w, r, body) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/v1/cluster/status" {
		st := Status{NodeID: fmt.Sprintf("n%d", node+1), State: "Follower", Term: 3}
		if f.leader >= 0 {
			st.LeaderID = fmt.Sprintf("n%d", f.leader+1)
			st.LeaderAPIAddr = f.addr(f.leader)
			if f.leader == node {
				st.State = "Leader"
			}
		}
		for i := range f.nodes {
			st.Members = append(st.Members, Member{ID: fmt.Sprintf("n%d", i+1), APIAddr: f.addr(i), Voter: true, GossipStatus: "alive"})
		}
		writeJSON(w, 200, st)
		return
	}
	if f.leader < 0 {
		writeErr(w, 503, "ServiceUnavailable", "no leader", true)
		return
	}
	// Everything else "runs on the leader" (a follower would forward).
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v1/"), "/")
	switch {
	case parts[0] == "cluster" && len(parts) == 2 && parts[1] == "members":
		var ms []Member
		for i := range f.nodes {
			ms = append(ms, Member{ID: fmt.Sprintf("n%d", i+1), APIAddr: f.addr(i), Voter: true, GossipStatus: "alive"})
		}
		writeJSON(w, 200, map[string]any{"members": ms})
	case parts[0] == "cluster" && len(parts) == 3 && parts[1] == "leader":
		f.leader = (f.leader + 1) % len(f.nodes)
		w.WriteHeader(204)
	case parts[0] == "cluster" && len(parts) == 3 && parts[1] == "members" && r.Method == "DELETE":
		if parts[2] == "nope" {
			writeErr(w, 404, "NotFound", "no such member", false)
			return
		}
		w.WriteHeader(204)
	case parts[0] == "topics" || parts[0] == "subscriptions":
		f.serveTopics(w, r, parts, body)
	case parts[0] == "queues" && len(parts) == 1 && r.Method == "POST":
		var in wireCreateQueue
		json.Unmarshal(body, &in)
		if _, ok := f.queues[in.Name]; ok {
			writeJSON(w, 200, wireQueue{Name: in.Name, URL: "http://x/000000000000/" + in.Name})
			return
		}
		f.queues[in.Name] = nil
		writeJSON(w, 201, wireQueue{Name: in.Name, URL: "http://x/000000000000/" + in.Name, ARN: "arn:aws:sqs:us-east-1:000000000000:" + in.Name})
	case parts[0] == "queues" && len(parts) == 1 && r.Method == "GET":
		var out []wireQueue
		for name := range f.queues {
			if strings.HasPrefix(name, r.URL.Query().Get("prefix")) {
				out = append(out, wireQueue{Name: name, URL: "http://x/000000000000/" + name})
			}
		}
		writeJSON(w, 200, map[string]any{"queues": out})
	default:
		if parts[0] != "queues" || len(parts) < 2 {
			writeErr(w, 404, "NotFound", "no route", false)
			return
		}
		name := parts[1]
		msgs, ok := f.queues[name]
		if !ok {
			writeErr(w, 404, "QueueDoesNotExist", "The specified queue does not exist.", false)
			return
		}
		rest := strings.Join(parts[2:], "/")
		switch {
		case rest == "" && r.Method == "GET":
			visible := 0
			for _, m := range msgs {
				if !m.deleted {
					visible++
				}
			}
			writeJSON(w, 200, wireQueue{Name: name, Attributes: map[string]string{"ApproximateNumberOfMessages": fmt.Sprint(visible), "VisibilityTimeout": "30"}})
		case rest == "" && r.Method == "PATCH":
			writeJSON(w, 200, wireQueue{Name: name, Attributes: map[string]string{"VisibilityTimeout": "60"}})
		case rest == "" && r.Method == "DELETE":
			delete(f.queues, name)
			w.WriteHeader(204)
		case rest == "purge":
			f.queues[name] = nil
			w.WriteHeader(204)
		case rest == "messages":
			var in wireSend
			json.Unmarshal(body, &in)
			if in.Body == "" {
				writeErr(w, 400, "InvalidParameterValueException", "empty", false)
				return
			}
			res := f.send(name, in)
			writeJSON(w, 201, res)
		case rest == "messages/batch":
			var in wireBatch
			json.Unmarshal(body, &in)
			if len(in.Messages) > 10 {
				writeErr(w, 400, "TooManyEntriesInBatchRequest", "too many", false)
				return
			}
			size, ids := 0, map[string]bool{}
			for _, e := range in.Messages {
				size += len(e.Body)
				if e.ID == "" || ids[e.ID] {
					writeErr(w, 400, "BatchEntryIdsNotDistinct", "ids", false)
					return
				}
				ids[e.ID] = true
			}
			if size > 1<<20 {
				writeErr(w, 400, "BatchRequestTooLong", "too long", false)
				return
			}
			var out wireBatchResults
			for _, e := range in.Messages {
				if e.Body == "" {
					out.Results = append(out.Results, wireSendResult{ID: e.ID, Error: &wireEntry{Code: "InvalidParameterValueException", Message: "empty"}})
					continue
				}
				res := f.send(name, e)
				res.ID = e.ID
				res.MD5OfBody = "" // as the real batch route
				out.Results = append(out.Results, res)
			}
			if f.reverseBatches {
				slices.Reverse(out.Results)
			}
			writeJSON(w, 200, out)
		case rest == "messages/receive":
			var in wireReceive
			json.Unmarshal(body, &in)
			max := in.Max
			if max == 0 {
				max = 1
			}
			vis := 30
			if in.VisibilityTimeout != nil {
				vis = *in.VisibilityTimeout
			}
			var out wireMessages
			now := time.Now()
			for _, m := range f.queues[name] {
				if len(out.Messages) >= max {
					break
				}
				if m.deleted || now.Before(m.visibleAt) {
					continue
				}
				m.receives++
				m.visibleAt = now.Add(time.Duration(vis) * time.Second)
				m.handle = fmt.Sprintf("h-%s-%d", m.id, m.receives)
				out.Messages = append(out.Messages, wireMessage{MessageID: m.id, ReceiptHandle: m.handle, Body: m.body, MD5OfBody: md5hex(m.body), ReceiveCount: m.receives})
			}
			if len(out.Messages) == 0 && (in.WaitSeconds == nil || *in.WaitSeconds > 0) {
				// A short stand-in for long polling.
				f.mu.Unlock()
				time.Sleep(20 * time.Millisecond)
				f.mu.Lock()
			}
			writeJSON(w, 200, out)
		case rest == "messages/delete":
			var in wireDelete
			json.Unmarshal(body, &in)
			var out wireDeleteResults
			for _, h := range in.ReceiptHandles {
				found := false
				for _, m := range f.queues[name] {
					if m.handle == h {
						m.deleted, found = true, true
					}
				}
				r := struct {
					ReceiptHandle string     `json:"receipt_handle"`
					Error         *wireEntry `json:"error"`
				}{ReceiptHandle: h}
				if !found {
					r.Error = &wireEntry{Code: "ReceiptHandleIsInvalid", Message: "bad handle"}
				}
				out.Results = append(out.Results, r)
			}
			writeJSON(w, 200, out)
		case rest == "messages/visibility":
			var in wireVisibility
			json.Unmarshal(body, &in)
			f.visHits++
			for _, m := range f.queues[name] {
				if m.handle == in.ReceiptHandle && !m.deleted {
					m.visibleAt = time.Now().Add(time.Duration(in.VisibilityTimeout) * time.Second)
					w.WriteHeader(204)
					return
				}
			}
			writeErr(w, 404, "ReceiptHandleIsInvalid", "bad handle", false)
		default:
			writeErr(w, 404, "NotFound", "no route", false)
		}
	}
}

// send stores a message (under f.mu), honouring the idempotency key.
func (f *fakeCluster) send(queue string, in wireSend) wireSendResult {
	if in.IdempotencyKey != "" {
		if id, ok := f.keys[queue+"/"+in.IdempotencyKey]; ok {
			return wireSendResult{MessageID: id, MD5OfBody: md5hex(in.Body)}
		}
	}
	f.seq++
	id := fmt.Sprintf("m%d", f.seq)
	f.queues[queue] = append(f.queues[queue], &fakeMsg{id: id, body: in.Body, key: in.IdempotencyKey})
	if in.IdempotencyKey != "" {
		f.keys[queue+"/"+in.IdempotencyKey] = id
	}
	return wireSendResult{MessageID: id, MD5OfBody: md5hex(in.Body)}
}

func (f *fakeCluster) live(queue string) []*fakeMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*fakeMsg
	for _, m := range f.queues[queue] {
		if !m.deleted {
			out = append(out, m)
		}
	}
	return out
}
