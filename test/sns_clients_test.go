package test

// SNS through real clients: boto3 (py/sns_boto3.py) through a follower and
// through the leader, and the AWS CLI through a follower.

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestSNSBoto3(t *testing.T) {
	requireTool(t, python(), "-c", "import boto3")
	c := shared(t)
	for target, ep := range targets(t, c) {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			runPython(t, "sns_boto3.py", ep, uniq("sns-"+target))
		})
	}
}

// awsService runs `aws --endpoint-url ep --output json SERVICE ARGS...`.
func awsService(t *testing.T, ep, service string, args ...string) (map[string]any, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	full := append([]string{"--endpoint-url", ep, "--output", "json", service}, args...)
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
			t.Errorf("aws %s %s: output is not JSON: %v: %s", service, strings.Join(args, " "), jerr, s)
		}
	}
	return doc, stderr.String(), err
}

func mustAWS(t *testing.T, ep, service string, args ...string) map[string]any {
	t.Helper()
	doc, stderr, err := awsService(t, ep, service, args...)
	if err != nil {
		t.Fatalf("aws %s %s: %v\n%s", service, strings.Join(args, " "), err, stderr)
	}
	return doc
}

func TestSNSAWSCLI(t *testing.T) {
	requireTool(t, "aws", "--version")
	c := shared(t)
	ep := c.Endpoint(c.Follower(t))
	name := uniq("cli-sns")

	queues := map[string]string{} // queue name -> URL
	arns := map[string]string{}   // queue name -> ARN
	for _, q := range []string{name + "-env", name + "-raw"} {
		queues[q] = str(mustAWS(t, ep, "sqs", "create-queue", "--queue-name", q)["QueueUrl"])
		attrs, _ := mustAWS(t, ep, "sqs", "get-queue-attributes", "--queue-url", queues[q], "--attribute-names", "QueueArn")["Attributes"].(map[string]any)
		arns[q] = str(attrs["QueueArn"])
	}

	topic := str(mustAWS(t, ep, "sns", "create-topic", "--name", name)["TopicArn"])
	if want := "arn:aws:sns:" + testRegion + ":" + testAccount + ":" + name; topic != want {
		t.Fatalf("create-topic TopicArn = %q, want %q", topic, want)
	}
	if again := str(mustAWS(t, ep, "sns", "create-topic", "--name", name)["TopicArn"]); again != topic {
		t.Errorf("create-topic again = %q, want %q", again, topic)
	}
	listed := false
	for _, tp := range asList(mustAWS(t, ep, "sns", "list-topics")["Topics"]) {
		listed = listed || str(asMap(tp)["TopicArn"]) == topic
	}
	if !listed {
		t.Errorf("list-topics does not list %s", topic)
	}

	envSub := str(mustAWS(t, ep, "sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs",
		"--notification-endpoint", arns[name+"-env"])["SubscriptionArn"])
	rawSub := str(mustAWS(t, ep, "sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs",
		"--notification-endpoint", arns[name+"-raw"], "--attributes", "RawMessageDelivery=true")["SubscriptionArn"])
	if !strings.HasPrefix(envSub, topic+":") || !strings.HasPrefix(rawSub, topic+":") || envSub == rawSub {
		t.Fatalf("subscribe answered %q and %q", envSub, rawSub)
	}
	got := map[string]string{}
	for _, s := range asList(mustAWS(t, ep, "sns", "list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"]) {
		m := asMap(s)
		got[str(m["SubscriptionArn"])] = str(m["Protocol"]) + " " + str(m["Endpoint"])
	}
	want := map[string]string{envSub: "sqs " + arns[name+"-env"], rawSub: "sqs " + arns[name+"-raw"]}
	if len(got) != 2 || got[envSub] != want[envSub] || got[rawSub] != want[rawSub] {
		t.Errorf("list-subscriptions-by-topic = %v, want %v", got, want)
	}
	attrs := asMap(mustAWS(t, ep, "sns", "get-subscription-attributes", "--subscription-arn", rawSub)["Attributes"])
	if str(attrs["RawMessageDelivery"]) != "true" {
		t.Errorf("get-subscription-attributes RawMessageDelivery = %v", attrs["RawMessageDelivery"])
	}

	msgID := str(mustAWS(t, ep, "sns", "publish", "--topic-arn", topic, "--message", "hello from the cli",
		"--subject", "CLI", "--message-attributes", `{"k":{"DataType":"String","StringValue":"v"}}`)["MessageId"])
	if msgID == "" {
		t.Fatal("publish returned no MessageId")
	}
	receive := func(q string) map[string]any {
		t.Helper()
		msgs := asList(mustAWS(t, ep, "sqs", "receive-message", "--queue-url", queues[q], "--wait-time-seconds", "5",
			"--message-attribute-names", "All")["Messages"])
		if len(msgs) != 1 {
			t.Fatalf("receive-message from %s: %d messages, want 1", q, len(msgs))
		}
		return asMap(msgs[0])
	}
	m := receive(name + "-env")
	var env map[string]any
	if err := json.Unmarshal([]byte(str(m["Body"])), &env); err != nil {
		t.Fatalf("envelope subscriber body is not JSON: %v: %s", err, m["Body"])
	}
	if env["Type"] != "Notification" || env["MessageId"] != msgID || env["TopicArn"] != topic ||
		env["Subject"] != "CLI" || env["Message"] != "hello from the cli" {
		t.Errorf("envelope = %v", env)
	}
	if ma := asMap(env["MessageAttributes"]); str(asMap(ma["k"])["Value"]) != "v" {
		t.Errorf("envelope MessageAttributes = %v", env["MessageAttributes"])
	}
	m = receive(name + "-raw")
	if str(m["Body"]) != "hello from the cli" || str(m["MD5OfBody"]) != md5Hex("hello from the cli") {
		t.Errorf("raw subscriber got %v", m)
	}
	if ma := asMap(m["MessageAttributes"]); str(asMap(ma["k"])["StringValue"]) != "v" {
		t.Errorf("raw subscriber MessageAttributes = %v", m["MessageAttributes"])
	}

	mustAWS(t, ep, "sns", "delete-topic", "--topic-arn", topic)
	for _, args := range [][]string{
		{"get-topic-attributes", "--topic-arn", topic},
		{"list-subscriptions-by-topic", "--topic-arn", topic},
		{"publish", "--topic-arn", topic, "--message", "gone"},
	} {
		if _, stderr, err := awsService(t, ep, "sns", args...); err == nil || !strings.Contains(stderr, "NotFound") {
			t.Errorf("aws sns %s after delete-topic: err %v, stderr %q; want a NotFound error", args[0], err, stderr)
		}
	}
	if _, stderr, err := awsService(t, ep, "sns", "get-subscription-attributes", "--subscription-arn", envSub); err == nil || !strings.Contains(stderr, "NotFound") {
		t.Errorf("get-subscription-attributes after delete-topic: err %v, stderr %q; want NotFound", err, stderr)
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
