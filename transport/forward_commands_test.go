package transport

import (
	"strings"
	"testing"
)

// The message commands that reach a follower are decoded, validated and
// handed to the follower's backend, which takes them to the leader as
// commands: the leader's HTTP API never sees them. Everything else is
// still forwarded over HTTP.
func TestCommandsAreNotForwardedOverHTTP(t *testing.T) {
	c := newCluster(t, nil)
	f := c.follower.URL
	if r := postJSON(t, f, "CreateQueue", `{"QueueName":"cmd"}`); r.status != 200 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	q := `"QueueUrl":"` + f + "/" + testAccount + `/cmd"`
	calls := []struct {
		name   string
		do     func() reply
		status int
	}{
		{"json SendMessage", func() reply { return postJSON(t, f, "SendMessage", `{`+q+`,"MessageBody":"a"}`) }, 200},
		{"json SendMessageBatch", func() reply {
			return postJSON(t, f, "SendMessageBatch", `{`+q+`,"Entries":[{"Id":"1","MessageBody":"b"},{"Id":"2","MessageBody":"c"}]}`)
		}, 200},
		{"query SendMessage", func() reply {
			return postQuery(t, f, "/"+testAccount+"/cmd", form("Action", "SendMessage", "MessageBody", "d"))
		}, 200},
		{"json ReceiveMessage", func() reply { return postJSON(t, f, "ReceiveMessage", `{`+q+`,"MaxNumberOfMessages":10}`) }, 200},
		{"json ChangeMessageVisibility", func() reply {
			return postJSON(t, f, "ChangeMessageVisibility", `{`+q+`,"ReceiptHandle":"rh-m0001-1","VisibilityTimeout":5}`)
		}, 200},
		{"json ChangeMessageVisibilityBatch", func() reply {
			return postJSON(t, f, "ChangeMessageVisibilityBatch", `{`+q+`,"Entries":[{"Id":"1","ReceiptHandle":"rh-m0002-1","VisibilityTimeout":5}]}`)
		}, 200},
		{"json DeleteMessage", func() reply { return postJSON(t, f, "DeleteMessage", `{`+q+`,"ReceiptHandle":"rh-m0003-1"}`) }, 200},
		{"json DeleteMessageBatch", func() reply {
			return postJSON(t, f, "DeleteMessageBatch", `{`+q+`,"Entries":[{"Id":"1","ReceiptHandle":"rh-m0004-1"}]}`)
		}, 200},
		{"rest send", func() reply { return restDo(t, f, "POST", "/v1/queues/cmd/messages", `{"body":"e"}`) }, 201},
		{"rest send batch", func() reply {
			return restDo(t, f, "POST", "/v1/queues/cmd/messages/batch", `{"messages":[{"id":"1","body":"f"}]}`)
		}, 200},
		{"rest receive", func() reply { return restDo(t, f, "POST", "/v1/queues/cmd/messages/receive", `{"max":10}`) }, 200},
		{"rest visibility", func() reply {
			return restDo(t, f, "POST", "/v1/queues/cmd/messages/visibility", `{"receipt_handle":"rh-m0005-1","visibility_timeout":0}`)
		}, 204},
		{"rest delete", func() reply {
			return restDo(t, f, "POST", "/v1/queues/cmd/messages/delete", `{"receipt_handles":["rh-m0006-1"]}`)
		}, 200},
		// memBackend keeps no SNS state: 404 NotFound, from the leader's backend.
		{"sns Publish", func() reply {
			return postQuery(t, f, "/", form("Action", "Publish", "TopicArn", "arn:aws:sns:us-east-1:"+testAccount+":t", "Message", "g"))
		}, 404},
		{"sns PublishBatch", func() reply {
			return postQuery(t, f, "/", form("Action", "PublishBatch", "TopicArn", "arn:aws:sns:us-east-1:"+testAccount+":t",
				"PublishBatchRequestEntries.member.1.Id", "1", "PublishBatchRequestEntries.member.1.Message", "h"))
		}, 404},
		{"rest publish", func() reply { return restDo(t, f, "POST", "/v1/topics/t/publish", `{"message":"i"}`) }, 404},
		{"rest publish batch", func() reply {
			return restDo(t, f, "POST", "/v1/topics/t/publish/batch", `{"messages":[{"id":"1","message":"j"}]}`)
		}, 404},
	}
	for _, call := range calls {
		before := c.followerBackend.forwardedCount()
		if r := call.do(); r.status != call.status {
			t.Fatalf("%s: %d %s, want %d", call.name, r.status, r.body, call.status)
		}
		if c.followerBackend.forwardedCount() != before+1 {
			t.Fatalf("%s: the follower's backend did not take it", call.name)
		}
	}
	c.mu.Lock()
	seen := len(c.seen)
	c.mu.Unlock()
	if seen != 1 {
		t.Fatalf("the leader's HTTP API saw %d requests, want 1 (CreateQueue)", seen)
	}
	if c.followerMem.callCount() != 0 {
		t.Fatal("the follower ran a data call on its own state")
	}
}

// A batch whose every entry fails validation still reports a missing
// queue, through a follower too: the check is part of the forwarded call.
func TestAllEntriesInvalidBatchOnFollower(t *testing.T) {
	c := newCluster(t, nil)
	missing := `"QueueUrl":"/` + testAccount + `/nope"`
	for _, call := range []struct{ action, body string }{
		{"SendMessageBatch", `{` + missing + `,"Entries":[{"Id":"1","MessageBody":""}]}`},
		{"DeleteMessageBatch", `{` + missing + `,"Entries":[{"Id":"1","ReceiptHandle":""}]}`},
		{"ChangeMessageVisibilityBatch", `{` + missing + `,"Entries":[{"Id":"1","ReceiptHandle":""}]}`},
	} {
		r := postJSON(t, c.follower.URL, call.action, call.body)
		if r.status != 400 || !strings.Contains(r.body, "QueueDoesNotExist") {
			t.Fatalf("%s: %d %s", call.action, r.status, r.body)
		}
	}
	for _, path := range []string{"/v1/queues/nope/messages/batch", "/v1/queues/nope/messages/delete"} {
		body := `{"messages":[{"id":"1","body":""}]}`
		if strings.HasSuffix(path, "delete") {
			body = `{"receipt_handles":[""]}`
		}
		r := restDo(t, c.follower.URL, "POST", path, body)
		if e := restErr(t, r); r.status != 404 || e.Code != "QueueDoesNotExist" {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.seen) != 0 {
		t.Fatalf("the leader's HTTP API saw %d requests", len(c.seen))
	}
}

// A leader of an older build takes no forwarded commands: the follower
// forwards the HTTP request, as before.
func TestCommandsForwardedOverHTTPToOlderLeader(t *testing.T) {
	c := newCluster(t, nil)
	c.followerBackend.legacy = true
	if r := postJSON(t, c.follower.URL, "CreateQueue", `{"QueueName":"old"}`); r.status != 200 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if r := postJSON(t, c.follower.URL, "SendMessage", `{"QueueUrl":"/`+testAccount+`/old","MessageBody":"x"}`); r.status != 200 {
		t.Fatalf("send: %d %s", r.status, r.body)
	}
	if r := restDo(t, c.follower.URL, "POST", "/v1/queues/old/messages/receive", `{}`); r.status != 200 {
		t.Fatalf("receive: %d %s", r.status, r.body)
	}
	c.mu.Lock()
	seen := len(c.seen)
	c.mu.Unlock()
	if seen != 3 || c.followerBackend.forwardedCount() != 0 {
		t.Fatalf("leader saw %d HTTP requests (want 3), %d commands", seen, c.followerBackend.forwardedCount())
	}
}
