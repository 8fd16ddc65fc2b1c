package fsm

import (
	"encoding/json"
	"testing"
)

func TestPermissions(t *testing.T) {
	h := newHarness(t)
	h.ok(CreateQueue{Queue: testQueue})
	h.ok(AddPermission{Queue: testQueue, Label: "send", Accounts: []string{"111122223333"}, Actions: []string{"SendMessage"}})
	h.code(AddPermission{Queue: testQueue, Label: "send", Accounts: []string{"111122223333"}, Actions: []string{"SendMessage"}}, CodeInvalidParameterValue)
	h.code(AddPermission{Queue: testQueue, Label: "bad", Accounts: []string{"111122223333"}, Actions: []string{"Frobnicate"}}, CodeInvalidParameterValue)
	h.code(AddPermission{Queue: testQueue, Label: "x", Actions: []string{"SendMessage"}}, CodeMissingParameter)
	h.ok(AddPermission{Queue: testQueue, Label: "recv", Accounts: []string{"111122223333", "444455556666"}, Actions: []string{"ReceiveMessage", "DeleteMessage"}})
	var doc struct {
		Version   string
		Id        string
		Statement []struct {
			Sid       string
			Effect    string
			Principal struct{ AWS []string }
			Action    []string
			Resource  string
		}
	}
	if err := json.Unmarshal([]byte(h.attr(testQueue, AttrPolicy)), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2012-10-17" || len(doc.Statement) != 2 || doc.Statement[1].Sid != "recv" ||
		doc.Statement[1].Principal.AWS[1] != "arn:aws:iam::444455556666:root" || doc.Statement[1].Action[0] != "SQS:ReceiveMessage" ||
		doc.Statement[0].Resource != testQueue.ARN() {
		t.Fatalf("policy: %+v", doc)
	}
	h.ok(RemovePermission{Queue: testQueue, Label: "send"})
	h.code(RemovePermission{Queue: testQueue, Label: "send"}, CodeInvalidParameterValue)
	h.ok(RemovePermission{Queue: testQueue, Label: "recv"})
	if p := h.attr(testQueue, AttrPolicy); p != "" {
		t.Fatalf("policy after removing every statement: %s", p)
	}
}

func TestMoveTask(t *testing.T) {
	h := newHarness(t)
	src, dlq, other := queueKey("src"), queueKey("dlq"), queueKey("other")
	h.ok(CreateQueue{Queue: dlq})
	h.ok(CreateQueue{Queue: other})
	h.ok(CreateQueue{Queue: src, Attributes: map[string]string{AttrRedrivePolicy: `{"deadLetterTargetArn":"` + dlq.ARN() + `","maxReceiveCount":1}`}})
	h.code(StartMoveTask{TaskID: "t0", Source: other.ARN()}, CodeInvalidParameterValue)
	h.send(src, "a", "b", "c")
	h.receive(src, 10, 1)
	h.now += 2000
	h.receive(src, 10, 1) // moves all three to the DLQ
	if st := h.f.QueueStats(h.now); st[0].Visible != 3 {
		t.Fatalf("dead-letter queue: %+v", st)
	}
	handle := h.ok(StartMoveTask{TaskID: "t1", Source: dlq.ARN(), Rate: 2}).(string)
	h.code(StartMoveTask{TaskID: "t2", Source: dlq.ARN()}, CodeInvalidParameterValue)
	h.send(dlq, "late") // after the start: not moved
	if n := h.ok(MoveMessages{TaskID: "t1", Max: 2}); n != 2 {
		t.Fatalf("first step moved %v", n)
	}
	tasks, _ := h.f.ListMoveTasks(dlq.ARN(), 10)
	if len(tasks) != 1 || tasks[0].Status != MoveTaskRunning || tasks[0].Moved != 2 || tasks[0].ToMove != 3 || tasks[0].TaskHandle != handle {
		t.Fatalf("task after a step: %+v", tasks)
	}
	h.ok(MoveMessages{TaskID: "t1", Max: 2})
	tasks, _ = h.f.ListMoveTasks(dlq.ARN(), 10)
	if tasks[0].Status != MoveTaskCompleted || tasks[0].Moved != 3 {
		t.Fatalf("task at the end: %+v", tasks)
	}
	got := h.receive(src, 10, 30)
	if len(got) != 3 || got[0].ReceiveCount != 1 || got[0].DeadLetterSourceArn != "" {
		t.Fatalf("moved back to the source: %+v", got)
	}
	if left := h.receive(dlq, 10, 30); len(left) != 1 || left[0].Body != "late" {
		t.Fatalf("left in the DLQ: %+v", left)
	}
	// A second task to an explicit destination, cancelled midway.
	h.now += 31_000
	handle = h.ok(StartMoveTask{TaskID: "t3", Source: dlq.ARN(), Destination: other.ARN()}).(string)
	v := h.ok(CancelMoveTask{TaskHandle: handle}).(MoveTaskView)
	if v.Status != MoveTaskCancelled {
		t.Fatalf("cancel: %+v", v)
	}
	h.code(CancelMoveTask{TaskHandle: handle}, CodeInvalidParameterValue)
	h.code(CancelMoveTask{TaskHandle: "nope"}, "ResourceNotFoundException")
	if n := h.ok(MoveMessages{TaskID: "t3", Max: 10}); n != 0 {
		t.Fatal("a cancelled task moved messages")
	}
}
