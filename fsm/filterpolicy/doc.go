// Package filterpolicy owns Amazon SNS subscription filter policies: it
// parses and validates a FilterPolicy document for its FilterPolicyScope,
// with AWS's constraints and error messages, and decides whether a published
// message (its attributes, or its JSON body) matches.
//
// SNS evaluates filter policies with AWS's Event Ruler, and this package
// follows Ruler's grammar and wording where SNS does: exact strings, numbers,
// booleans and null; prefix, suffix, equals-ignore-case; anything-but (a
// value, a list, or a prefix or suffix); numeric comparisons and ranges;
// exists; cidr; "$or" at any level; nested keys (message body only).
//
// The package is pure and deterministic, because the replicated state
// machine uses it: no clock, no randomness, no global mutable state, no
// result that depends on Go map iteration order, and no arithmetic whose
// result could differ between CPU architectures (numbers are compared as
// exact decimals floored to millionths, never as floats). It never panics,
// whatever the input. A Policy is immutable once parsed and safe for
// concurrent use.
//
// Where AWS's documentation is silent the package follows Event Ruler, and
// where the two differ the documentation wins: exists:true needs a
// non-null, non-empty value; Binary attributes are ignored (absent); a
// String.Array attribute satisfies anything-but only if no element is
// excluded, while a body array needs one element that is not; a message
// with no attributes (or a body with no values) matches no policy but
// "{}". Two constraints are counted as documented but their details are
// inferred: the five-key limit counts leaf keys, and a "$or" as its
// alternative with the most; complexity multiplies each array's size by
// its nesting depth and sums over "$or" alternatives.
//
// What the package does not own: the FilterPolicy and FilterPolicyScope
// subscription attributes themselves, the per-topic and per-account policy
// quotas, and the "Invalid parameter: ..." framing of the error, which the
// caller adds (Error.AWSMessage builds it).
package filterpolicy
