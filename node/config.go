package node

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/raft"
)

// Config is how a node is started. Zero timing fields take the defaults
// for a LAN; tests set shorter ones.
type Config struct {
	NodeID          string
	DataDir         string
	APIAddr         string
	RaftAddr        string
	GossipAddr      string
	Advertise       string
	Join            []string
	BootstrapExpect int
	Logger          *slog.Logger

	// PublicURL is the base URL SNS messages point subscribers at
	// (SigningCertURL, SubscribeURL, UnsubscribeURL); "" means
	// http://<advertised API address>.
	PublicURL string
	// AllowPrivateEndpoints lets HTTP/S subscriptions push to loopback and
	// private addresses (tests and private deployments).
	AllowPrivateEndpoints bool

	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	SnapshotThreshold  uint64
	TrailingLogs       uint64
	SnapshotInterval   time.Duration
	// SnapshotLogBytes also makes a snapshot once this many bytes of log
	// entries were stored since the last one (raft counts entries only,
	// and an entry is a batch of any size): it bounds what a restart
	// replays. Default 64 MiB; negative: entries only.
	SnapshotLogBytes int64
	// GossipProbeInterval scales memberlist's probing (0: memberlist's LAN
	// defaults).
	GossipProbeInterval time.Duration

	// wrapLogStore lets tests observe the raft log store.
	wrapLogStore func(raft.LogStore) raft.LogStore
}

func (c *Config) setDefaults() error {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.DataDir == "" {
		return errors.New("node: --data-dir is required")
	}
	if c.BootstrapExpect <= 0 {
		c.BootstrapExpect = 1
	}
	if c.HeartbeatTimeout == 0 {
		// Below raft's 1 s LAN default: a follower waits 1-2 heartbeat
		// timeouts before it stands, and a vote can be refused while the
		// other follower still trusts the old leader, so 1 s let a
		// paused leader stall writes for over 5 s in chaos runs.
		c.HeartbeatTimeout = 700 * time.Millisecond
	}
	if c.ElectionTimeout == 0 {
		c.ElectionTimeout = 700 * time.Millisecond
	}
	if c.LeaderLeaseTimeout == 0 {
		c.LeaderLeaseTimeout = 350 * time.Millisecond
	}
	if c.SnapshotThreshold == 0 {
		c.SnapshotThreshold = 32768
	}
	if c.TrailingLogs == 0 {
		c.TrailingLogs = 16384
	}
	if c.SnapshotLogBytes == 0 {
		c.SnapshotLogBytes = 64 << 20
	}
	if c.SnapshotInterval == 0 {
		// Only how often raft checks the threshold; the check is cheap.
		c.SnapshotInterval = 10 * time.Second
	}
	if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
		return fmt.Errorf("node: create data dir: %w", err)
	}
	id, err := loadNodeID(c.DataDir, c.NodeID)
	if err != nil {
		return err
	}
	c.NodeID = id
	return nil
}

// loadNodeID returns the node's stable ID: the one given, else the one
// kept in the data dir, else a new one, which is then kept.
func loadNodeID(dir, given string) (string, error) {
	path := filepath.Join(dir, "node-id")
	kept, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("node: read node id: %w", err)
	}
	id := strings.TrimSpace(string(kept))
	switch {
	case given != "" && id != "" && given != id:
		return "", fmt.Errorf("node: --node-id %q differs from %q kept in %s", given, id, path)
	case given != "":
		id = given
	case id == "":
		id = uuid.NewString()[:8]
	}
	if string(kept) != id {
		if err := os.WriteFile(path, []byte(id), 0o644); err != nil {
			return "", fmt.Errorf("node: write node id: %w", err)
		}
	}
	return id, nil
}

// advertised returns the address others use to reach bind: the bind
// address itself unless it is unspecified (0.0.0.0) or an advertise host
// is set.
func advertised(bind, advertise string) (string, error) {
	host, port, err := net.SplitHostPort(bind)
	if err != nil {
		return "", fmt.Errorf("node: bad address %q: %w", bind, err)
	}
	if advertise != "" {
		if h, _, err := net.SplitHostPort(advertise); err == nil {
			advertise = h
		}
		ip, err := resolveHost(advertise)
		if err != nil {
			return "", fmt.Errorf("node: --advertise %q: %w", advertise, err)
		}
		return net.JoinHostPort(ip, port), nil
	}
	ip := net.ParseIP(host)
	if host == "" || (ip != nil && ip.IsUnspecified()) {
		return "", fmt.Errorf("node: %q binds all interfaces: set --advertise to the address other nodes use", bind)
	}
	return bind, nil
}

// resolveHost returns host as an IP address, resolving a name (a
// container's hostname, say) to its first IPv4 address. Gossip needs IPs.
func resolveHost(host string) (string, error) {
	if net.ParseIP(host) != nil {
		return host, nil
	}
	ips, err := net.LookupIP(host)
	if err != nil {
		return "", err
	}
	for _, ip := range ips {
		if ip4 := ip.To4(); ip4 != nil {
			return ip4.String(), nil
		}
	}
	if len(ips) == 0 {
		return "", fmt.Errorf("no address for %s", host)
	}
	return ips[0].String(), nil
}
