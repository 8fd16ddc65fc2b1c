// Package node is one Wharf cluster member: it owns raft (log and stable
// store in raft-boltdb, file snapshots, TCP transport on a port it shares
// with the command RPC that takes message operations from followers to
// the leader), the gossip layer (memberlist, with raft and API addresses
// in the node metadata), bootstrap with an expected server count,
// membership reconciliation, and the typed service operations transport
// calls (SendMessages, ReceiveMessages...). Writes are raft commands stamped here with the time,
// message IDs and receipt nonces; reads wait until they are linearizable.
// Leader duties (membership reconcile, retention sweeps, long-poll
// waiters) run only on the leader.
package node
