package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wharfmq/wharf/client"
)

func TestSubscriptionRef(t *testing.T) {
	arn := "arn:aws:sns:us-east-1:000000000000:orders:0f6c9b1e"
	topic, sub, err := subscriptionRef([]string{arn})
	if err != nil || topic != "orders" || sub != arn {
		t.Fatalf("%q %q %v", topic, sub, err)
	}
	topic, sub, err = subscriptionRef([]string{"orders", "0f6c9b1e"})
	if err != nil || topic != "orders" || sub != "0f6c9b1e" {
		t.Fatalf("%q %q %v", topic, sub, err)
	}
	for _, bad := range []string{"0f6c9b1e", "arn:aws:sns:us-east-1:000000000000:orders", "arn:aws:sqs:us-east-1:000000000000:q:x"} {
		if _, _, err := subscriptionRef([]string{bad}); exitCode(err) != exitUsage {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestSubscriptionTable(t *testing.T) {
	subs := []client.Subscription{
		{ID: "a1", Topic: "orders", Protocol: "sqs", Endpoint: "arn:aws:sqs:us-east-1:000000000000:q",
			Attributes: map[string]string{"RawMessageDelivery": "true", "FilterPolicy": `{"kind": ["new"]}`}},
		{ID: "b2", Topic: "orders", Protocol: "https", Endpoint: "https://h/x", Pending: true},
	}
	var b bytes.Buffer
	if err := subscriptionTable(&b, subs, true); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "TOPIC ID PROTOCOL ENDPOINT STATUS RAW FILTER-POLICY" {
		t.Fatalf("table:\n%s", b.String())
	}
	if f := strings.Fields(lines[1]); f[0] != "orders" || f[1] != "a1" || f[4] != "confirmed" || f[5] != "yes" || !strings.HasPrefix(f[6], `{"kind":`) {
		t.Fatalf("row 1: %q", lines[1])
	}
	if f := strings.Fields(lines[2]); f[4] != "pending" || f[5] != "no" || f[6] != "-" {
		t.Fatalf("row 2: %q", lines[2])
	}
}
