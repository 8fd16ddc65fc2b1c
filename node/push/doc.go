// Package push holds the pure building blocks of Amazon SNS HTTP/HTTPS push
// delivery; the worker loop that drains the replicated outbox lives
// elsewhere and calls into this package.
//
// It owns:
//
//   - message signing as AWS does it (over the canonical string of
//     fsm/envelope, which owns the envelope document): SignatureVersion 1 (SHA1withRSA) and 2 (SHA256withRSA), the signing
//     identity (an RSA key and a self-signed certificate the leader creates
//     once and the cluster replicates as PEM text), and Verify for
//     endpoints and tests;
//   - the HTTP request: the x-amz-sns-* headers (Headers) and one POST
//     attempt (Post) whose error says whether AWS would retry;
//   - delivery policies: parsing and validating the DeliveryPolicy
//     attribute of subscriptions and topics with AWS's rules and error
//     texts, and the deterministic retry schedule (RetryPolicy.Delay);
//   - endpoint safety: CheckEndpoint refuses URLs that point inside the
//     cluster's network, and NewHTTPClient re-checks every address it
//     connects to (DNS rebinding), follows no redirects and times out
//     after 15 s like SNS.
//
// Nothing here keeps state or touches raft. Only Post (and the client
// NewHTTPClient builds) and CheckEndpoint's DNS lookup use the network.
package push
