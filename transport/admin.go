package transport

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// healthz answers 200 while the process runs.
func (s *Server) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok")
}

// readyz answers 200 when the node knows a leader and its FSM caught up.
func (s *Server) readyz(c echo.Context) error {
	if s.cfg.Backend.Ready() {
		return c.String(http.StatusOK, "ready")
	}
	return c.String(http.StatusServiceUnavailable, "not ready")
}

// clusterStatus serves this node's view of the cluster; it is never
// forwarded.
func (s *Server) clusterStatus(c echo.Context) error {
	return c.JSON(http.StatusOK, s.cfg.Backend.Status())
}

// stateHash serves GET /v1/cluster/state-hash: the state machine's hash at
// its applied index, so a test can check that replicas hold identical
// state. It snapshots the whole state: an operator tool, not a hot path.
func (s *Server) stateHash(c echo.Context) error {
	index, hash := s.cfg.Backend.StateHash()
	return c.JSON(http.StatusOK, map[string]any{"applied_index": index, "hash": hash})
}
