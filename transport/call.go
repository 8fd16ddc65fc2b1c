package transport

import (
	"net/http"
	"strings"

	"github.com/wharfmq/wharf/fsm"
)

// protocol is the AWS wire protocol of one request.
type protocol int

const (
	protoQuery protocol = iota // form-encoded Action=..., XML answers
	protoJSON                  // AWS JSON 1.0, X-Amz-Target
	protoREST                  // the native REST API under /v1 (rest.go)
	protoSNS                   // SNS: the query protocol with SNS's namespace and codes
)

// protocolOf decides the protocol of a request: a path under /v1 is the
// native REST API, a request that names an X-Amz-Target speaks JSON,
// anything else the query protocol.
func protocolOf(r *http.Request) protocol {
	if isRESTPath(r.URL.Path) {
		return protoREST
	}
	if r.Header.Get("X-Amz-Target") != "" {
		return protoJSON
	}
	return protoQuery
}

// call is what the handlers know about one SQS request besides its
// parameters: who sent it, through which host, in which region.
type call struct {
	proto     protocol
	requestID string
	action    string
	scheme    string // of the queue URLs we build
	host      string // Host header the client used
	region    string
	accessKey string // from the SigV4 credential, "" when unsigned
	service   string // the SigV4 credential's service (sqs, sns), "" when unsigned
	account   string // the default account (Config.AccountID)
}

// newCall reads the request-wide facts of a request.
func newCall(r *http.Request, cfg *Config, requestID string) *call {
	c := &call{
		proto:     protocolOf(r),
		requestID: requestID,
		scheme:    "http",
		host:      r.Host,
		region:    cfg.Region,
		account:   cfg.AccountID,
	}
	if r.TLS != nil {
		c.scheme = "https"
	}
	if ak, region, service := credentialScope(r); region != "" || ak != "" {
		c.accessKey = ak
		c.service = service
		if region != "" {
			c.region = region
		}
	}
	return c
}

// queueURL builds the URL of a queue as the client reaches this cluster.
func (c *call) queueURL(account, name string) string {
	return c.scheme + "://" + c.host + "/" + account + "/" + name
}

// queueKey resolves a QueueUrl parameter to the queue it names.
func (c *call) queueKey(queueURL string) (fsm.QueueKey, error) {
	if queueURL == "" {
		return fsm.QueueKey{}, missing("QueueUrl")
	}
	account, name, ok := parseQueueURL(queueURL)
	if !ok {
		return fsm.QueueKey{}, errf(fsm.CodeInvalidAddress, "The address %s is not valid for this endpoint.", queueURL)
	}
	return fsm.QueueKey{Region: c.region, Account: account, Name: name}, nil
}

// senderID is the SenderId stamped on messages sent by this call.
func (c *call) senderID() string {
	if c.accessKey != "" {
		return c.accessKey
	}
	return c.account
}

// parseQueueURL takes the account and queue name out of a queue URL,
// whatever its scheme and host: only the path "/<account>/<name>" counts.
// A bare path is accepted too.
func parseQueueURL(s string) (account, name string, ok bool) {
	p := s
	if i := strings.Index(p, "://"); i >= 0 {
		p = p[i+3:]
		j := strings.IndexByte(p, '/')
		if j < 0 {
			return "", "", false
		}
		p = p[j:]
	}
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	p = strings.TrimPrefix(p, "/")
	p = strings.TrimSuffix(p, "/")
	account, name, found := strings.Cut(p, "/")
	if !found || account == "" || name == "" || strings.Contains(name, "/") {
		return "", "", false
	}
	return account, name, true
}

// credentialScope returns the access key ID, region and service of a SigV4
// credential, from the Authorization header or the X-Amz-Credential query
// parameter of a presigned request. Signatures are not checked.
func credentialScope(r *http.Request) (accessKey, region, service string) {
	cred := ""
	if auth := r.Header.Get("Authorization"); auth != "" {
		if i := strings.Index(auth, "Credential="); i >= 0 {
			cred = auth[i+len("Credential="):]
			if j := strings.IndexAny(cred, ", "); j >= 0 {
				cred = cred[:j]
			}
		}
	}
	if cred == "" {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	if cred == "" {
		return "", "", ""
	}
	// AKID/20240101/us-west-2/sqs/aws4_request
	parts := strings.Split(cred, "/")
	accessKey = parts[0]
	if len(parts) >= 3 {
		region = parts[2]
	}
	if len(parts) >= 4 {
		service = parts[3]
	}
	return accessKey, region, service
}
