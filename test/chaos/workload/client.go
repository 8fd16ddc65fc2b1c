//go:build chaos

package workload

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wharfmq/wharf/test/chaos/history"
)

// Endpoints are the nodes' API base URLs, by node ID, in a stable order.
type Endpoints struct {
	Nodes []string
	URLs  map[string]string
}

// Clients holds one SQS and one SNS client per node.
type Clients struct {
	eps Endpoints
	sqs map[string]*sqs.Client
	sns map[string]*sns.Client
}

// NewClients builds a client per node: no SDK retries, a short dial
// timeout; callers bound each call with a context.
func NewClients(eps Endpoints) *Clients {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	c := &Clients{eps: eps, sqs: map[string]*sqs.Client{}, sns: map[string]*sns.Client{}}
	creds := credentials.NewStaticCredentialsProvider("chaos", "chaos", "")
	for _, n := range eps.Nodes {
		c.sqs[n] = sqs.New(sqs.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(eps.URLs[n]),
			Credentials:  creds,
			HTTPClient:   &http.Client{Transport: tr},
			Retryer:      aws.NopRetryer{},
		})
		c.sns[n] = sns.New(sns.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(eps.URLs[n]),
			Credentials:  creds,
			HTTPClient:   &http.Client{Transport: tr},
			Retryer:      aws.NopRetryer{},
		})
	}
	return c
}

// SNS returns the SNS client of node.
func (c *Clients) SNS(node string) *sns.Client { return c.sns[node] }

// On returns the client of node.
func (c *Clients) On(node string) *sqs.Client { return c.sqs[node] }

// Nodes are the node IDs.
func (c *Clients) Nodes() []string { return c.eps.Nodes }

// Classify maps an SDK error to an outcome: nil is ok, an HTTP 4xx a
// failure, anything else (5xx, timeout, connection error) unknown.
func Classify(err error) (history.Outcome, string) {
	if err == nil {
		return history.OK, ""
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		if s := re.HTTPStatusCode(); s >= 400 && s < 500 {
			return history.Fail, trim(err.Error())
		}
		return history.Unknown, trim(err.Error())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return history.Unknown, "timeout"
	}
	return history.Unknown, trim(err.Error())
}

func trim(s string) string {
	if len(s) > 240 {
		return s[:240] + "..."
	}
	return s
}

// Outcome sets op's outcome, error and NotApplied from an SDK error.
func Outcome(op *history.Op, err error) {
	op.Outcome, op.Err = Classify(err)
	if op.Outcome != history.Unknown {
		return
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusServiceUnavailable {
		op.NotApplied = true
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		op.NotApplied = true
	}
}

// rotor picks a node, moving to the next one after a failure, so that
// traffic spreads and a dead node is left quickly.
type rotor struct {
	nodes []string
	i     int
}

func (r *rotor) node() string { return r.nodes[r.i%len(r.nodes)] }
func (r *rotor) next()        { r.i++ }
