package filterpolicy

import "testing"

// The examples of the AWS developer guide's filter policy pages ("Example
// filter policies", "String value matching", "Numeric value matching",
// "Key matching", "AND/OR logic"), in both scopes.

// insuranceAttrs is the example message of "Example filter policies".
var insuranceAttrs = attrs(
	"customer_interests", arr(`["soccer", "rugby", "hockey"]`),
	"store", str("example_corp"),
	"event", str("order_placed"),
	"price_usd", num("210.75"),
)

// insuranceBody is the same message with the attributes in the body.
const insuranceBody = `{ "customer_interests": ["soccer", "rugby", "hockey"], "store": "example_corp", "event":"order_placed", "price_usd":210.75 }`

const (
	acceptingPolicy = `{
   "store": ["example_corp"],
   "event": [{"anything-but": "order_cancelled"}],
   "customer_interests": [
      "rugby",
      "football",
      "baseball"
   ],
   "price_usd": [{"numeric": [">=", 100]}]
}`
	rejectingPolicy = `{
   "store": ["example_corp"],
   "event": ["order_cancelled"],
   "encrypted": [false],
   "customer_interests": [
      "basketball",
      "baseball"
   ]
}`
)

func TestExamplePolicies(t *testing.T) {
	runAttrCases(t, []attrCase{
		{"accepts", acceptingPolicy, insuranceAttrs, true},
		{"rejects", rejectingPolicy, insuranceAttrs, false},
	})
	runBodyCases(t, []bodyCase{
		{"accepts", acceptingPolicy, insuranceBody, true},
		{"rejects", rejectingPolicy, insuranceBody, false},
	})
}

func TestDocStringExactMatching(t *testing.T) {
	const p = `{"customer_interests": ["rugby", "tennis"]}`
	runAttrCases(t, []attrCase{
		{"string rugby", p, attrs("customer_interests", str("rugby")), true},
		{"string tennis", p, attrs("customer_interests", str("tennis")), true},
		{"array", p, attrs("customer_interests", arr(`["rugby", "tennis"]`)), true},
		{"string baseball", p, attrs("customer_interests", str("baseball")), false},
		{"array baseball", p, attrs("customer_interests", arr(`["baseball"]`)), false},
		{"case sensitive", p, attrs("customer_interests", str("Rugby")), false},
	})
	runBodyCases(t, []bodyCase{
		{"rugby", p, `{"customer_interests": "rugby"}`, true},
		{"tennis", p, `{"customer_interests": "tennis"}`, true},
		{"baseball", p, `{"customer_interests": "baseball"}`, false},
	})
}

func TestDocAnythingBut(t *testing.T) {
	const p = `{"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}`
	runAttrCases(t, []attrCase{
		{"baseball", p, attrs("customer_interests", str("baseball")), true},
		{"football", p, attrs("customer_interests", str("football")), true},
		{"rugby", p, attrs("customer_interests", str("rugby")), false},
		{"tennis", p, attrs("customer_interests", str("tennis")), false},
		// "For String.Array type attributes, it matches if none of the
		// array elements are listed in the policy property."
		{"array none listed", p, attrs("customer_interests", arr(`["baseball", "football"]`)), true},
		{"array one listed", p, attrs("customer_interests", arr(`["rugby", "baseball"]`)), false},
		{"missing", p, attrs("other", str("x")), false},
	})
	runBodyCases(t, []bodyCase{
		{"baseball", p, `{"customer_interests": "baseball"}`, true},
		{"football", p, `{"customer_interests": "football"}`, true},
		// The body example: matches "because it contains a value that
		// isn't rugby or tennis".
		{"array", p, `{"customer_interests": ["rugby", "baseball"]}`, true},
		{"rugby", p, `{"customer_interests": "rugby"}`, false},
		{"array all listed", p, `{"customer_interests": ["rugby", "tennis"]}`, false},
		{"missing", p, `{"other": "x"}`, false},
	})
	// "anything-but can be combined with "exists": false".
	const withAbsent = `{"customer_interests": [{"anything-but": ["rugby", "tennis"]}, {"exists": false}]}`
	runAttrCases(t, []attrCase{
		{"absent", withAbsent, attrs("other", str("x")), true},
		{"listed", withAbsent, attrs("customer_interests", str("rugby")), false},
	})
	runBodyCases(t, []bodyCase{
		{"absent", withAbsent, `{"other": "x"}`, true},
		{"unlisted", withAbsent, `{"customer_interests": "golf"}`, true},
	})
}

func TestDocAnythingButPrefix(t *testing.T) {
	const p = `{"event": [{"anything-but": {"prefix": "order-"}}]}`
	runAttrCases(t, []attrCase{
		{"data-entry", p, attrs("event", str("data-entry")), true},
		{"order_number", p, attrs("event", str("order_number")), true},
		{"order-cancelled", p, attrs("event", str("order-cancelled")), false},
	})
	runBodyCases(t, []bodyCase{
		{"data-entry", p, `{"event": "data-entry"}`, true},
		{"order-cancelled", p, `{"event": "order-cancelled"}`, false},
	})
}

func TestDocEqualsIgnoreCase(t *testing.T) {
	const p = `{"customer_interests": [{"equals-ignore-case": "tennis"}]}`
	runAttrCases(t, []attrCase{
		{"upper", p, attrs("customer_interests", str("TENNIS")), true},
		{"title", p, attrs("customer_interests", str("Tennis")), true},
		{"other", p, attrs("customer_interests", str("baseball")), false},
	})
	runBodyCases(t, []bodyCase{
		{"upper", p, `{"customer_interests": "TENNIS"}`, true},
		{"other", p, `{"customer_interests": "baseball"}`, false},
	})
}

func TestDocIPAddressMatching(t *testing.T) {
	const p = `{"source_ip": [{"cidr": "10.0.0.0/24"}]}`
	runAttrCases(t, []attrCase{
		{"first", p, attrs("source_ip", str("10.0.0.0")), true},
		{"last", p, attrs("source_ip", str("10.0.0.255")), true},
		{"outside", p, attrs("source_ip", str("10.1.1.0")), false},
	})
	runBodyCases(t, []bodyCase{
		{"inside", p, `{"source_ip": "10.0.0.0"}`, true},
		{"outside", p, `{"source_ip": "10.1.1.0"}`, false},
	})
}

func TestDocPrefixSuffix(t *testing.T) {
	const prefix = `{"customer_interests": [{"prefix": "bas"}]}`
	const suffix = `{"customer_interests": [{"suffix": "ball"}]}`
	runAttrCases(t, []attrCase{
		{"prefix baseball", prefix, attrs("customer_interests", str("baseball")), true},
		{"prefix basketball", prefix, attrs("customer_interests", str("basketball")), true},
		{"prefix rugby", prefix, attrs("customer_interests", str("rugby")), false},
		{"suffix baseball", suffix, attrs("customer_interests", str("baseball")), true},
		{"suffix basketball", suffix, attrs("customer_interests", str("basketball")), true},
		{"suffix rugby", suffix, attrs("customer_interests", str("rugby")), false},
	})
	runBodyCases(t, []bodyCase{
		{"prefix", prefix, `{"customer_interests": "baseball"}`, true},
		{"prefix rugby", prefix, `{"customer_interests": "rugby"}`, false},
		{"suffix", suffix, `{"customer_interests": "basketball"}`, true},
		{"suffix rugby", suffix, `{"customer_interests": "rugby"}`, false},
	})
}

func TestDocNumericMatching(t *testing.T) {
	const exact = `{"price_usd": [{"numeric": ["=", 301.5]}]}`
	const anythingBut = `{"price_usd": [{"anything-but": [100, 500]}]}`
	const between = `{"price_usd": [{"numeric": [">", 0, "<=", 150]}]}`
	runAttrCases(t, []attrCase{
		{"exact", exact, attrs("price_usd", num("301.5")), true},
		{"exact exponent", exact, attrs("price_usd", num("3.015e2")), true},
		{"exact other", exact, attrs("price_usd", num("301.51")), false},
		{"anything-but 1000", anythingBut, attrs("price_usd", num("1000")), true},
		{"anything-but 5", anythingBut, attrs("price_usd", num("5")), true},
		{"anything-but 100", anythingBut, attrs("price_usd", num("100")), false},
		{"anything-but 500.0", anythingBut, attrs("price_usd", num("500.0")), false},
		{"range 100", between, attrs("price_usd", num("100")), true},
		{"range 150", between, attrs("price_usd", num("150")), true},
		{"range 0", between, attrs("price_usd", num("0")), false},
		{"range 150.5", between, attrs("price_usd", num("150.5")), false},
	})
	runBodyCases(t, []bodyCase{
		{"exact", exact, `{"price_usd": 301.5}`, true},
		{"exact exponent", exact, `{"price_usd": 3.015e2}`, true},
		{"anything-but", anythingBut, `{"price_usd": 1000}`, true},
		{"anything-but 500", anythingBut, `{"price_usd": 500}`, false},
		{"range", between, `{"price_usd": 100}`, true},
		{"range out", between, `{"price_usd": 151}`, false},
	})
}

func TestDocKeyMatching(t *testing.T) {
	const exists = `{"store": [{"exists": true}]}`
	const absent = `{"store": [{"exists": false}]}`
	with := attrs("store", str("fans"), "customer_interests", arr(`["baseball", "basketball"]`))
	without := attrs("customer_interests", arr(`["baseball", "basketball"]`))
	runAttrCases(t, []attrCase{
		{"exists with", exists, with, true},
		{"exists without", exists, without, false},
		{"absent with", absent, with, false},
		{"absent without", absent, without, true},
		// "exists": false only matches if at least one attribute is present.
		{"absent no attributes", absent, nil, false},
	})
	const withBody = `{"store": "fans", "customer_interests": ["baseball", "basketball"]}`
	const withoutBody = `{"customer_interests": ["baseball", "basketball"]}`
	runBodyCases(t, []bodyCase{
		{"exists with", exists, withBody, true},
		{"exists without", exists, withoutBody, false},
		{"absent with", absent, withBody, false},
		{"absent without", absent, withoutBody, true},
	})
}

func TestDocAndOrLogic(t *testing.T) {
	const and = `{"customer_interests": ["rugby"], "price_usd": [{"numeric": [">", 100]}]}`
	const or = `{"customer_interests": ["rugby", "football", "baseball"]}`
	runAttrCases(t, []attrCase{
		{"and both", and, attrs("customer_interests", str("rugby"), "price_usd", num("101")), true},
		{"and one", and, attrs("customer_interests", str("rugby"), "price_usd", num("100")), false},
		{"or football", or, attrs("customer_interests", str("football")), true},
		{"or golf", or, attrs("customer_interests", str("golf")), false},
	})
	runBodyCases(t, []bodyCase{
		{"and both", and, `{"customer_interests": "rugby", "price_usd": 101}`, true},
		{"and one", and, `{"customer_interests": "rugby"}`, false},
		{"or baseball", or, `{"customer_interests": "baseball"}`, true},
	})
}

func TestDocOrOperator(t *testing.T) {
	// "source" && ("metricName" || "namespace")
	const standard = `{
  "source": [ "aws.cloudwatch" ],
  "$or": [
    { "metricName": [ "CPUUtilization" ] },
    { "namespace": [ "AWS/EC2" ] }
  ]
}`
	runAttrCases(t, []attrCase{
		{"metricName", standard, attrs("source", str("aws.cloudwatch"), "metricName", str("CPUUtilization")), true},
		{"namespace", standard, attrs("source", str("aws.cloudwatch"), "namespace", str("AWS/EC2")), true},
		{"neither", standard, attrs("source", str("aws.cloudwatch"), "namespace", str("AWS/ES")), false},
		{"no source", standard, attrs("metricName", str("CPUUtilization")), false},
	})
	runBodyCases(t, []bodyCase{
		{"metricName", standard, `{"source": "aws.cloudwatch", "metricName": "CPUUtilization"}`, true},
		{"neither", standard, `{"source": "aws.cloudwatch"}`, false},
	})

	// The documented complexity example: 7 combinations, accepted.
	const nested = `{
  "source": [ "aws.cloudwatch" ],
  "$or": [
    { "metricName": [ "CPUUtilization", "ReadLatency" ] },
    {
      "metricType": [ "MetricType" ] ,
      "$or" : [
        { "metricId": [ 1234, 4321 ] },
        { "spaceId": [ 1000, 2000, 3000 ] }
      ]
    }
  ]
}`
	runAttrCases(t, []attrCase{
		{"nested metricName", nested, attrs("source", str("aws.cloudwatch"), "metricName", str("ReadLatency")), true},
		{"nested metricId", nested, attrs("source", str("aws.cloudwatch"), "metricType", str("MetricType"), "metricId", num("4321")), true},
		{"nested spaceId", nested, attrs("source", str("aws.cloudwatch"), "metricType", str("MetricType"), "spaceId", num("3000")), true},
		{"nested no metricType", nested, attrs("source", str("aws.cloudwatch"), "spaceId", num("3000")), false},
	})
	if tree := mustTree(t, nested, MessageAttributes); complexity(tree, 1) != 7 {
		t.Errorf("complexity of the documented $or example = %d, want 7", complexity(tree, 1))
	}
}

// mustTree validates a policy and returns its tree, for the limit checks.
func mustTree(t *testing.T, doc string, scope Scope) *pnode {
	t.Helper()
	root, err := parseJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	var w walker
	tree, perr := w.object(root, false)
	if perr != nil {
		t.Fatal(perr)
	}
	return tree
}

func TestDocPayloadNested(t *testing.T) {
	// The S3 event example of payload-based filtering.
	const p = `{"Records": {"s3": {"object": {"key": [{"prefix": "auto-"}]}}, "eventName": [{"prefix": "ObjectCreated:"}]}}`
	runBodyCases(t, []bodyCase{
		{"match", p, `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"object":{"key":"auto-insurance-2314.xml","size":17}}}]}`, true},
		{"wrong prefix", p, `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"key":"home-insurance-2314.xml"}}}]}`, false},
		{"one record matches", p, `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":[[{"key":"auto-insurance-2314.xml","size":17}]]}},{"eventName":"ObjectRemoved:Delete","s3":{"object":{"key":"home-insurance-2314.xml"}}}]}`, true},
	})
}
