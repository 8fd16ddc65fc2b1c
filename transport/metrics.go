package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// registryOwner is implemented by backends that own a Prometheus registry
// (*node.Node does): /metrics serves it, and the HTTP instruments join it.
type registryOwner interface {
	Registry() *prometheus.Registry
}

// httpMetrics are the HTTP layer's instruments.
type httpMetrics struct {
	log      *slog.Logger
	latency  *prometheus.HistogramVec
	requests *prometheus.CounterVec
}

// observabilityRoutes mounts GET /metrics, the request metrics middleware,
// CORS for the native API and the web console (ui.go).
func (s *Server) observabilityRoutes(e *echo.Echo) {
	var reg *prometheus.Registry
	if o, ok := s.cfg.Backend.(registryOwner); ok && o.Registry() != nil {
		reg = o.Registry()
	} else {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &httpMetrics{
		log: s.log,
		latency: registerOrReuse(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wharf_http_request_duration_seconds",
			Help:    "Time to answer an API request on this node, by action and protocol (json, query, rest). Long polls and forwarding included: a request a follower forwards is measured on both nodes.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 19), // 100us .. 26s
		}, []string{"action", "protocol"})),
		requests: registerOrReuse(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wharf_http_requests_total",
			Help: "API requests answered by this node, by action, protocol and status class (2xx, 4xx, 5xx).",
		}, []string{"action", "protocol", "status"})),
	}
	e.Use(m.middleware)
	e.Pre(corsV1)
	e.GET("/metrics", echo.WrapHandler(withCORS(promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slogPrinter{s.log},
		ErrorHandling: promhttp.ContinueOnError,
	}))))
	s.uiRoutes(e)
}

// registerOrReuse registers c, or returns the collector already
// registered in its place (two servers over one backend share them).
func registerOrReuse[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

// slogPrinter adapts the server's logger to promhttp's error log.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	p.log.Warn("serving metrics failed", "err", strings.TrimSpace(fmt.Sprintln(v...)))
}

// middleware times every API request (the AWS protocols and the native
// REST API; not /metrics, the console or the health checks) and logs it at
// debug level.
func (m *httpMetrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		start := time.Now()
		r := ec.Request()
		err := next(ec)
		proto, ok := apiProtocol(ec)
		if !ok {
			return err
		}
		status := ec.Response().Status
		if err != nil {
			// Echo's error handler answers after the middleware returns.
			status = http.StatusInternalServerError
			var he *echo.HTTPError
			if errors.As(err, &he) {
				status = he.Code
			}
		}
		action := actionLabel(ec, proto)
		elapsed := time.Since(start)
		m.latency.WithLabelValues(action, proto).Observe(elapsed.Seconds())
		m.requests.WithLabelValues(action, proto, strconv.Itoa(status/100)+"xx").Inc()
		if m.log.Enabled(r.Context(), slog.LevelDebug) {
			m.log.Debug("request", "action", action, "protocol", proto, "status", status,
				"duration_ms", float64(elapsed.Microseconds())/1000, "remote", r.RemoteAddr,
				"forwarded", r.Header.Get(headerForwarded) != "")
		}
		return err
	}
}

// sqsRoutes are the route patterns the AWS protocols are served on.
var sqsRoutes = map[string]bool{"/": true, "/:account/:queue": true, "/*": true}

// apiProtocol names the protocol of an API request from its route: rest
// under /v1, json or query on the SQS routes; ok is false for the other
// endpoints.
func apiProtocol(ec echo.Context) (string, bool) {
	route := ec.Path()
	switch {
	case route == "/v1" || strings.HasPrefix(route, "/v1/"):
		return "rest", true
	case sqsRoutes[route]:
		if ec.Request().Header.Get("X-Amz-Target") != "" {
			return "json", true
		}
		return "query", true
	}
	return "", false
}

// actionLabel is the action label of a request: the SQS action name (from
// the handler, or read again from the request when a follower forwarded
// it before decoding it), "unknown" for a name that is not an action (the
// label set stays bounded), and "METHOD /route/:pattern" for REST.
func actionLabel(ec echo.Context, proto string) string {
	r := ec.Request()
	if proto == "rest" {
		return r.Method + " " + ec.Path()
	}
	name := ""
	if c := callFrom(r.Context()); c != nil && c.action != "" {
		name = c.action
	} else if proto == "json" {
		name, _ = jsonAction(r.Header.Get("X-Amz-Target"))
	} else {
		body, _ := ec.Get(bodyKey).([]byte)
		if params, err := queryParams(r.URL.RawQuery, r.Header.Get("Content-Type"), body); err == nil {
			name = params.Get("Action")
		}
	}
	if _, ok := actions[name]; !ok {
		return "unknown"
	}
	return name
}

// corsV1 lets the web console, loaded from one member, call the native
// API of the others (it moves to another member when its own dies): any
// origin may read /v1 answers, and preflights for the calls the console
// makes (GET and POST with a JSON body) are answered here, before routing.
// The API has no cookies or browser credentials to protect; with
// authentication configured every call must be signed anyway.
func corsV1(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		r := ec.Request()
		if !strings.HasPrefix(r.URL.Path, "/v1/") {
			return next(ec)
		}
		h := ec.Response().Header()
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			return ec.NoContent(http.StatusNoContent)
		}
		return next(ec)
	}
}

// withCORS lets the console read /metrics of every member (it computes
// rates from the counters).
func withCORS(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		h.ServeHTTP(w, r)
	})
}
