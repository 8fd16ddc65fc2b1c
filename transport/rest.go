package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/wharfmq/wharf/fsm"
)

// The native REST API under /v1 (docs/rest-api.md, docs/openapi.yaml).
// It runs the same validation and backend operations as the SQS
// protocols and goes through the same middleware chain: request ID,
// recover, body cap and leader forwarding. Errors have one shape,
// {"error":{"code","message","retryable"}} (rest_errors.go).

// restPrefix is the path prefix of the native API.
const restPrefix = "/v1"

// isRESTPath reports whether a path belongs to the native API.
func isRESTPath(p string) bool {
	return p == restPrefix || strings.HasPrefix(p, restPrefix+"/")
}

// restRoute is one route of the native API.
type restRoute struct {
	method, path string
	action       string // for logs
	run          restHandler
	// local routes answer from this node's own view and are never
	// forwarded to the leader.
	local bool
}

// restHandler runs one REST call. It returns the HTTP status and the body
// to answer (nil: no body), or an error answered in the REST shape.
type restHandler func(s *Server, ctx context.Context, r *restRequest) (int, any, error)

// restRouteTable lists the /v1 routes this file registers; GET
// /v1/cluster/status and /v1/cluster/state-hash are registered by
// Server.routes. docs/openapi.yaml describes all of them
// (TestOpenAPIMatchesRoutes).
var restRouteTable = []restRoute{
	{method: http.MethodPost, path: "/v1/queues", action: "REST.CreateQueue", run: (*Server).restCreateQueue},
	{method: http.MethodGet, path: "/v1/queues", action: "REST.ListQueues", run: (*Server).restListQueues},
	{method: http.MethodGet, path: "/v1/queues/:name", action: "REST.GetQueue", run: (*Server).restGetQueue},
	{method: http.MethodPatch, path: "/v1/queues/:name", action: "REST.SetQueueAttributes", run: (*Server).restPatchQueue},
	{method: http.MethodDelete, path: "/v1/queues/:name", action: "REST.DeleteQueue", run: (*Server).restDeleteQueue},
	{method: http.MethodPost, path: "/v1/queues/:name/purge", action: "REST.PurgeQueue", run: (*Server).restPurgeQueue},
	{method: http.MethodPost, path: "/v1/queues/:name/messages", action: "REST.SendMessage", run: (*Server).restSend},
	{method: http.MethodGet, path: "/v1/queues/:name/messages", action: "REST.PeekMessages", run: (*Server).restPeek},
	{method: http.MethodPost, path: "/v1/queues/:name/messages/batch", action: "REST.SendMessageBatch", run: (*Server).restSendBatch},
	{method: http.MethodPost, path: "/v1/queues/:name/messages/receive", action: "REST.ReceiveMessage", run: (*Server).restReceive},
	{method: http.MethodPost, path: "/v1/queues/:name/messages/delete", action: "REST.DeleteMessageBatch", run: (*Server).restDeleteMessages},
	{method: http.MethodPost, path: "/v1/queues/:name/messages/visibility", action: "REST.ChangeMessageVisibility", run: (*Server).restChangeVisibility},
	{method: http.MethodPost, path: "/v1/topics", action: "REST.CreateTopic", run: (*Server).restCreateTopic},
	{method: http.MethodGet, path: "/v1/topics", action: "REST.ListTopics", run: (*Server).restListTopics},
	{method: http.MethodGet, path: "/v1/topics/:name", action: "REST.GetTopic", run: (*Server).restGetTopic},
	{method: http.MethodPatch, path: "/v1/topics/:name", action: "REST.SetTopicAttributes", run: (*Server).restPatchTopic},
	{method: http.MethodDelete, path: "/v1/topics/:name", action: "REST.DeleteTopic", run: (*Server).restDeleteTopic},
	{method: http.MethodPost, path: "/v1/topics/:name/subscriptions", action: "REST.Subscribe", run: (*Server).restSubscribe},
	{method: http.MethodGet, path: "/v1/topics/:name/subscriptions", action: "REST.ListSubscriptionsByTopic", run: (*Server).restListTopicSubscriptions},
	{method: http.MethodGet, path: "/v1/topics/:name/subscriptions/:id", action: "REST.GetSubscription", run: (*Server).restGetSubscription},
	{method: http.MethodPatch, path: "/v1/topics/:name/subscriptions/:id", action: "REST.SetSubscriptionAttributes", run: (*Server).restPatchSubscription},
	{method: http.MethodDelete, path: "/v1/topics/:name/subscriptions/:id", action: "REST.Unsubscribe", run: (*Server).restUnsubscribe},
	{method: http.MethodPost, path: "/v1/topics/:name/confirm", action: "REST.ConfirmSubscription", run: (*Server).restConfirmSubscription},
	{method: http.MethodPost, path: "/v1/topics/:name/publish", action: "REST.Publish", run: (*Server).restPublish},
	{method: http.MethodPost, path: "/v1/topics/:name/publish/batch", action: "REST.PublishBatch", run: (*Server).restPublishBatch},
	{method: http.MethodGet, path: "/v1/subscriptions", action: "REST.ListSubscriptions", run: (*Server).restListSubscriptions},
	{method: http.MethodGet, path: "/v1/cluster/members", action: "REST.ClusterMembers", run: (*Server).restMembers, local: true},
	{method: http.MethodPost, path: "/v1/cluster/leader/transfer", action: "REST.TransferLeadership", run: (*Server).restTransferLeader},
	{method: http.MethodDelete, path: "/v1/cluster/members/:id", action: "REST.RemoveMember", run: (*Server).restRemoveMember},
}

// restRoutes registers the native API on e. Unknown paths under /v1 get a
// REST error rather than falling through to the SQS catch-all routes.
func (s *Server) restRoutes(e *echo.Echo) {
	forwarded := []echo.MiddlewareFunc{s.prepareSQS, s.recoverSQS, s.readBody, s.forwardToLeader}
	local := []echo.MiddlewareFunc{s.prepareSQS, s.recoverSQS, s.readBody}
	for _, rt := range restRouteTable {
		mw := forwarded
		if rt.local {
			mw = local
		}
		// The action is named before forwarding, for the forwarder's logs.
		mw = append([]echo.MiddlewareFunc{mw[0], restAction(rt.action)}, mw[1:]...)
		e.Add(rt.method, rt.path, s.restHandle(rt), mw...)
	}
	e.Any(restPrefix, s.restNoRoute, local...)
	e.Any(restPrefix+"/*", s.restNoRoute, local...)
}

// restAction names the call's action (after prepareSQS made the call).
func restAction(action string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(ec echo.Context) error {
			callFrom(ec.Request().Context()).action = action
			return next(ec)
		}
	}
}

// restRequest is one REST call as its handler sees it.
type restRequest struct {
	ec   echo.Context
	c    *call
	body []byte
}

// restHandle adapts a restHandler to Echo: it answers the result as JSON
// or the error in the REST shape.
func (s *Server) restHandle(rt restRoute) echo.HandlerFunc {
	return func(ec echo.Context) error {
		r := ec.Request()
		c := callFrom(r.Context())
		body, _ := ec.Get(bodyKey).([]byte)
		rr := &restRequest{ec: ec, c: c, body: body}
		status, out, err := 0, any(nil), rr.applyRegion()
		if err == nil {
			status, out, err = rt.run(s, r.Context(), rr)
		}
		w := ec.Response()
		if err != nil {
			s.answerError(w, c, err)
			return nil
		}
		w.Header().Set(headerRequestID, c.requestID)
		if out == nil {
			w.WriteHeader(status)
			return nil
		}
		b, err := json.Marshal(out)
		if err != nil {
			s.answerError(w, c, err)
			return nil
		}
		w.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		w.WriteHeader(status)
		if _, err := w.Write(b); err != nil {
			s.log.Debug("writing REST response", "action", c.action, "err", err)
		}
		return nil
	}
}

// applyRegion applies the ?region= override to the call.
func (r *restRequest) applyRegion() error {
	region := r.ec.QueryParam("region")
	if region == "" {
		return nil
	}
	if !validRegion(region) {
		return invalidValue("region", region, "A region is 1 to 64 lowercase letters, digits and hyphens.")
	}
	r.c.region = region
	return nil
}

// validRegion checks a region name: 1-64 of [a-z0-9-].
func validRegion(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-') {
			return false
		}
	}
	return true
}

// restNoRoute answers a path under /v1 that no route serves: 405 when the
// path exists with other methods, 404 otherwise.
func (s *Server) restNoRoute(ec echo.Context) error {
	r := ec.Request()
	c := callFrom(r.Context())
	c.action = "REST.NoRoute"
	var allow []string
	for _, rt := range restRouteTable {
		if matchRoute(rt.path, r.URL.Path) {
			allow = append(allow, rt.method)
		}
	}
	status := http.StatusNotFound
	if len(allow) > 0 {
		status = http.StatusMethodNotAllowed
		ec.Response().Header().Set(echo.HeaderAllow, strings.Join(allow, ", "))
	}
	s.answerError(ec.Response(), c, restRouteError(r.Method, r.URL.Path, status))
	return nil
}

// matchRoute reports whether path matches an Echo route pattern made of
// static and :param segments.
func matchRoute(pattern, path string) bool {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if strings.HasPrefix(ps[i], ":") {
			if xs[i] == "" {
				return false
			}
			continue
		}
		if ps[i] != xs[i] {
			return false
		}
	}
	return true
}

// decode reads the JSON request body into v, strictly: a body that is not
// one JSON object, or that names a field the route does not know, is a
// SerializationException. An empty body leaves v at its zero value.
func (r *restRequest) decode(v any) error {
	body := bytes.TrimSpace(r.body)
	if len(body) == 0 {
		return nil
	}
	if !utf8.Valid(body) {
		return errf(codeSerialization, "The request body is not valid UTF-8.")
	}
	if body[0] != '{' {
		return errf(codeSerialization, "The request body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return errf(codeSerialization, "Unknown field %s in the request body.", field)
		}
		return jsonDecodeError(err)
	}
	if dec.More() {
		return errf(codeSerialization, "Unexpected data after the JSON object.")
	}
	return nil
}

// queueKey is the queue named by the route's :name, in the call's account
// and region.
func (r *restRequest) queueKey() (fsm.QueueKey, error) {
	name := r.ec.Param("name")
	if err := validQueueName(name); err != nil {
		return fsm.QueueKey{}, err
	}
	return fsm.QueueKey{Region: r.c.region, Account: r.c.account, Name: name}, nil
}
