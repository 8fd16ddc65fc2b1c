package transport

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wharfmq/wharf/node"
)

// DefaultMaxBodyBytes caps the request bodies the SQS API reads. A batch
// holds at most 1 MiB of bodies and attributes, which form or JSON
// escaping may triple; past the cap the request is refused.
const DefaultMaxBodyBytes = 4 << 20

// DefaultLeaderWait is how long a follower waits to learn the leader's
// address before answering 503.
const DefaultLeaderWait = 5 * time.Second

// Config configures a Server.
type Config struct {
	// Backend is the node the requests run on.
	Backend Backend
	// Region is the region of unsigned requests; signed ones use the
	// region of their SigV4 credential scope.
	Region string
	// AccountID is the account of requests that do not name one.
	AccountID string
	// Logger receives server errors; nil means slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes caps request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// LeaderWait bounds the wait for a leader's address; 0 means
	// DefaultLeaderWait.
	LeaderWait time.Duration
	// AllowPrivateEndpoints accepts HTTP/S subscriptions to loopback and
	// private addresses.
	AllowPrivateEndpoints bool
}

// Server is the HTTP server of one node: the SQS API (JSON 1.0 and query),
// the admin endpoints and leader forwarding.
type Server struct {
	cfg  Config
	log  *slog.Logger
	echo *echo.Echo
	http *http.Server
	// forwarder sends requests to the leader.
	forwarder *http.Client
}

// New builds a Server; cfg.Backend is required.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.LeaderWait <= 0 {
		cfg.LeaderWait = DefaultLeaderWait
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	s.forwarder = newForwarder()
	s.echo = s.routes()
	s.http = &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: long polls hold a response for up to 20 s and
		// a forwarded one for as long as the leader takes.
	}
	return s
}

// routes builds the Echo router.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleEchoError

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/v1/cluster/status", s.clusterStatus)
	e.GET("/v1/cluster/state-hash", s.stateHash)
	e.GET(node.SigningCertPath, s.signingCert)
	s.restRoutes(e)
	s.observabilityRoutes(e) // /metrics, request metrics, CORS for /v1, /ui (metrics.go, ui.go)

	sqs := []echo.MiddlewareFunc{s.prepareSQS, s.recoverSQS, s.readBody, s.forwardToLeader}
	e.Any("/", s.serveSQS, sqs...)
	e.Any("/:account/:queue", s.serveSQS, sqs...)
	// Any other path still answers in the caller's protocol: a QueueUrl
	// parameter names the queue, and malformed paths get AWS errors.
	e.Any("/*", s.serveSQS, sqs...)
	return e
}

// signingCert serves the certificate SNS messages are signed with (their
// SigningCertURL).
func (s *Server) signingCert(ec echo.Context) error {
	cert := s.cfg.Backend.SigningCertificate()
	if cert == "" {
		return ec.String(http.StatusNotFound, "no signing certificate yet: it is created with the first SNS subscription or publish\n")
	}
	return ec.Blob(http.StatusOK, "application/x-pem-file", []byte(cert))
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Serve accepts connections on l until Shutdown; it returns nil after
// Shutdown and the listener's error otherwise.
func (s *Server) Serve(l net.Listener) error {
	err := s.http.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits, up to ctx, for the
// requests in flight (long polls included) to finish.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	s.forwarder.CloseIdleConnections()
	return err
}
