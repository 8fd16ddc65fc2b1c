package main

// `wharf cluster ...`: the cluster's status and membership, through the Go
// client library.

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharfmq/wharf/client"
)

func newClusterCmd() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Show the cluster's status and members; move leadership; remove a failed member",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	addClientFlags(cmd, &f)
	cmd.AddCommand(clusterStatusCmd(&f), clusterMembersCmd(&f), clusterTransferCmd(&f), clusterRemoveCmd(&f))
	return cmd
}

// nodeView is one member with its own view of the cluster.
type nodeView struct {
	client.Member
	State        string `json:"state,omitempty"`
	Term         uint64 `json:"term,omitempty"`
	CommitIndex  uint64 `json:"commit_index,omitempty"`
	AppliedIndex uint64 `json:"applied_index,omitempty"`
	Error        string `json:"error,omitempty"`
}

func clusterStatusCmd(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the leader and every member's state, as each member sees itself",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, ctx, done, err := f.open(cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			st, err := c.Status(ctx)
			if err != nil {
				return classify(err)
			}
			views := make([]nodeView, len(st.Members))
			var wg sync.WaitGroup
			for i, m := range st.Members {
				views[i].Member = m
				if m.APIAddr == "" {
					views[i].Error = "no API address known"
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					nctx, ncancel := context.WithTimeout(ctx, 3*time.Second)
					defer ncancel()
					ns, err := c.NodeStatus(nctx, m.APIAddr)
					if err != nil {
						views[i].Error = "unreachable"
						return
					}
					views[i].State, views[i].Term = ns.State, ns.Term
					views[i].CommitIndex, views[i].AppliedIndex = ns.CommitIndex, ns.AppliedIndex
				}()
			}
			wg.Wait()
			if f.json {
				return printJSON(cmd.OutOrStdout(), map[string]any{
					"leader_id": st.LeaderID, "leader_api_addr": st.LeaderAPIAddr, "term": st.Term,
					"commit_index": st.CommitIndex, "nodes": views,
				})
			}
			leader := st.LeaderID
			if leader == "" {
				leader = "(none)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "leader %s  term %d  commit index %d\n\n", leader, st.Term, st.CommitIndex)
			rows := make([][]string, len(views))
			for i, v := range views {
				state := v.State
				if v.Error != "" {
					state = v.Error
				}
				rows[i] = []string{v.ID, state, v.APIAddr, v.GossipStatus, voter(v.Voter),
					num(v.Term), num(v.AppliedIndex)}
			}
			return table(cmd.OutOrStdout(), []string{"ID", "STATE", "API", "GOSSIP", "VOTER", "TERM", "APPLIED"}, rows)
		},
	}
}

// voter writes a boolean as yes or no.
func voter(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

func num(n uint64) string {
	if n == 0 {
		return "-"
	}
	return strconv.FormatUint(n, 10)
}

func clusterMembersCmd(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "members",
		Short: "List the members (raft configuration and gossip)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, ctx, done, err := f.open(cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			ms, err := c.Members(ctx)
			if err != nil {
				return classify(err)
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), ms)
			}
			rows := make([][]string, len(ms))
			for i, m := range ms {
				rows[i] = []string{m.ID, m.APIAddr, m.RaftAddr, m.GossipAddr, voter(m.Voter), m.GossipStatus}
			}
			return table(cmd.OutOrStdout(), []string{"ID", "API", "RAFT", "GOSSIP-ADDR", "VOTER", "GOSSIP"}, rows)
		},
	}
}

func clusterTransferCmd(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "transfer-leader [NODE-ID]",
		Short: "Move leadership to NODE-ID (or to the most up-to-date follower)",
		Long: `Ask the leader to hand leadership over, then wait (up to --timeout) until
the cluster reports a new leader, and print it.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			to := ""
			if len(args) == 1 {
				to = args[0]
			}
			c, ctx, done, err := f.open(cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			before, err := c.Status(ctx)
			if err != nil {
				return classify(err)
			}
			if err := c.TransferLeader(ctx, to); err != nil {
				return classify(err)
			}
			var st *client.Status
			for {
				st, err = c.Status(ctx)
				if err == nil && st.LeaderID != "" && st.LeaderID != before.LeaderID && (to == "" || st.LeaderID == to) {
					break
				}
				select {
				case <-ctx.Done():
					return classify(fmt.Errorf("leadership moved, but no new leader was reported in time: %w", ctx.Err()))
				case <-time.After(100 * time.Millisecond):
				}
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), map[string]any{"previous_leader_id": before.LeaderID, "leader_id": st.LeaderID, "term": st.Term})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "leader %s (was %s), term %d\n", st.LeaderID, before.LeaderID, st.Term)
			return nil
		},
	}
}

func clusterRemoveCmd(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NODE-ID",
		Short: "Remove a failed member from the cluster",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ctx, done, err := f.open(cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			if err := c.RemoveMember(ctx, args[0]); err != nil {
				return classify(err)
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), map[string]string{"removed": args[0]})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", args[0])
			return nil
		},
	}
}
