package test

// boto3 (both protocols, through the scripts in py/) and the AWS CLI
// against the shared cluster, through a follower and through the leader.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requireTool skips the test when a client is missing locally; in CI
// (CI set) a missing client is a failure: .ci/run installs them.
func requireTool(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err == nil {
		return
	}
	msg := name + " " + strings.Join(args, " ") + ": " + err.Error() + ": " + strings.TrimSpace(string(out))
	if os.Getenv("CI") != "" {
		t.Fatalf("required client missing in CI: %s", msg)
	}
	t.Skipf("client missing: %s", msg)
}

// targets returns the leader's and a follower's endpoint.
func targets(t *testing.T, c *Cluster) map[string]string {
	l := c.Leader(t)
	return map[string]string{"leader": c.Endpoint(l), "follower": c.Endpoint((l + 1) % len(c.Nodes))}
}

// python is the interpreter with boto3: $WHARF_PYTHON, else python3.
func python() string {
	if p := os.Getenv("WHARF_PYTHON"); p != "" {
		return p
	}
	return "python3"
}

func runPython(t *testing.T, script, endpoint, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python(), filepath.Join("py", script))
	cmd.Env = append(os.Environ(),
		"WHARF_ENDPOINT="+endpoint,
		"WHARF_PREFIX="+prefix,
		"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
		"PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1",
	)
	out, err := cmd.CombinedOutput()
	t.Logf("%s against %s:\n%s", script, endpoint, out)
	if err != nil {
		t.Errorf("%s failed: %v", script, err)
	}
}

func TestBoto3JSON(t *testing.T) {
	requireTool(t, python(), "-c", "import boto3")
	c := shared(t)
	for target, ep := range targets(t, c) {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			runPython(t, "sqs_boto3.py", ep, uniq("boto-"+target))
		})
	}
}

func TestQueryProtocol(t *testing.T) {
	requireTool(t, python(), "-c", "import botocore")
	c := shared(t)
	for target, ep := range targets(t, c) {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			runPython(t, "sqs_query.py", ep, uniq("query-"+target))
		})
	}
}

// awsCLI runs `aws --endpoint-url ep --output json sqs ARGS...`.
func awsCLI(t *testing.T, ep string, args ...string) (map[string]any, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	full := append([]string{"--endpoint-url", ep, "--output", "json", "sqs"}, args...)
	cmd := exec.CommandContext(ctx, "aws", full...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent", "AWS_PAGER=",
	)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var doc map[string]any
	if s := strings.TrimSpace(stdout.String()); s != "" {
		if jerr := json.Unmarshal([]byte(s), &doc); jerr != nil && err == nil {
			t.Errorf("aws %s: output is not JSON: %v: %s", strings.Join(args, " "), jerr, s)
		}
	}
	return doc, stderr.String(), err
}

func mustCLI(t *testing.T, ep string, args ...string) map[string]any {
	t.Helper()
	doc, stderr, err := awsCLI(t, ep, args...)
	if err != nil {
		t.Fatalf("aws sqs %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return doc
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func TestAWSCLI(t *testing.T) {
	requireTool(t, "aws", "--version")
	c := shared(t)
	for target, ep := range targets(t, c) {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			name := uniq("cli-" + target)
			doc := mustCLI(t, ep, "create-queue", "--queue-name", name, "--attributes", "VisibilityTimeout=40,DelaySeconds=0")
			url := str(doc["QueueUrl"])
			if want := ep + "/" + testAccount + "/" + name; url != want {
				t.Fatalf("create-queue QueueUrl = %q, want %q", url, want)
			}
			doc = mustCLI(t, ep, "list-queues", "--queue-name-prefix", name)
			if urls, _ := doc["QueueUrls"].([]any); len(urls) != 1 || str(urls[0]) != url {
				t.Errorf("list-queues = %v, want [%s]", doc, url)
			}
			doc = mustCLI(t, ep, "send-message", "--queue-url", url, "--message-body", "hello from the cli",
				"--message-attributes", `{"k":{"DataType":"String","StringValue":"v"}}`)
			msgID := str(doc["MessageId"])
			if msgID == "" || str(doc["MD5OfMessageBody"]) != md5Hex("hello from the cli") {
				t.Errorf("send-message output = %v", doc)
			}
			if got := str(doc["MD5OfMessageAttributes"]); got == "" {
				t.Errorf("send-message with attributes: no MD5OfMessageAttributes in %v", doc)
			}
			doc = mustCLI(t, ep, "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")
			attrs, _ := doc["Attributes"].(map[string]any)
			if str(attrs["VisibilityTimeout"]) != "40" || str(attrs["ApproximateNumberOfMessages"]) != "1" {
				t.Errorf("get-queue-attributes = %v, want VisibilityTimeout 40 and 1 message", attrs)
			}
			doc = mustCLI(t, ep, "receive-message", "--queue-url", url, "--wait-time-seconds", "5",
				"--attribute-names", "All", "--message-attribute-names", "All", "--max-number-of-messages", "10")
			msgs, _ := doc["Messages"].([]any)
			if len(msgs) != 1 {
				t.Fatalf("receive-message = %v, want one message", doc)
			}
			m, _ := msgs[0].(map[string]any)
			if str(m["Body"]) != "hello from the cli" || str(m["MessageId"]) != msgID {
				t.Errorf("received %v", m)
			}
			if ma, _ := m["MessageAttributes"].(map[string]any); ma == nil || ma["k"] == nil {
				t.Errorf("received message attributes = %v", m["MessageAttributes"])
			}
			mustCLI(t, ep, "delete-message", "--queue-url", url, "--receipt-handle", str(m["ReceiptHandle"]))
			doc = mustCLI(t, ep, "get-queue-attributes", "--queue-url", url,
				"--attribute-names", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
			attrs, _ = doc["Attributes"].(map[string]any)
			if str(attrs["ApproximateNumberOfMessages"]) != "0" || str(attrs["ApproximateNumberOfMessagesNotVisible"]) != "0" {
				t.Errorf("after delete-message: %v, want 0 and 0", attrs)
			}
			mustCLI(t, ep, "send-message", "--queue-url", url, "--message-body", "purge me")
			mustCLI(t, ep, "purge-queue", "--queue-url", url)
			WaitFor(t, 15*time.Second, func() error {
				doc := mustCLI(t, ep, "get-queue-attributes", "--queue-url", url, "--attribute-names", "ApproximateNumberOfMessages")
				attrs, _ := doc["Attributes"].(map[string]any)
				if str(attrs["ApproximateNumberOfMessages"]) != "0" {
					return errorf("after purge-queue: %v", attrs)
				}
				return nil
			})
			mustCLI(t, ep, "delete-queue", "--queue-url", url)
			_, stderr, err := awsCLI(t, ep, "get-queue-url", "--queue-name", name)
			if err == nil || !strings.Contains(stderr, "AWS.SimpleQueueService.NonExistentQueue") {
				t.Errorf("get-queue-url after delete-queue: err %v, stderr %q; want a NonExistentQueue error", err, stderr)
			}
		})
	}
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
