//go:build chaos

package chaos

import "time"

// Kind names a fault.
type Kind string

// The fault kinds.
const (
	KillLeader       Kind = "kill-leader"        // SIGKILL the leader, restart on the same data
	KillFollower     Kind = "kill-follower"      // SIGKILL a follower, restart
	KillAll          Kind = "kill-all"           // SIGKILL all three at once, restart
	KillMajority     Kind = "kill-majority"      // SIGKILL the leader and a follower: the survivor must ack nothing
	PauseLeader      Kind = "pause-leader"       // SIGSTOP the leader past the election timeout, then SIGCONT
	PauseFollower    Kind = "pause-follower"     // SIGSTOP a follower, then SIGCONT
	IsolateLeader    Kind = "isolate-leader"     // cut the leader from both followers, both directions
	IsolateFollower  Kind = "isolate-follower"   // majority/minority: cut a follower from the others
	Bridge           Kind = "bridge"             // two nodes cannot talk, both talk to the third
	OneWayDeaf       Kind = "oneway-leader-deaf" // the leader's inbound packets from peers are dropped
	OneWayMute       Kind = "oneway-leader-mute" // the peers drop what the leader sends
	SnapshotCatchup  Kind = "snapshot-catchup"   // stop a follower until the leader compacts past it, restart: InstallSnapshot
	DisconnectLeader Kind = "disconnect-leader"  // docker only: docker network disconnect the leader
)

// majorityUp tells whether a connected majority survives the fault.
func (k Kind) majorityUp() bool { return k != KillAll && k != KillMajority }

// AllKinds are the kinds either backend can inject.
var AllKinds = []Kind{KillLeader, KillFollower, KillAll, KillMajority, PauseLeader, PauseFollower,
	IsolateLeader, IsolateFollower, Bridge, OneWayDeaf, OneWayMute, SnapshotCatchup}

// Spec is one fault to inject: its kind and how long it holds.
type Spec struct {
	Kind Kind
	Hold time.Duration
	// Ends, for Bridge: the two nodes that cannot talk ("" picks them).
	Ends [2]string
}

// Record is what happened when a fault was injected.
type Record struct {
	ID      int      `json:"id"`
	Kind    Kind     `json:"kind"`
	Backend string   `json:"backend"`
	Leader  string   `json:"leader"`
	Targets []string `json:"targets"`
	// Times since the segment began (history clock).
	Start     time.Duration `json:"start_ns"`
	End       time.Duration `json:"end_ns"`
	Recovered time.Duration `json:"recovered_ns"`
	Horizon   time.Duration `json:"horizon_ns"`
	// Cut are nodes that could not reach a majority while the fault held.
	Cut        []string `json:"cut,omitempty"`
	MajorityUp bool     `json:"majority_up"`
	// SnapshotInstalled is set for SnapshotCatchup: whether the restarted
	// follower's snapshot store received the leader's snapshot.
	SnapshotInstalled *bool    `json:"snapshot_installed,omitempty"`
	Notes             []string `json:"notes,omitempty"`
	Err               string   `json:"err,omitempty"`
}
