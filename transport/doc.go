// Package transport is how bytes reach a Wharf node over HTTP.
//
// It serves the Amazon SQS API in both of AWS's wire protocols on one port:
// AWS JSON 1.0 (X-Amz-Target: AmazonSQS.<Action>) and the legacy query
// protocol (form-encoded Action=... answered in XML). The protocol is chosen
// per request; both protocols decode into the same request structs and run
// the same validation and handler code, so only decoding and encoding differ.
//
// It also serves the native REST API under /v1 (rest*.go; the contract is
// docs/rest-api.md, docs/openapi.yaml describes it for machines), the admin
// endpoints (/healthz, /readyz, /v1/cluster/status) and forwards requests
// that reach a follower to the leader, once. The message commands (send,
// receive, delete, change visibility, publish) are the exception: a
// follower decodes and validates them, and the node takes the typed
// command to the leader itself.
//
// transport depends on the node through the Backend interface it owns;
// *node.Node implements it. Errors the backend returns are either domain
// errors (*fsm.Error, answered with their AWS code) or "retry" errors
// (answered with a retryable 5xx, never a 4xx).
package transport
