package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// The fake cluster's topics (fake_test.go): enough of the REST contract
// to check the paths and bodies the client sends.

type fakeTopic struct {
	subs      []*Subscription
	published []wirePublish
}

// serveTopics answers /v1/topics... and /v1/subscriptions (under f.mu).
func (f *fakeCluster) serveTopics(w http.ResponseWriter, r *http.Request, parts []string, body []byte) {
	if f.topics == nil {
		f.topics = map[string]*fakeTopic{}
	}
	arn := func(name string) string { return "arn:aws:sns:us-east-1:000000000000:" + name }
	if parts[0] == "subscriptions" {
		var all []*Subscription
		for _, t := range f.topics {
			all = append(all, t.subs...)
		}
		writeJSON(w, 200, map[string]any{"subscriptions": all})
		return
	}
	if len(parts) == 1 {
		switch r.Method {
		case "POST":
			var in wireCreateTopic
			json.Unmarshal(body, &in)
			status := 200
			if _, ok := f.topics[in.Name]; !ok {
				f.topics[in.Name] = &fakeTopic{}
				status = 201
			}
			writeJSON(w, status, TopicInfo{Name: in.Name, ARN: arn(in.Name)})
		case "GET":
			var out []TopicInfo
			for name := range f.topics {
				if strings.HasPrefix(name, r.URL.Query().Get("prefix")) {
					out = append(out, TopicInfo{Name: name, ARN: arn(name)})
				}
			}
			writeJSON(w, 200, map[string]any{"topics": out})
		}
		return
	}
	name := parts[1]
	t, ok := f.topics[name]
	if !ok {
		writeErr(w, 404, "NotFound", "Topic does not exist", false)
		return
	}
	rest := strings.Join(parts[2:], "/")
	switch {
	case rest == "" && r.Method == "GET":
		writeJSON(w, 200, TopicInfo{Name: name, ARN: arn(name), Attributes: map[string]string{"SubscriptionsConfirmed": fmt.Sprint(len(t.subs))}})
	case rest == "" && r.Method == "PATCH":
		var in wireSetAttributes
		json.Unmarshal(body, &in)
		writeJSON(w, 200, TopicInfo{Name: name, ARN: arn(name), Attributes: in.Attributes})
	case rest == "" && r.Method == "DELETE":
		delete(f.topics, name)
		w.WriteHeader(204)
	case rest == "subscriptions" && r.Method == "POST":
		var in wireSubscribe
		json.Unmarshal(body, &in)
		if in.Protocol != "sqs" && in.Protocol != "http" && in.Protocol != "https" {
			writeErr(w, 400, "InvalidParameter", "Invalid parameter: protocol", false)
			return
		}
		id := fmt.Sprintf("s%d", len(t.subs)+1)
		s := &Subscription{ID: id, ARN: arn(name) + ":" + id, Topic: name, TopicARN: arn(name), Protocol: in.Protocol,
			Endpoint: in.Endpoint, Pending: in.Protocol != "sqs", Attributes: in.Attributes}
		t.subs = append(t.subs, s)
		writeJSON(w, 201, s)
	case rest == "subscriptions" && r.Method == "GET":
		writeJSON(w, 200, map[string]any{"subscriptions": t.subs})
	case strings.HasPrefix(rest, "subscriptions/"):
		id := strings.TrimPrefix(rest, "subscriptions/")
		for i, s := range t.subs {
			if s.ID != id {
				continue
			}
			switch r.Method {
			case "GET":
				writeJSON(w, 200, s)
			case "PATCH":
				var in wireSetAttributes
				json.Unmarshal(body, &in)
				if s.Attributes == nil {
					s.Attributes = map[string]string{}
				}
				for k, v := range in.Attributes {
					s.Attributes[k] = v
				}
				writeJSON(w, 200, s)
			case "DELETE":
				t.subs = append(t.subs[:i], t.subs[i+1:]...)
				w.WriteHeader(204)
			}
			return
		}
		writeErr(w, 404, "NotFound", "Subscription does not exist", false)
	case rest == "confirm":
		var in wireConfirm
		json.Unmarshal(body, &in)
		for _, s := range t.subs {
			if "token-"+s.ID == in.Token {
				s.Pending = false
				writeJSON(w, 200, s)
				return
			}
		}
		writeErr(w, 400, "InvalidParameter", "Invalid parameter: Token", false)
	case rest == "publish":
		var in wirePublish
		json.Unmarshal(body, &in)
		if in.Message == "" {
			writeErr(w, 400, "InvalidParameter", "Empty message", false)
			return
		}
		t.published = append(t.published, in)
		writeJSON(w, 200, wirePublishResult{MessageID: fmt.Sprintf("p%d", len(t.published))})
	case rest == "publish/batch":
		var in wirePublishBatch
		json.Unmarshal(body, &in)
		if len(in.Messages) > 10 {
			writeErr(w, 400, "TooManyEntriesInBatchRequest", "too many", false)
			return
		}
		size := 0
		for _, m := range in.Messages {
			size += len(m.Message)
		}
		if len(in.Messages) > 1 && size > maxPublishBatchBytes {
			writeErr(w, 400, "BatchRequestTooLong", "too long", false)
			return
		}
		var out wirePublishBatchResults
		for _, m := range in.Messages {
			if m.Message == "" {
				out.Results = append(out.Results, wirePublishResult{ID: m.ID, Error: &wireEntry{Code: "InvalidParameter", Message: "Empty message"}})
				continue
			}
			t.published = append(t.published, m)
			out.Results = append(out.Results, wirePublishResult{ID: m.ID, MessageID: fmt.Sprintf("p%d", len(t.published))})
		}
		writeJSON(w, 200, out)
	default:
		writeErr(w, 404, "UnknownOperationException", "no route", false)
	}
}
