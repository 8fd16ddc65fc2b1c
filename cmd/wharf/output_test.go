package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wharfmq/wharf/client"
)

func TestExitCodes(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{errors.New(`unknown flag: --x`), exitUsage}, // cobra's errors are not classified
		{usageErr("bad"), exitUsage},
		{classify(&client.Error{Code: "QueueDoesNotExist", Status: 404}), exitNotFound},
		{classify(fmt.Errorf("wrapped: %w", &client.Error{Code: "QueueDoesNotExist", Status: 404})), exitNotFound},
		{classify(&client.Error{Code: "ServiceUnavailable", Retryable: true}), exitUnavailable},
		{classify(&client.Error{Code: "InternalError", Status: 500, Retryable: true}), exitUnavailable},
		{classify(fmt.Errorf("gave up: %w", context.DeadlineExceeded)), exitUnavailable},
		{classify(&client.Error{Code: "InvalidParameterValueException", Status: 400}), exitUsage},
		{classify(&client.Error{Code: "ReceiptHandleIsInvalid", Status: 400}), exitUsage},
		{classify(&client.Error{Code: "QueueNameExists", Status: 409}), exitServer},
		{classify(&client.Error{Code: "PurgeQueueInProgress", Status: 409}), exitServer},
		{classify(errors.New("something else")), exitServer},
	}
	for i, c := range cases {
		if got := exitCode(c.err); got != c.want {
			t.Errorf("case %d (%v): exit %d, want %d", i, c.err, got, c.want)
		}
	}
	if classify(nil) != nil {
		t.Fatal("classify(nil)")
	}
	e := classify(&client.Error{Code: "X", Message: "m", Status: 409})
	if strings.HasPrefix(e.Error(), "wharf: ") {
		t.Fatalf("the message keeps the client's prefix: %q", e.Error())
	}
}

func TestParseKV(t *testing.T) {
	m, err := parseKV("attr", []string{"A=1", "B=x=y", "C="})
	if err != nil || m["A"] != "1" || m["B"] != "x=y" || m["C"] != "" {
		t.Fatalf("%v %v", m, err)
	}
	if _, err := parseKV("attr", []string{"novalue"}); exitCode(err) != exitUsage {
		t.Fatal(err)
	}
	if m, _ := parseKV("attr", nil); m != nil {
		t.Fatal(m)
	}
}

func TestReadBodies(t *testing.T) {
	b, _ := readBodies(strings.NewReader("one\ntwo\n"), false)
	if len(b) != 1 || b[0] != "one\ntwo" {
		t.Fatalf("%q", b)
	}
	b, _ = readBodies(strings.NewReader("one\r\n\ntwo"), true)
	if len(b) != 2 || b[0] != "one" || b[1] != "two" {
		t.Fatalf("%q", b)
	}
	if b, _ := readBodies(strings.NewReader(""), false); len(b) != 0 {
		t.Fatalf("%q", b)
	}
	if got := oneLine("a\nb\tc"+strings.Repeat("x", 100), 20); got != `a\nb\tcxxxxxxxxxx...` {
		t.Fatalf("%q", got)
	}
}
