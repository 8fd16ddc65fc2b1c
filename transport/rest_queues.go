package transport

import (
	"context"
	"errors"
	"net/http"

	"github.com/wharfmq/wharf/fsm"
)

// restQueueRef names a queue: its name, SQS queue URL (built from the Host
// the client used) and ARN.
type restQueueRef struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	ARN  string `json:"arn"`
}

// restQueue is a queue with its attributes (counters included) and tags.
type restQueue struct {
	restQueueRef
	Attributes map[string]string `json:"attributes"`
	Tags       map[string]string `json:"tags"`
}

type restCreateQueueInput struct {
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes"`
	Tags       map[string]string `json:"tags"`
}

type restPatchQueueInput struct {
	Attributes map[string]string `json:"attributes"`
}

type restListQueuesOutput struct {
	Queues []restQueueRef `json:"queues"`
}

// ref describes the queue key.
func (r *restRequest) ref(key fsm.QueueKey) restQueueRef {
	return restQueueRef{Name: key.Name, URL: r.c.queueURL(key.Account, key.Name), ARN: key.ARN()}
}

// restCreateQueue serves POST /v1/queues: 201 when created, 200 when the
// queue existed with the same attributes, 409 when with others.
func (s *Server) restCreateQueue(ctx context.Context, r *restRequest) (int, any, error) {
	var in restCreateQueueInput
	if err := r.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.Name == "" {
		return 0, nil, missing("name")
	}
	if err := validQueueName(in.Name); err != nil {
		return 0, nil, err
	}
	if err := validTags(in.Tags); err != nil {
		return 0, nil, err
	}
	key := fsm.QueueKey{Region: r.c.region, Account: r.c.account, Name: in.Name}
	// Whether it existed decides 200 or 201; CreateQueue itself is
	// idempotent and answers QueueNameExists for other attributes.
	status := http.StatusOK
	if _, err := s.cfg.Backend.GetQueue(ctx, key); err != nil {
		var fe *fsm.Error
		if !errors.As(err, &fe) || fe.Code != fsm.CodeQueueDoesNotExist {
			return 0, nil, err
		}
		status = http.StatusCreated
	}
	if err := s.cfg.Backend.CreateQueue(ctx, fsm.CreateQueue{Queue: key, Attributes: in.Attributes, Tags: in.Tags}); err != nil {
		return 0, nil, err
	}
	return status, r.ref(key), nil
}

// restListQueues serves GET /v1/queues?prefix=.
func (s *Server) restListQueues(ctx context.Context, r *restRequest) (int, any, error) {
	names, err := s.cfg.Backend.ListQueues(ctx, r.c.region, r.c.account, r.ec.QueryParam("prefix"))
	if err != nil {
		return 0, nil, err
	}
	out := restListQueuesOutput{Queues: make([]restQueueRef, 0, len(names))}
	for _, n := range names {
		out.Queues = append(out.Queues, r.ref(fsm.QueueKey{Region: r.c.region, Account: r.c.account, Name: n}))
	}
	return http.StatusOK, out, nil
}

// restGetQueue serves GET /v1/queues/{name}.
func (s *Server) restGetQueue(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.queueKey()
	if err != nil {
		return 0, nil, err
	}
	q, err := s.queueDescription(ctx, r, key)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, q, nil
}

// queueDescription reads a queue's attributes and tags.
func (s *Server) queueDescription(ctx context.Context, r *restRequest, key fsm.QueueKey) (restQueue, error) {
	view, err := s.cfg.Backend.GetQueue(ctx, key)
	if err != nil {
		return restQueue{}, err
	}
	tags, err := s.cfg.Backend.ListQueueTags(ctx, key)
	if err != nil {
		return restQueue{}, err
	}
	q := restQueue{restQueueRef: r.ref(key), Attributes: view.Attributes, Tags: tags}
	if q.Attributes == nil {
		q.Attributes = map[string]string{}
	}
	if q.Tags == nil {
		q.Tags = map[string]string{}
	}
	return q, nil
}

// restPatchQueue serves PATCH /v1/queues/{name}: it sets the attributes
// given and answers the queue as GET does.
func (s *Server) restPatchQueue(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.queueKey()
	if err != nil {
		return 0, nil, err
	}
	var in restPatchQueueInput
	if err := r.decode(&in); err != nil {
		return 0, nil, err
	}
	if len(in.Attributes) == 0 {
		return 0, nil, missing("attributes")
	}
	if err := s.cfg.Backend.SetQueueAttributes(ctx, fsm.SetQueueAttributes{Queue: key, Attributes: in.Attributes}); err != nil {
		return 0, nil, err
	}
	q, err := s.queueDescription(ctx, r, key)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, q, nil
}

// restDeleteQueue serves DELETE /v1/queues/{name}.
func (s *Server) restDeleteQueue(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.queueKey()
	if err != nil {
		return 0, nil, err
	}
	if err := s.cfg.Backend.DeleteQueue(ctx, key); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// restPurgeQueue serves POST /v1/queues/{name}/purge.
func (s *Server) restPurgeQueue(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.queueKey()
	if err != nil {
		return 0, nil, err
	}
	if err := s.cfg.Backend.PurgeQueue(ctx, key); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
