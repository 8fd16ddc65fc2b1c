package transport

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"
)

// handler runs one action: decode fills the action's request struct from
// either protocol.
type handler func(s *Server, ctx context.Context, c *call, decode func(any) error) (any, error)

// action adapts a typed action function to a handler, so every action has
// one decode, validate and run path whatever the protocol.
func action[In any](run func(s *Server, ctx context.Context, c *call, in *In) (any, error)) handler {
	return func(s *Server, ctx context.Context, c *call, decode func(any) error) (any, error) {
		in := new(In)
		if err := decode(in); err != nil {
			return nil, err
		}
		return run(s, ctx, c, in)
	}
}

// actions are the SQS actions served, by name.
var actions map[string]handler

func init() {
	actions = map[string]handler{
		"CreateQueue":                  action((*Server).createQueue),
		"GetQueueUrl":                  action((*Server).getQueueURL),
		"ListQueues":                   action((*Server).listQueues),
		"DeleteQueue":                  action((*Server).deleteQueue),
		"GetQueueAttributes":           action((*Server).getQueueAttributes),
		"SetQueueAttributes":           action((*Server).setQueueAttributes),
		"PurgeQueue":                   action((*Server).purgeQueue),
		"ListDeadLetterSourceQueues":   action((*Server).listDeadLetterSourceQueues),
		"SendMessage":                  action((*Server).sendMessage),
		"SendMessageBatch":             action((*Server).sendMessageBatch),
		"ReceiveMessage":               action((*Server).receiveMessage),
		"DeleteMessage":                action((*Server).deleteMessage),
		"DeleteMessageBatch":           action((*Server).deleteMessageBatch),
		"ChangeMessageVisibility":      action((*Server).changeMessageVisibility),
		"ChangeMessageVisibilityBatch": action((*Server).changeMessageVisibilityBatch),
		"TagQueue":                     action((*Server).tagQueue),
		"UntagQueue":                   action((*Server).untagQueue),
		"ListQueueTags":                action((*Server).listQueueTags),
		"AddPermission":                action((*Server).addPermission),
		"RemovePermission":             action((*Server).removePermission),
		"StartMessageMoveTask":         action((*Server).startMessageMoveTask),
		"CancelMessageMoveTask":        action((*Server).cancelMessageMoveTask),
		"ListMessageMoveTasks":         action((*Server).listMessageMoveTasks),
	}
}

// serveSQS answers one SQS API request.
func (s *Server) serveSQS(ec echo.Context) error {
	r := ec.Request()
	c := callFrom(r.Context())
	body, _ := ec.Get(bodyKey).([]byte)
	result, err := s.dispatch(r.Context(), r, c, body)
	if err != nil {
		s.answerError(ec.Response(), c, err)
		return nil
	}
	if err := writeResult(ec.Response(), c, result); err != nil {
		s.log.Warn("writing SQS response", "action", c.action, "err", err)
	}
	return nil
}

// dispatch finds the action of a request in its protocol, sets up the
// protocol's decoder and runs the action.
func (s *Server) dispatch(ctx context.Context, r *http.Request, c *call, body []byte) (any, error) {
	var decode func(any) error
	var name string
	if c.proto == protoJSON {
		var err error
		if name, err = jsonAction(r.Header.Get("X-Amz-Target")); err != nil {
			return nil, err
		}
		if _, ok := actions[name]; !ok {
			return nil, errf(codeUnknownOperation, "Unknown operation %s.", r.Header.Get("X-Amz-Target"))
		}
		if err := checkJSONContentType(r.Header.Get("Content-Type")); err != nil {
			return nil, err
		}
		decode = func(v any) error { return decodeJSON(body, v) }
	} else {
		params, err := queryParams(r.URL.RawQuery, r.Header.Get("Content-Type"), body)
		if err != nil {
			return nil, err
		}
		name = params.Get("Action")
		if name == "" {
			return nil, errf(codeMissingAction, "The request must contain the parameter Action.")
		}
		if isSNSRequest(c, name) {
			c.proto = protoSNS
			c.action = name
			return s.dispatchSNS(ctx, c, name, params)
		}
		if _, ok := actions[name]; !ok {
			return nil, errf(codeUnknownOperation, "The action %s is not valid for this endpoint.", name)
		}
		if params.Get("QueueUrl") == "" {
			// Query requests may be POSTed to the queue URL itself.
			if account, queue, ok := parseQueueURL(r.URL.Path); ok {
				params.Set("QueueUrl", c.queueURL(account, queue))
			}
		}
		decode = func(v any) error { return decodeQuery(params, v) }
	}
	c.action = name
	return actions[name](s, ctx, c, decode)
}
