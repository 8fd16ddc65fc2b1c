// Package envelope owns the JSON document Amazon SNS delivers: the
// envelope an HTTP/S endpoint receives as its POST body and an SQS
// subscriber (without raw delivery) as its message body, byte for byte as
// AWS lays it out (field names and order, two-space indentation, " : ",
// no HTML escaping), and the canonical string its signature covers.
//
// It is pure and deterministic: the state machine renders SQS bodies with
// it on every replica, and node/push signs and posts what it renders.
package envelope
