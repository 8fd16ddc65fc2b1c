package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"

	"github.com/labstack/echo/v4"

	"github.com/wharfmq/wharf/node"
)

// callKey keys the *call in a request's context.
type callKey struct{}

// bodyKey keys the buffered request body in the Echo context.
const bodyKey = "wharf.body"

// callFrom returns the call of a request prepared by prepareSQS.
func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// prepareSQS stamps a request ID and reads the request-wide facts (protocol,
// host, region, credentials) into the request's context.
func (s *Server) prepareSQS(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		r := ec.Request()
		c := newCall(r, &s.cfg, node.RandomUUID())
		ec.SetRequest(r.WithContext(context.WithValue(r.Context(), callKey{}, c)))
		return next(ec)
	}
}

// recoverSQS turns a panic into a 500 InternalError in the caller's
// protocol, so a bug never drops the connection without an answer.
func (s *Server) recoverSQS(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) (err error) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				c := callFrom(ec.Request().Context())
				s.log.Error("panic in SQS handler", "action", c.action, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if !ec.Response().Committed {
					writeError(ec.Response(), c.proto, c.requestID, errf(codeInternal, "We encountered an internal error. Please try again."))
				}
				err = nil
			}
		}()
		return next(ec)
	}
}

// readBody buffers the request body, up to the configured cap, so the
// handlers can decode it and the forwarder can replay it.
func (s *Server) readBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		r := ec.Request()
		c := callFrom(r.Context())
		if r.ContentLength > s.cfg.MaxBodyBytes {
			s.answerError(ec.Response(), c, tooLarge(s.cfg.MaxBodyBytes))
			return nil
		}
		body, err := io.ReadAll(http.MaxBytesReader(ec.Response(), r.Body, s.cfg.MaxBodyBytes))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				s.answerError(ec.Response(), c, tooLarge(s.cfg.MaxBodyBytes))
			} else {
				s.answerError(ec.Response(), c, errf(codeInvalidParam, "Could not read the request body: %s", err.Error()))
			}
			return nil
		}
		ec.Set(bodyKey, body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		return next(ec)
	}
}

// tooLarge is the error for a body over the cap.
func tooLarge(limit int64) *apiError {
	return errf(codeInvalidParam, "The request body is larger than the limit of %d bytes.", limit)
}

// answerError writes an error in the caller's protocol and logs the
// service's own failures.
func (s *Server) answerError(w http.ResponseWriter, c *call, err error) {
	ae := toAPIError(err)
	if ae.isServerError() {
		s.log.Warn("SQS request failed", "action", c.action, "code", ae.Code, "err", err)
	}
	writeError(w, c.proto, c.requestID, ae)
}

// handleEchoError answers the errors Echo itself raises (unknown route,
// method not allowed): in the caller's AWS protocol on the SQS paths, as
// text on the admin ones.
func (s *Server) handleEchoError(err error, ec echo.Context) {
	if ec.Response().Committed {
		return
	}
	r := ec.Request()
	status := http.StatusInternalServerError
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
	}
	if isRESTPath(r.URL.Path) {
		writeError(ec.Response(), protoREST, node.RandomUUID(), restRouteError(r.Method, r.URL.Path, status))
		return
	}
	if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
		_ = ec.String(status, http.StatusText(status))
		return
	}
	code := codeUnknownOperation
	if status >= 500 {
		code = codeInternal
	}
	writeError(ec.Response(), protocolOf(r), node.RandomUUID(), errf(code, "%s %s: %s", r.Method, r.URL.Path, http.StatusText(status)))
}
