//go:build chaos

package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Status is a node's /v1/cluster/status.
type Status struct {
	NodeID        string `json:"node_id"`
	State         string `json:"state"`
	LeaderID      string `json:"leader_id"`
	LeaderAPIAddr string `json:"leader_api_addr"`
	Term          uint64 `json:"term"`
	CommitIndex   uint64 `json:"commit_index"`
	AppliedIndex  uint64 `json:"applied_index"`
}

// StateHash is a node's /v1/cluster/state-hash.
type StateHash struct {
	AppliedIndex uint64 `json:"applied_index"`
	Hash         string `json:"hash"`
}

var probeClient = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}}

func getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// GetStatus reads a node's status.
func GetStatus(ctx context.Context, c Cluster, node string) (Status, error) {
	var s Status
	err := getJSON(ctx, c.APIURL(node)+"/v1/cluster/status", &s)
	return s, err
}

// GetStateHash reads a node's state hash.
func GetStateHash(ctx context.Context, c Cluster, node string) (StateHash, error) {
	var s StateHash
	err := getJSON(ctx, c.APIURL(node)+"/v1/cluster/state-hash", &s)
	return s, err
}

// Ready reports whether a node answers /readyz with 200.
func Ready(ctx context.Context, c Cluster, node string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.APIURL(node)+"/readyz", nil)
	if err != nil {
		return false
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Leader polls the given nodes until one reports itself leader (the
// highest term wins), up to timeout.
func Leader(ctx context.Context, c Cluster, nodes []string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		best, term := "", uint64(0)
		for _, n := range nodes {
			s, err := GetStatus(ctx, c, n)
			if err == nil && s.State == "Leader" && s.Term >= term {
				best, term = n, s.Term
			}
		}
		if best != "" {
			return best, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return "", fmt.Errorf("no leader among %v within %s", nodes, timeout)
		}
		sleep(ctx, 100*time.Millisecond)
	}
}

// WaitReady polls until every given node is ready, up to timeout.
func WaitReady(ctx context.Context, c Cluster, nodes []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var notReady []string
		for _, n := range nodes {
			if !Ready(ctx, c, n) {
				notReady = append(notReady, n)
			}
		}
		if len(notReady) == 0 {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("nodes %v not ready within %s", notReady, timeout)
		}
		sleep(ctx, 100*time.Millisecond)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
