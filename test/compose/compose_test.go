package compose

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// composeCommand returns the compose CLI available here.
func composeCommand() ([]string, bool) {
	if _, err := exec.LookPath("docker-compose"); err == nil {
		return []string{"docker-compose"}, true
	}
	if exec.Command("docker", "compose", "version").Run() == nil {
		return []string{"docker", "compose"}, true
	}
	return nil, false
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitFor polls cond until it returns nil or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: timed out: %v", what, err)
		}
		<-time.After(100 * time.Millisecond)
	}
}

func sqsClient(endpoint string) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

func TestComposeClusterServes(t *testing.T) {
	if exec.Command("docker", "info").Run() != nil {
		t.Skip("docker is not available")
	}
	compose, ok := composeCommand()
	if !ok {
		t.Skip("docker-compose is not available")
	}
	root, _ := filepath.Abs("../..")
	run(t, root, []string{"CGO_ENABLED=0"}, "go", "build", "-o", "bin/wharf", "./cmd/wharf")
	run(t, root, nil, "docker", "build", "-q", "-t", "wharf:dev", ".")

	project := fmt.Sprintf("wharftest%d", os.Getpid())
	ports := []int{freePort(t), freePort(t), freePort(t)}
	env := []string{
		"WHARF_PORT_1=" + strconv.Itoa(ports[0]),
		"WHARF_PORT_2=" + strconv.Itoa(ports[1]),
		"WHARF_PORT_3=" + strconv.Itoa(ports[2]),
	}
	args := func(a ...string) []string {
		return append(append(append([]string{}, compose[1:]...), "-p", project), a...)
	}
	t.Cleanup(func() {
		cmd := exec.Command(compose[0], args("down", "-v", "--remove-orphans")...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("compose down: %v\n%s", err, out)
		}
	})
	run(t, root, env, compose[0], args("up", "-d")...)

	endpoints := make([]string, 3)
	for i, p := range ports {
		endpoints[i] = "http://127.0.0.1:" + strconv.Itoa(p)
	}
	for _, ep := range endpoints {
		waitFor(t, 60*time.Second, ep+" ready", func() error {
			resp, err := http.Get(ep + "/readyz")
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return errors.New(resp.Status)
			}
			return nil
		})
	}

	ctx := context.Background()
	created, err := sqsClient(endpoints[0]).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("compose")})
	if err != nil {
		t.Fatal(err)
	}
	if want := endpoints[0] + "/000000000000/compose"; *created.QueueUrl != want {
		t.Fatalf("queue URL %s, want %s (the host the client used)", *created.QueueUrl, want)
	}
	url := *created.QueueUrl
	if _, err := sqsClient(endpoints[1]).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("through n2")}); err != nil {
		t.Fatal(err)
	}
	got, err := sqsClient(endpoints[2]).ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 5})
	if err != nil || len(got.Messages) != 1 || *got.Messages[0].Body != "through n2" {
		t.Fatalf("receive through n3: %v %+v", err, got)
	}

	// Kill one container: the other two keep accepting writes.
	run(t, root, env, compose[0], args("kill", "-s", "KILL", "n1")...)
	waitFor(t, 30*time.Second, "write after killing n1", func() error {
		_, err := sqsClient(endpoints[1]).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("after kill")})
		return err
	})
}
