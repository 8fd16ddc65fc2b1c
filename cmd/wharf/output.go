package main

// Shared plumbing of the client commands (queue, topic, cluster): the endpoint
// and output flags, tables and JSON, and exit codes.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharfmq/wharf/client"
)

// Exit codes of the wharf command, for scripts.
const (
	exitOK          = 0
	exitUsage       = 1 // bad flags or arguments, or input the server refused (HTTP 400)
	exitNotFound    = 2 // the queue, topic, subscription or member does not exist
	exitUnavailable = 3 // no node answered, or retries ran out (5xx, timeouts)
	exitServer      = 4 // any other error answered by the server
)

const rootLong = `Wharf: a replicated message cluster that speaks the Amazon SQS API.

Run a node with "wharf serve"; drive a cluster with "wharf queue",
"wharf topic" and "wharf cluster" (--endpoint or WHARF_ENDPOINT name the
nodes; --json prints JSON for scripts); measure it with "wharf bench".

Exit codes:
  0  success
  1  usage error: bad flags or arguments, or input the server refused (HTTP 400)
  2  not found: the queue, topic, subscription or member does not exist
  3  unavailable: no node answered, or the retries ran out (5xx, timeouts)
  4  any other error answered by the server (a conflict, an internal error)`

// exitError carries the exit code of a failed command.
type exitError struct {
	code int
	err  error
}

// Error drops the client's "wharf: " prefix: main adds its own.
func (e *exitError) Error() string { return strings.TrimPrefix(e.err.Error(), "wharf: ") }
func (e *exitError) Unwrap() error { return e.err }

// exitCode is the process exit code for an error returned by Execute.
// Errors that no command classified come from cobra: usage errors.
func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return exitUsage
}

// classify gives a client error its exit code.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	code := exitServer
	var ce *client.Error
	var ne net.Error
	switch {
	case client.IsNotFound(err):
		code = exitNotFound
	case errors.As(err, &ce) && ce.Retryable:
		code = exitUnavailable
	case errors.As(err, &ce) && ce.Status == 400:
		code = exitUsage
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne):
		code = exitUnavailable
	}
	return &exitError{code: code, err: err}
}

// usageErr is an argument error found by a command.
func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// clientFlags are the flags of every client command.
type clientFlags struct {
	endpoints []string
	json      bool
	timeout   time.Duration
}

// addClientFlags adds --endpoint, --json and --timeout to a command group.
func addClientFlags(cmd *cobra.Command, f *clientFlags) {
	pf := cmd.PersistentFlags()
	pf.StringSliceVar(&f.endpoints, "endpoint", nil,
		"node API address (repeatable or comma-separated; default $WHARF_ENDPOINT or "+client.DefaultEndpoint+")")
	pf.BoolVar(&f.json, "json", false, "print JSON instead of tables")
	pf.DurationVar(&f.timeout, "timeout", 30*time.Second, "give up (exit 3) when the cluster does not answer within this time, retries included")
}

// open starts a client command: the client of the endpoints given and
// the command's context (--timeout plus extra, for long polls). done
// cancels the context and closes the client; defer it.
func (f *clientFlags) open(cmd *cobra.Command, extra time.Duration) (c *client.Client, ctx context.Context, done func(), err error) {
	c, err = f.newClient()
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := f.ctx(cmd, extra)
	return c, ctx, func() { cancel(); c.Close() }, nil
}

// newClient builds the client of the endpoints given.
func (f *clientFlags) newClient() (*client.Client, error) {
	eps := f.endpoints
	if len(eps) == 0 {
		if env := os.Getenv("WHARF_ENDPOINT"); env != "" {
			eps = strings.Split(env, ",")
		} else {
			eps = []string{client.DefaultEndpoint}
		}
	}
	c, err := client.New(eps)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return c, nil
}

// ctx returns the context of one command: the command's, bounded by
// --timeout plus extra.
func (f *clientFlags) ctx(cmd *cobra.Command, extra time.Duration) (context.Context, context.CancelFunc) {
	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	if f.timeout <= 0 {
		return context.WithCancel(parent)
	}
	return context.WithTimeout(parent, f.timeout+extra)
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// table writes rows under a header, aligned with tabwriter.
func table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// parseKV parses NAME=VALUE flags.
func parseKV(flag string, kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErr("--%s %q: want NAME=VALUE", flag, kv)
		}
		m[k] = v
	}
	return m, nil
}

// oneLine shortens text for a table cell: newlines and tabs escaped, at
// most n runes.
func oneLine(s string, n int) string {
	s = strings.NewReplacer("\\", "\\\\", "\n", "\\n", "\r", "\\r", "\t", "\\t").Replace(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n-3]) + "..."
	}
	return s
}
