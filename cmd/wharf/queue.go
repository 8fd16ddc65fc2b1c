package main

// `wharf queue ...`: queue administration and messages, through the Go
// client library.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharfmq/wharf/client"
)

func newQueueCmd() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Create, list, inspect and delete queues; send, receive and delete messages",
		Long: `Queue commands, against the cluster's native API. --endpoint (or
WHARF_ENDPOINT, comma-separated) names one or more nodes; the command finds
the leader itself and retries on another node when one fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	addClientFlags(cmd, &f)
	cmd.AddCommand(queueCreateCmd(&f), queueListCmd(&f), queueAttrsCmd(&f), queueSendCmd(&f),
		queueReceiveCmd(&f), queueDeleteCmd(&f), queuePurgeCmd(&f), queueRmCmd(&f))
	return cmd
}

func queueCreateCmd(f *clientFlags) *cobra.Command {
	var attrs []string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a queue (succeeds when it exists with the same attributes)",
		Example: `  wharf queue create jobs
  wharf queue create jobs.fifo --attr FifoQueue=true --attr VisibilityTimeout=60`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := parseKV("attr", attrs)
			if err != nil {
				return err
			}
			c, ctx, done, err := f.open(cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			q, err := c.CreateQueue(ctx, args[0], a)
			if err != nil {
				return classify(err)
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), q)
			}
			return table(cmd.OutOrStdout(), []string{"NAME", "URL"}, [][]string{{q.Name, q.URL}})
		},
	}
	cmd.Flags().StringArrayVar(&attrs, "attr", nil, "queue attribute NAME=VALUE (repeatable)")
	return cmd
}

func queueListCmd(f *clientFlags) *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List queues",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, ctx, done, err := f.open(cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			qs, err := c.ListQueues(ctx, prefix)
			if err != nil {
				return classify(err)
			}
			sort.Slice(qs, func(i, j int) bool { return qs[i].Name < qs[j].Name })
			if f.json {
				return printJSON(cmd.OutOrStdout(), qs)
			}
			rows := make([][]string, 0, len(qs))
			for _, q := range qs {
				rows = append(rows, []string{q.Name, q.URL})
			}
			return table(cmd.OutOrStdout(), []string{"NAME", "URL"}, rows)
		},
	}
	cmd.Flags().StringVar(&prefix, "prefix", "", "only queues whose name starts with this")
	return cmd
}

func queueAttrsCmd(f *clientFlags) *cobra.Command {
	var set []string
	cmd := &cobra.Command{
		Use:   "attrs NAME",
		Short: "Show a queue's attributes (and change some with --set)",
		Example: `  wharf queue attrs jobs
  wharf queue attrs jobs --set VisibilityTimeout=120 --set DelaySeconds=5`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := parseKV("set", set)
			if err != nil {
				return err
			}
			c, ctx, done, err := f.open(cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			q := c.Queue(args[0])
			var info *client.QueueInfo
			if len(a) > 0 {
				info, err = q.SetAttributes(ctx, a)
			} else {
				info, err = q.Attributes(ctx)
			}
			if err != nil {
				return classify(err)
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), info)
			}
			return attributeTable(cmd.OutOrStdout(), [][]string{{"Name", info.Name}, {"URL", info.URL}, {"ARN", info.ARN}}, info.Attributes, info.Tags)
		},
	}
	cmd.Flags().StringArrayVar(&set, "set", nil, "set attribute NAME=VALUE first (repeatable)")
	return cmd
}

func queueSendCmd(f *clientFlags) *cobra.Command {
	var (
		attrs []string
		delay time.Duration
		lines bool
	)
	cmd := &cobra.Command{
		Use:   "send NAME [BODY...]",
		Short: "Send messages (each BODY argument, or stdin)",
		Long: `Send one message per BODY argument. Without BODY, stdin is one message
(one trailing newline removed), or one message per non-empty line with
--lines. Several messages go in batches of 10. Each message is enqueued
exactly once even when the command retries on another node.`,
		Example: `  wharf queue send jobs hello
  wharf queue send jobs one two three --attr kind=test
  seq 1000 | wharf queue send jobs --lines`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := parseKV("attr", attrs)
			if err != nil {
				return err
			}
			bodies := args[1:]
			if len(bodies) == 0 {
				if bodies, err = readBodies(cmd.InOrStdin(), lines); err != nil {
					return &exitError{code: exitUsage, err: err}
				}
			}
			if len(bodies) == 0 {
				return usageErr("no message to send")
			}
			c, ctx, done, err := f.open(cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			q := c.Queue(args[0])
			entries := make([]client.SendEntry, len(bodies))
			for i, b := range bodies {
				entries[i] = client.SendEntry{Body: b}
				if cmd.Flags().Changed("delay") {
					d := delay
					entries[i].Delay = &d
				}
				for k, v := range a {
					if entries[i].Attributes == nil {
						entries[i].Attributes = map[string]client.Attribute{}
					}
					entries[i].Attributes[k] = client.StringAttr(v)
				}
			}
			var out []messageResult
			var firstErr error
			if len(entries) == 1 {
				var opts []client.SendOption
				if entries[0].Delay != nil {
					opts = append(opts, client.WithDelay(*entries[0].Delay))
				}
				for k, v := range entries[0].Attributes {
					opts = append(opts, client.WithAttribute(k, v))
				}
				id, err := q.Send(ctx, entries[0].Body, opts...)
				if err != nil {
					return classify(err)
				}
				out = append(out, messageResult{MessageID: id})
			} else {
				res, err := q.SendBatch(ctx, entries)
				if err != nil {
					return classify(err)
				}
				for _, r := range res {
					out = append(out, newMessageResult(r.MessageID, r.Err, &firstErr))
				}
			}
			return reportMessages(cmd, f.json, out, firstErr, "sent")
		},
	}
	cmd.Flags().StringArrayVar(&attrs, "attr", nil, "String message attribute NAME=VALUE (repeatable)")
	cmd.Flags().DurationVar(&delay, "delay", 0, "delay before the first delivery (default: the queue's DelaySeconds)")
	cmd.Flags().BoolVar(&lines, "lines", false, "read stdin as one message per non-empty line")
	return cmd
}

func readBodies(r io.Reader, lines bool) ([]string, error) {
	if !lines {
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if s == "" {
			return nil, nil
		}
		return []string{s}, nil
	}
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if l := strings.TrimSuffix(sc.Text(), "\r"); l != "" {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

func queueReceiveCmd(f *clientFlags) *cobra.Command {
	var (
		max              int
		wait, visibility time.Duration
		del              bool
	)
	cmd := &cobra.Command{
		Use:   "receive NAME",
		Short: "Receive messages (and delete them with --delete)",
		Long: `Receive up to --max messages. They stay invisible to other receivers for
the visibility timeout: delete them with "wharf queue delete NAME HANDLE..."
or pass --delete. Prints nothing (and exits 0) when no message arrived.`,
		Example: `  wharf queue receive jobs --max 10 --wait 20s
  wharf queue receive jobs --delete --json | jq -r '.[].body'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if max < 1 || max > 10 {
				return usageErr("--max must be 1..10")
			}
			opts := []client.ReceiveOption{client.MaxMessages(max)}
			var extra time.Duration
			if cmd.Flags().Changed("wait") {
				opts = append(opts, client.WaitTime(wait))
				extra = wait
			} else {
				extra = 20 * time.Second // the queue's default may long-poll
			}
			if cmd.Flags().Changed("visibility") {
				opts = append(opts, client.VisibilityTimeout(visibility))
			}
			c, ctx, done, err := f.open(cmd, extra)
			if err != nil {
				return err
			}
			defer done()
			q := c.Queue(args[0])
			msgs, err := q.Receive(ctx, opts...)
			if err != nil {
				return classify(err)
			}
			if del && len(msgs) > 0 {
				hs := make([]string, len(msgs))
				for i, m := range msgs {
					hs[i] = m.ReceiptHandle
				}
				if err := q.Delete(ctx, hs...); err != nil {
					return classify(err)
				}
			}
			if f.json {
				type msg struct {
					MessageID     string                      `json:"message_id"`
					ReceiptHandle string                      `json:"receipt_handle"`
					Body          string                      `json:"body"`
					MD5OfBody     string                      `json:"md5_of_body"`
					ReceiveCount  int                         `json:"receive_count"`
					SentAt        time.Time                   `json:"sent_at"`
					Attributes    map[string]client.Attribute `json:"attributes,omitempty"`
					Deleted       bool                        `json:"deleted"`
				}
				out := make([]msg, len(msgs))
				for i, m := range msgs {
					out[i] = msg{m.ID, m.ReceiptHandle, m.Body, m.MD5OfBody, m.ReceiveCount, m.SentAt, m.Attributes, del}
				}
				return printJSON(cmd.OutOrStdout(), out)
			}
			if len(msgs) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "no messages")
				return nil
			}
			rows := make([][]string, len(msgs))
			for i, m := range msgs {
				rows[i] = []string{m.ID, strconv.Itoa(m.ReceiveCount), oneLine(m.Body, 60), m.ReceiptHandle}
			}
			return table(cmd.OutOrStdout(), []string{"MESSAGE-ID", "RECEIVES", "BODY", "RECEIPT-HANDLE"}, rows)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&max, "max", 1, "messages to receive, 1..10")
	fl.DurationVar(&wait, "wait", 0, "long-poll up to this long, at most 20s (default: the queue's ReceiveMessageWaitTimeSeconds)")
	fl.DurationVar(&visibility, "visibility", 0, "visibility timeout (default: the queue's VisibilityTimeout)")
	fl.BoolVar(&del, "delete", false, "delete the messages once received")
	return cmd
}

func queueDeleteCmd(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME RECEIPT-HANDLE...",
		Short: "Delete received messages by receipt handle",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ctx, done, err := f.open(cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			if err := c.Queue(args[0]).Delete(ctx, args[1:]...); err != nil {
				return classify(err)
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), map[string]int{"deleted": len(args) - 1})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %d message(s)\n", len(args)-1)
			return nil
		},
	}
}

func queuePurgeCmd(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "purge NAME",
		Short: "Delete every message of a queue",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return simpleQueueCall(cmd, f, args[0], "purged", (*client.Queue).Purge)
		},
	}
}

func queueRmCmd(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME",
		Short: "Delete a queue and its messages",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return simpleQueueCall(cmd, f, args[0], "deleted", (*client.Queue).DeleteQueue)
		},
	}
}

func simpleQueueCall(cmd *cobra.Command, f *clientFlags, name, verb string, call func(*client.Queue, context.Context) error) error {
	c, ctx, done, err := f.open(cmd, 0)
	if err != nil {
		return err
	}
	defer done()
	if err := call(c.Queue(name), ctx); err != nil {
		return classify(err)
	}
	if f.json {
		return printJSON(cmd.OutOrStdout(), map[string]string{"queue": name, "result": verb})
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", verb, name)
	return nil
}

// messageResult is one line of what send and publish print.
type messageResult struct {
	MessageID string `json:"message_id,omitempty"`
	Error     string `json:"error,omitempty"`
}

// newMessageResult records one batch entry's outcome, keeping the first
// error in *first.
func newMessageResult(id string, err error, first *error) messageResult {
	r := messageResult{MessageID: id}
	if err != nil {
		r.Error = err.Error()
		if *first == nil {
			*first = err
		}
	}
	return r
}

// reportMessages prints the message IDs (and entry errors) of a send or
// publish, as a table or JSON, and fails with the first entry error.
func reportMessages(cmd *cobra.Command, asJSON bool, out []messageResult, firstErr error, verb string) error {
	if asJSON {
		if err := printJSON(cmd.OutOrStdout(), out); err != nil {
			return err
		}
	} else {
		rows := make([][]string, len(out))
		for i, r := range out {
			rows[i] = []string{r.MessageID, r.Error}
			if r.Error == "" {
				rows[i] = rows[i][:1]
			}
		}
		if err := table(cmd.OutOrStdout(), []string{"MESSAGE-ID"}, rows); err != nil {
			return err
		}
	}
	if firstErr != nil {
		return classify(fmt.Errorf("some messages were not %s: %w", verb, firstErr))
	}
	return nil
}
