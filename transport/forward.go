package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// headerForwarded marks a request a follower forwarded to the leader; a
// node that is not the leader answers such a request rather than
// forwarding it again.
const headerForwarded = "X-Wharf-Forwarded"

// headerNotApplied marks a 5xx answer given because the node was not the
// leader: nothing was applied, so the forwarding node may safely send the
// request again, to the new leader.
const headerNotApplied = "X-Wharf-Not-Applied"

// forwardToLeader sends SQS requests that reach a follower to the leader
// and relays the answer. While the cluster elects a leader (no leader, the
// leader unreachable before anything was sent, or the leader answering
// that it is not the leader any more) it waits, up to Config.LeaderWait,
// and tries again: those cases applied nothing. A forward cut after the
// request was sent has an unknown outcome and answers a retryable 5xx.
//
// The message commands (commandActions) are not forwarded: the follower
// decodes and validates them and the backend sends the typed command to
// the leader itself, with the same guarantees. Only when the backend says
// the leader cannot take commands that way (a node of an older build) are
// they forwarded here like the rest.
func (s *Server) forwardToLeader(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		b := s.cfg.Backend
		if b.IsLeader() {
			return next(ec)
		}
		r := ec.Request()
		c := callFrom(r.Context())
		if r.Header.Get(headerForwarded) != "" {
			s.answerError(ec.Response(), c, errf(codeNotLeader, "This node is not the leader (forwarded request); retry."))
			return nil
		}
		if commandActions[requestAction(ec, c)] && b.ForwardsCommands() {
			return next(ec)
		}
		body, _ := ec.Get(bodyKey).([]byte)
		deadline := time.Now().Add(s.cfg.LeaderWait)
		for attempt := 0; ; attempt++ {
			if attempt > 0 && !s.pause(r.Context(), attempt, deadline) {
				s.answerError(ec.Response(), c, errf(codeServiceUnavail, "The cluster has no reachable leader; retry."))
				return nil
			}
			addr, leader := s.waitForLeader(r.Context(), deadline)
			if leader {
				return next(ec)
			}
			if addr == "" {
				s.answerError(ec.Response(), c, errf(codeServiceUnavail, "The cluster has no leader; retry."))
				return nil
			}
			resp, err := s.forward(r, addr, body)
			if err != nil {
				if r.Context().Err() != nil {
					return nil // the client is gone
				}
				var oe *net.OpError
				if errors.As(err, &oe) && oe.Op == "dial" {
					continue // nothing was sent
				}
				s.log.Warn("forward to leader failed", "action", c.action, "leader", addr, "err", err)
				s.answerError(ec.Response(), c, errf(codeBadGateway, "The request to the leader failed; its outcome is unknown, retry."))
				return nil
			}
			if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get(headerNotApplied) != "" && time.Now().Before(deadline) {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				continue
			}
			relay(ec.Response(), resp)
			return nil
		}
	}
}

// commandActions are the actions (SQS, SNS and REST) whose backend
// operations reach the leader by themselves: SendMessages,
// ReceiveMessages, DeleteMessages, ChangeVisibility and Publish, and no
// other backend call (their handlers' checks of a queue or topic go
// through those operations too, with no entries).
var commandActions = map[string]bool{
	"SendMessage": true, "SendMessageBatch": true, "ReceiveMessage": true,
	"DeleteMessage": true, "DeleteMessageBatch": true,
	"ChangeMessageVisibility": true, "ChangeMessageVisibilityBatch": true,
	"Publish": true, "PublishBatch": true,
	"REST.SendMessage": true, "REST.SendMessageBatch": true, "REST.ReceiveMessage": true,
	"REST.DeleteMessageBatch": true, "REST.ChangeMessageVisibility": true,
	"REST.Publish": true, "REST.PublishBatch": true,
}

// requestAction names a request's action before its handler runs: REST
// routes are named already, JSON requests by X-Amz-Target, query requests
// by their Action parameter ("" when it cannot be read: the request is
// forwarded as it is).
func requestAction(ec echo.Context, c *call) string {
	r := ec.Request()
	switch c.proto {
	case protoREST:
		return c.action
	case protoJSON:
		name, _ := jsonAction(r.Header.Get("X-Amz-Target"))
		return name
	}
	body, _ := ec.Get(bodyKey).([]byte)
	params, err := queryParams(r.URL.RawQuery, r.Header.Get("Content-Type"), body)
	if err != nil {
		return ""
	}
	return params.Get("Action")
}

// pause waits before another forwarding attempt, with a backoff, and
// reports false when the deadline or the request ended first.
func (s *Server) pause(ctx context.Context, attempt int, deadline time.Time) bool {
	d := time.Duration(attempt) * 50 * time.Millisecond
	if d > 500*time.Millisecond {
		d = 500 * time.Millisecond
	}
	if time.Until(deadline) < d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// waitForLeader polls, with a short backoff and up to deadline, until
// this node becomes the leader or learns the leader's API address.
func (s *Server) waitForLeader(ctx context.Context, deadline time.Time) (addr string, isLeader bool) {
	b := s.cfg.Backend
	delay := 20 * time.Millisecond
	for {
		if b.IsLeader() {
			return "", true
		}
		if addr := b.LeaderAPIAddr(); addr != "" {
			return addr, false
		}
		left := time.Until(deadline)
		if left <= 0 {
			return "", false
		}
		t := time.NewTimer(min(delay, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return "", false
		case <-t.C:
		}
		delay = min(delay*2, 500*time.Millisecond)
	}
}

// forward sends the buffered request to the leader. It keeps every header
// (the SigV4 ones, and Host: the leader builds queue URLs from the host the
// client used). Long polls are allowed: no timeout but the request's own.
func (s *Server) forward(in *http.Request, addr string, body []byte) (*http.Response, error) {
	out, err := http.NewRequestWithContext(in.Context(), in.Method, "http://"+addr+in.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range in.Header {
		if !hopByHop[k] {
			out.Header[k] = v
		}
	}
	out.Host = in.Host
	out.Header.Set(headerForwarded, "1")
	return s.forwarder.Do(out)
}

// hopByHop are the headers that belong to one connection, not the request.
var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true,
	"Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// relay writes the leader's answer to the client.
func relay(w *echo.Response, resp *http.Response) {
	defer resp.Body.Close()
	for k, v := range resp.Header {
		if !hopByHop[k] {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// newForwarder is the HTTP client that talks to the leader.
func newForwarder() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 128,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
