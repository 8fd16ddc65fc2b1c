package transport

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
)

// The web console: plain HTML, CSS and JavaScript embedded in the binary
// (no build step, nothing fetched from elsewhere). It talks to the native
// REST API and /metrics of whichever member answers (see ui/app.js).
//
//go:embed ui
var uiFiles embed.FS

// uiRoutes serves the console at /ui/.
func (s *Server) uiRoutes(e *echo.Echo) {
	sub, err := fs.Sub(uiFiles, "ui")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix("/ui", http.FileServer(http.FS(sub)))
	serve := func(ec echo.Context) error {
		h := ec.Response().Header()
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// Scripts and styles from this origin only; the API calls may go
		// to any member.
		h.Set("Content-Security-Policy", "default-src 'self'; connect-src http: https:; img-src 'self' data:; frame-ancestors 'none'")
		files.ServeHTTP(ec.Response(), ec.Request())
		return nil
	}
	e.GET("/ui", func(ec echo.Context) error { return ec.Redirect(http.StatusFound, "/ui/") })
	e.GET("/ui/*", serve)
	e.HEAD("/ui/*", serve)
}
