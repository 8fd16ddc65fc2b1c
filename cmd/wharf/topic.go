package main

// `wharf topic ...`: SNS topics, their subscriptions and publishing,
// through the Go client library.

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wharfmq/wharf/client"
)

func newTopicCmd() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "topic",
		Short: "Create, list and delete SNS topics; subscribe queues and HTTP/S endpoints; publish",
		Long: `SNS topic commands, against the cluster's native API. --endpoint (or
WHARF_ENDPOINT, comma-separated) names one or more nodes; the command finds
the leader itself and retries on another node when one fails.

A subscription is named by its ID (the last segment of its ARN) or by its
ARN. A publish that the command retries after a lost answer may be
delivered twice (as in SNS).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	addClientFlags(cmd, &f)
	cmd.AddCommand(topicCreateCmd(&f), topicListCmd(&f), topicAttrsCmd(&f), topicPublishCmd(&f),
		topicSubscribeCmd(&f), topicUnsubscribeCmd(&f), topicSubscriptionsCmd(&f), topicConfirmCmd(&f), topicRmCmd(&f))
	return cmd
}

func topicCreateCmd(f *clientFlags) *cobra.Command {
	var attrs, tags []string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a topic (succeeds when it exists with the same attributes and tags)",
		Example: `  wharf topic create orders
  wharf topic create orders --attr DisplayName=Orders --tag team=shop`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := parseKV("attr", attrs)
			if err != nil {
				return err
			}
			tg, err := parseKV("tag", tags)
			if err != nil {
				return err
			}
			c, ctx, done, err := f.open(cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			var opts []client.TopicOption
			if len(tg) > 0 {
				opts = append(opts, client.WithTags(tg))
			}
			t, err := c.CreateTopic(ctx, args[0], a, opts...)
			if err != nil {
				return classify(err)
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), t)
			}
			return table(cmd.OutOrStdout(), []string{"NAME", "ARN"}, [][]string{{t.Name, t.ARN}})
		},
	}
	cmd.Flags().StringArrayVar(&attrs, "attr", nil, "topic attribute NAME=VALUE (repeatable)")
	cmd.Flags().StringArrayVar(&tags, "tag", nil, "tag KEY=VALUE (repeatable)")
	return cmd
}

func topicListCmd(f *clientFlags) *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List topics",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, ctx, done, err := f.open(cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			ts, err := c.ListTopics(ctx, prefix)
			if err != nil {
				return classify(err)
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), ts)
			}
			rows := make([][]string, 0, len(ts))
			for _, t := range ts {
				rows = append(rows, []string{t.Name, t.ARN})
			}
			return table(cmd.OutOrStdout(), []string{"NAME", "ARN"}, rows)
		},
	}
	cmd.Flags().StringVar(&prefix, "prefix", "", "only topics whose name starts with this")
	return cmd
}

func topicAttrsCmd(f *clientFlags) *cobra.Command {
	var set []string
	cmd := &cobra.Command{
		Use:   "attrs NAME",
		Short: "Show a topic's attributes (and change some with --set)",
		Example: `  wharf topic attrs orders
  wharf topic attrs orders --set DisplayName=Orders`,
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
			t := c.Topic(args[0])
			var info *client.TopicInfo
			if len(a) > 0 {
				info, err = t.SetAttributes(ctx, a)
			} else {
				info, err = t.Attributes(ctx)
			}
			if err != nil {
				return classify(err)
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), info)
			}
			return attributeTable(cmd.OutOrStdout(), [][]string{{"Name", info.Name}, {"ARN", info.ARN}}, info.Attributes, info.Tags)
		},
	}
	cmd.Flags().StringArrayVar(&set, "set", nil, "set attribute NAME=VALUE first (repeatable; an empty VALUE removes it)")
	return cmd
}

func topicPublishCmd(f *clientFlags) *cobra.Command {
	var (
		attrs, numAttrs    []string
		subject, structure string
		group, dedupID     string
		lines              bool
	)
	cmd := &cobra.Command{
		Use:   "publish NAME [MESSAGE...]",
		Short: "Publish messages (each MESSAGE argument, or stdin)",
		Long: `Publish one message per MESSAGE argument. Without MESSAGE, stdin is one
message (one trailing newline removed), or one message per non-empty line
with --lines. Several messages go in batches of 10. A message that the
command retries after a lost answer may be delivered twice.`,
		Example: `  wharf topic publish orders "order 42" --attr kind=new
  wharf topic publish orders '{"default":"d","sqs":"for queues"}' --structure json
  seq 100 | wharf topic publish orders --lines --number-attr priority=1
  wharf topic publish orders.fifo "order 42" --group customer-7 --dedup-id order-42`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := parseKV("attr", attrs)
			if err != nil {
				return err
			}
			n, err := parseKV("number-attr", numAttrs)
			if err != nil {
				return err
			}
			msgs := args[1:]
			if len(msgs) == 0 {
				if msgs, err = readBodies(cmd.InOrStdin(), lines); err != nil {
					return &exitError{code: exitUsage, err: err}
				}
			}
			if len(msgs) == 0 {
				return usageErr("no message to publish")
			}
			c, ctx, done, err := f.open(cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			entries := make([]client.PublishEntry, len(msgs))
			for i, m := range msgs {
				e := client.PublishEntry{Message: m, Subject: subject, MessageStructure: structure, MessageGroupID: group}
				if dedupID != "" {
					e.DeduplicationID = dedupID
					if len(msgs) > 1 {
						e.DeduplicationID = fmt.Sprintf("%s-%d", dedupID, i)
					}
				}
				for k, v := range a {
					client.WithPublishAttribute(k, client.StringAttr(v))(&e)
				}
				for k, v := range n {
					client.WithPublishAttribute(k, client.Attribute{DataType: "Number", StringValue: v})(&e)
				}
				entries[i] = e
			}
			var out []messageResult
			var firstErr error
			t := c.Topic(args[0])
			if len(entries) == 1 {
				e := entries[0]
				id, err := t.Publish(ctx, e.Message, func(p *client.PublishEntry) { *p = e })
				if err != nil {
					return classify(err)
				}
				out = append(out, messageResult{MessageID: id})
			} else {
				res, err := t.PublishBatch(ctx, entries)
				if err != nil {
					return classify(err)
				}
				for _, r := range res {
					out = append(out, newMessageResult(r.MessageID, r.Err, &firstErr))
				}
			}
			return reportMessages(cmd, f.json, out, firstErr, "published")
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&attrs, "attr", nil, "String message attribute NAME=VALUE (repeatable)")
	fl.StringArrayVar(&numAttrs, "number-attr", nil, "Number message attribute NAME=VALUE (repeatable)")
	fl.StringVar(&subject, "subject", "", "the messages' Subject")
	fl.StringVar(&structure, "structure", "", `"json": each MESSAGE is a JSON object of one message per protocol (default, sqs, http, https)`)
	fl.BoolVar(&lines, "lines", false, "read stdin as one message per non-empty line")
	fl.StringVar(&group, "group", "", "message group ID (FIFO topics)")
	fl.StringVar(&dedupID, "dedup-id", "", `deduplication ID (FIFO topics; with several messages, ID-0, ID-1...)`)
	return cmd
}

func topicSubscribeCmd(f *clientFlags) *cobra.Command {
	var (
		attrs        []string
		raw          bool
		filterPolicy string
	)
	cmd := &cobra.Command{
		Use:   "subscribe NAME PROTOCOL ENDPOINT",
		Short: "Subscribe an SQS queue (sqs QUEUE-NAME or queue ARN) or an HTTP/S URL to a topic",
		Long: `Subscribe an endpoint: PROTOCOL sqs with a queue's name (of this cluster)
or ARN, or http/https with a URL. An SQS subscription is confirmed at once;
an HTTP/S one stays pending until its endpoint confirms it (it receives a
SubscriptionConfirmation: "wharf topic confirm NAME TOKEN", or visit its
SubscribeURL).`,
		Example: `  wharf topic subscribe orders sqs new-orders --raw --filter-policy '{"kind":["new"]}'
  wharf topic subscribe orders https https://hooks.example.com/orders`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := parseKV("attr", attrs)
			if err != nil {
				return err
			}
			if a == nil {
				a = map[string]string{}
			}
			if raw {
				a["RawMessageDelivery"] = "true"
			}
			if filterPolicy != "" {
				a["FilterPolicy"] = filterPolicy
			}
			c, ctx, done, err := f.open(cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			t := c.Topic(args[0])
			protocol, endpoint := strings.ToLower(args[1]), args[2]
			var sub *client.Subscription
			if protocol == "sqs" && !strings.HasPrefix(endpoint, "arn:") {
				sub, err = t.SubscribeQueue(ctx, endpoint, a)
			} else {
				sub, err = t.Subscribe(ctx, protocol, endpoint, a)
			}
			if err != nil {
				return classify(err)
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), sub)
			}
			return subscriptionTable(cmd.OutOrStdout(), []client.Subscription{*sub}, false)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&attrs, "attr", nil, "subscription attribute NAME=VALUE (repeatable)")
	fl.BoolVar(&raw, "raw", false, "raw message delivery (RawMessageDelivery=true): the bare message, no SNS envelope")
	fl.StringVar(&filterPolicy, "filter-policy", "", "the FilterPolicy (JSON)")
	return cmd
}

// subscriptionRef reads "NAME SUBSCRIPTION" or a lone subscription ARN.
func subscriptionRef(args []string) (topic, sub string, err error) {
	if len(args) == 2 {
		return args[0], args[1], nil
	}
	parts := strings.Split(args[0], ":")
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "sns" || parts[5] == "" || parts[6] == "" {
		return "", "", usageErr("%q is not a subscription ARN: give NAME and the subscription's ID or ARN", args[0])
	}
	return parts[5], args[0], nil
}

func topicUnsubscribeCmd(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "unsubscribe [NAME] SUBSCRIPTION",
		Short: "Delete a subscription, by its ARN, or by topic NAME and subscription ID",
		Example: `  wharf topic unsubscribe arn:aws:sns:us-east-1:000000000000:orders:0f6c9b1e-2a0e-4c43-9a61-1d7f3b2d8c11
  wharf topic unsubscribe orders 0f6c9b1e-2a0e-4c43-9a61-1d7f3b2d8c11`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			topic, sub, err := subscriptionRef(args)
			if err != nil {
				return err
			}
			c, ctx, done, err := f.open(cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			if err := c.Topic(topic).Unsubscribe(ctx, sub); err != nil {
				return classify(err)
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), map[string]string{"topic": topic, "subscription": sub, "result": "unsubscribed"})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "unsubscribed %s\n", sub)
			return nil
		},
	}
}

func topicSubscriptionsCmd(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "subscriptions [NAME]",
		Short: "List a topic's subscriptions (every topic's without NAME)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ctx, done, err := f.open(cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			var subs []client.Subscription
			if len(args) == 1 {
				subs, err = c.Topic(args[0]).Subscriptions(ctx)
			} else {
				subs, err = c.Subscriptions(ctx)
			}
			if err != nil {
				return classify(err)
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), subs)
			}
			return subscriptionTable(cmd.OutOrStdout(), subs, len(args) == 0)
		},
	}
}

func topicConfirmCmd(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "confirm NAME TOKEN",
		Short: "Confirm a pending HTTP/S subscription with the token its endpoint received",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ctx, done, err := f.open(cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			sub, err := c.Topic(args[0]).ConfirmSubscription(ctx, args[1])
			if err != nil {
				return classify(err)
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), sub)
			}
			return subscriptionTable(cmd.OutOrStdout(), []client.Subscription{*sub}, false)
		},
	}
}

func topicRmCmd(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME",
		Short: "Delete a topic and its subscriptions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ctx, done, err := f.open(cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			if err := c.Topic(args[0]).Delete(ctx); err != nil {
				return classify(err)
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), map[string]string{"topic": args[0], "result": "deleted"})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", args[0])
			return nil
		},
	}
}

// subscriptionTable writes subscriptions as a table; withTopic adds the
// topic's column.
func subscriptionTable(w io.Writer, subs []client.Subscription, withTopic bool) error {
	header := []string{"ID", "PROTOCOL", "ENDPOINT", "STATUS", "RAW", "FILTER-POLICY"}
	if withTopic {
		header = append([]string{"TOPIC"}, header...)
	}
	rows := make([][]string, 0, len(subs))
	for _, s := range subs {
		status := "confirmed"
		if s.Pending {
			status = "pending"
		}
		filter := "-"
		if p := s.FilterPolicy(); p != "" {
			filter = oneLine(p, 60)
		}
		row := []string{s.ID, s.Protocol, s.Endpoint, status, voter(s.RawMessageDelivery()), filter}
		if withTopic {
			row = append([]string{s.Topic}, row...)
		}
		rows = append(rows, row)
	}
	return table(w, header, rows)
}

// attributeTable writes an ATTRIBUTE VALUE table: the head rows, then the
// attributes and the tags ("tag:KEY"), each sorted.
func attributeTable(w io.Writer, head [][]string, attrs, tags map[string]string) error {
	rows := head
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		rows = append(rows, []string{k, attrs[k]})
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rows = append(rows, []string{"tag:" + k, tags[k]})
	}
	return table(w, []string{"ATTRIBUTE", "VALUE"}, rows)
}
