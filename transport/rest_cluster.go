package transport

import (
	"context"
	"net/http"

	"github.com/wharfmq/wharf/node"
)

type restMembersOutput struct {
	Members []node.Member `json:"members"`
}

type restTransferInput struct {
	To string `json:"to"`
}

// restMembers serves GET /v1/cluster/members: the members of this node's
// status, never forwarded.
func (s *Server) restMembers(_ context.Context, _ *restRequest) (int, any, error) {
	members := s.cfg.Backend.Status().Members
	if members == nil {
		members = []node.Member{}
	}
	return http.StatusOK, restMembersOutput{Members: members}, nil
}

// restTransferLeader serves POST /v1/cluster/leader/transfer; it runs on
// the leader (forwarded there like a write). Without "to" raft picks the
// most up-to-date voter.
func (s *Server) restTransferLeader(ctx context.Context, r *restRequest) (int, any, error) {
	var in restTransferInput
	if err := r.decode(&in); err != nil {
		return 0, nil, err
	}
	if err := s.cfg.Backend.TransferLeadership(ctx, in.To); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// restRemoveMember serves DELETE /v1/cluster/members/{id}: it removes a
// failed member from the raft configuration, on the leader.
func (s *Server) restRemoveMember(ctx context.Context, r *restRequest) (int, any, error) {
	if err := s.cfg.Backend.RemoveMember(ctx, r.ec.Param("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
