package filterpolicy

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// values returns a JSON array of n distinct strings.
func values(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`"v%d"`, i)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name  string
		doc   string
		scope Scope
		want  string
	}{
		// Recorded against AWS (LocalStack's AWS-validated snapshots).
		{"nested list", `{"key":[["value"]]}`, MessageAttributes, msgMatchValue},
		{"unknown operator", `{"key":[{"wrong-operator":true}]}`, MessageAttributes, "Unrecognized match type wrong-operator"},
		{"two operators", `{"key":[{"suffix":"value","prefix":"value2"}]}`, MessageAttributes, msgOneKey},
		{"suffix number", `{"key":[{"suffix":100}]}`, MessageAttributes, "suffix match pattern must be a string"},
		{"suffix null", `{"key":[{"suffix":null}]}`, MessageAttributes, "suffix match pattern must be a string"},
		{"suffix empty list", `{"key":[{"suffix":[]}]}`, MessageAttributes, "suffix match pattern must be a string"},
		{"suffix list", `{"key":[{"suffix":["test","test2"]}]}`, MessageAttributes, "suffix match pattern must be a string"},
		{"operator not in list", `{"key":{"suffix":"value"}}`, MessageAttributes, `"suffix" must be an object or an array`},
		{"two operators not in list", `{"key":{"suffix":"value","prefix":"value"}}`, MessageAttributes, `"suffix" must be an object or an array`},
		{"no operator not in list", `{"key":{"not-an-operator":"value"}}`, MessageAttributes, `"not-an-operator" must be an object or an array`},
		{"numeric empty", `{"key":[{"numeric":[]}]}`, MessageAttributes, "Invalid member in numeric match: ]"},
		{"numeric bad operator", `{"key":[{"numeric":["operator"]}]}`, MessageAttributes, "Unrecognized numeric range operator: operator"},
		{"numeric operand first", `{"key":[{"numeric":[1,"<="]}]}`, MessageAttributes, "Invalid member in numeric match: 1"},
		{"numeric string value", `{"key":[{"numeric":["=","000"]}]}`, MessageAttributes, "Value of equals must be numeric"},
		{"numeric missing value", `{"key":[{"numeric":[">="]}]}`, MessageAttributes, "Value of >= must be numeric"},
		{"numeric range order", `{"key":[{"numeric":["<",100,">",10]}]}`, MessageAttributes, msgTooManyNumeric},
		{"numeric range operators", `{"key":[{"numeric":[">=",1,">",2]}]}`, MessageAttributes, "Bad numeric range operator: >"},
		{"numeric bottom top", `{"key":[{"numeric":[">",3,"<",1]}]}`, MessageAttributes, "Bottom must be less than top"},
		{"numeric bottom equals top", `{"key":[{"numeric":[">=",3,"<=",3]}]}`, MessageAttributes, "Bottom must be less than top"},
		{"numeric missing range value", `{"key":[{"numeric":[">",20,"<="]}]}`, MessageAttributes, "Value of <= must be numeric"},
		{"numeric missing range operator", `{"key":[{"numeric":[">",20,30]}]}`, MessageAttributes, "Bad value in numeric range: 30"},
		{"numeric bad range operator", `{"key":[{"numeric":[">",20,"test"]}]}`, MessageAttributes, "Bad numeric range operator: test"},
		{"numeric string bottom", `{"key":[{"numeric":[">","20","<","30"]}]}`, MessageAttributes, "Value of > must be numeric"},
		{"numeric string top", `{"key":[{"numeric":[">",20,"<","30"]}]}`, MessageAttributes, "Value of < must be numeric"},
		{"numeric too many terms", `{"key":[{"numeric":[">",20,"<",30,"<",50]}]}`, MessageAttributes, "Too many terms in numeric range expression"},
		{"exists null", `{"key":[{"exists":null}]}`, MessageAttributes, "exists match pattern must be either true or false."},
		{"exists string", `{"key":[{"exists":"no"}]}`, MessageAttributes, "exists match pattern must be either true or false."},
		{"anything-but unknown", `{"key":[{"anything-but":{"wrong-operator":null}}]}`, MessageAttributes, "Unsupported anything-but pattern: wrong-operator"},
		{"anything-but exists", `{"key":[{"anything-but":{"exists":false}}]}`, MessageAttributes, "Unsupported anything-but pattern: exists"},
		{"anything-but prefix type", `{"key":[{"anything-but":{"prefix":false}}]}`, MessageAttributes, "prefix match pattern must be a string"},
		{"leaf not a list", `{"key_a":"value_one"}`, MessageBody, `"key_a" must be an object or an array`},
		{"six keys", `{"key_a":["value_one"],"key_b":["value_two"],"key_c":["value_three"],"key_d":["value_four"],"key_e":["value_five"],"key_f":["value_six"]}`, MessageAttributes, msgTooManyKeys},
		{"151 values", `{"store":` + values(151) + `}`, MessageAttributes, msgTooComplex},
		{"invalid JSON", `{invalidjson}`, MessageAttributes, msgParseJSON},

		// Event Ruler's compiler, whose messages SNS passes on.
		{"numeric string operand", `{"price":[{"numeric":["<","100"]}]}`, MessageAttributes, "Value of < must be numeric"},
		{"numeric leading value", `{"price":[{"numeric":[50,"<=","100"]}]}`, MessageAttributes, "Invalid member in numeric match: 50"},
		{"numeric leading raw text", `{"price":[{"numeric":[1.50]}]}`, MessageAttributes, "Invalid member in numeric match: 1.50"},
		{"numeric leading object", `{"price":[{"numeric":[{}]}]}`, MessageAttributes, "Invalid member in numeric match: {"},
		{"numeric string zero", `{"price":[{"numeric":["0"]}]}`, MessageAttributes, "Unrecognized numeric range operator: 0"},
		{"numeric less then greater", `{"price":[{"numeric":["<",20,">",1]}]}`, MessageAttributes, msgTooManyNumeric},
		{"numeric equals extra", `{"price":[{"numeric":["=",20,1]}]}`, MessageAttributes, msgTooManyNumeric},
		{"numeric greater greater", `{"price":[{"numeric":[">",20,">",1]}]}`, MessageAttributes, "Bad numeric range operator: >"},
		{"numeric missing top", `{"price":[{"numeric":[">",20,"<"]}]}`, MessageAttributes, "Value of < must be numeric"},
		{"numeric bad range value", `{"price":[{"numeric":[">",20,true]}]}`, MessageAttributes, "Bad value in numeric range: true"},
		{"numeric not array", `{"price":[{"numeric":5}]}`, MessageAttributes, "Value of numeric must be an array."},
		{"numeric out of range", `{"price":[{"numeric":[">",1000000001]}]}`, MessageAttributes, msgNumberRange},
		{"numeric top out of range", `{"price":[{"numeric":[">",0,"<",1e10]}]}`, MessageAttributes, msgNumberRange},
		{"numeric second key", `{"price":[{"numeric":["=",1],"exists":true}]}`, MessageAttributes, msgTooManyNumeric},
		{"exists second key", `{"price":[{"exists":true,"prefix":"a"}]}`, MessageAttributes, msgOneKey},
		{"empty expression", `{"price":[{}]}`, MessageAttributes, msgNoExprName},
		{"wildcard", `{"price":[{"wildcard":"a*"}]}`, MessageAttributes, "Unrecognized match type wildcard"},
		{"prefix object", `{"price":[{"prefix":{"equals-ignore-case":"a"}}]}`, MessageAttributes, "prefix match pattern must be a string"},
		{"equals-ignore-case number", `{"price":[{"equals-ignore-case":5}]}`, MessageAttributes, "equals-ignore-case match pattern must be a string"},
		{"anything-but empty list", `{"k":[{"anything-but":[]}]}`, MessageAttributes, "Inside anything but list, either all values are number or string, mixed type is not supported"},
		{"anything-but mixed", `{"k":[{"anything-but":["a",1]}]}`, MessageAttributes, "Inside anything but list, either all values are number or string, mixed type is not supported"},
		{"anything-but boolean in list", `{"k":[{"anything-but":["a",true]}]}`, MessageAttributes, "Inside anything but list, start|null|boolean is not supported."},
		{"anything-but boolean", `{"k":[{"anything-but":true}]}`, MessageAttributes, "Value of anything-but must be an array or single string/number value."},
		{"anything-but null", `{"k":[{"anything-but":null}]}`, MessageAttributes, "Value of anything-but must be an array or single string/number value."},
		{"anything-but empty object", `{"k":[{"anything-but":{}}]}`, MessageAttributes, "Anything-But expression name not found"},
		{"anything-but empty prefix", `{"k":[{"anything-but":{"prefix":""}}]}`, MessageAttributes, "Null prefix/suffix not allowed"},
		{"anything-but suffix type", `{"k":[{"anything-but":{"suffix":1}}]}`, MessageAttributes, "suffix match pattern must be a string"},
		{"anything-but equals-ignore-case", `{"k":[{"anything-but":{"equals-ignore-case":"a"}}]}`, MessageAttributes, "Unsupported anything-but pattern: equals-ignore-case"},
		{"anything-but prefix extra", `{"k":[{"anything-but":{"prefix":"a","suffix":"b"}}]}`, MessageAttributes, msgTooManyNumeric},
		{"anything-but second key", `{"k":[{"anything-but":"a","prefix":"b"}]}`, MessageAttributes, msgTooManyNumeric},
		{"anything-but number out of range", `{"k":[{"anything-but":[2e9]}]}`, MessageAttributes, msgNumberRange},
		{"cidr number", `{"ip":[{"cidr":5}]}`, MessageAttributes, "prefix match pattern must be a string"},
		{"cidr no slash", `{"ip":[{"cidr":"10.0.0.0"}]}`, MessageAttributes, "Malformed CIDR, one '/' required"},
		{"cidr two slashes", `{"ip":[{"cidr":"10.0.0.0/8/8"}]}`, MessageAttributes, "Malformed CIDR, one '/' required"},
		{"cidr trailing slash", `{"ip":[{"cidr":"10.0.0.0/"}]}`, MessageAttributes, "Malformed CIDR, one '/' required"},
		{"cidr mask text", `{"ip":[{"cidr":"10.0.0.0/x"}]}`, MessageAttributes, "Malformed CIDR, mask bits must be an integer"},
		{"cidr mask negative", `{"ip":[{"cidr":"10.0.0.0/-1"}]}`, MessageAttributes, "Malformed CIDR, mask bits must not be negative"},
		{"cidr not an address", `{"ip":[{"cidr":"example.com/24"}]}`, MessageAttributes, "Nonstandard IP address: example.com"},
		{"cidr bad octet", `{"ip":[{"cidr":"300.0.0.0/24"}]}`, MessageAttributes, "Invalid IP address: 300.0.0.0"},
		{"cidr bad ipv6", `{"ip":[{"cidr":"1:2/64"}]}`, MessageAttributes, "Invalid IP address: 1:2"},
		{"cidr ipv4 /32", `{"ip":[{"cidr":"10.0.0.1/32"}]}`, MessageAttributes, "IPv4 mask bits must be < 32"},
		{"cidr ipv6 /128", `{"ip":[{"cidr":"::1/128"}]}`, MessageAttributes, "IPv6 mask bits must be < 128"},
		{"cidr second key", `{"ip":[{"cidr":"10.0.0.0/8","prefix":"1"}]}`, MessageAttributes, msgOneKey},
		{"empty array", `{"k":[]}`, MessageAttributes, msgEmptyArray},
		{"empty nested object", `{"k":{}}`, MessageBody, msgEmptyObject},
		{"not an object", `["k"]`, MessageAttributes, msgNotObject},
		{"string document", `"k"`, MessageAttributes, msgNotObject},
		{"trailing garbage", `{"k":["v"]} x`, MessageAttributes, msgParseJSON},
		{"whitespace only", `  `, MessageAttributes, msgParseJSON},
		{"bare number", `{"k":5}`, MessageBody, `"k" must be an object or an array`},
		{"bare null", `{"k":null}`, MessageBody, `"k" must be an object or an array`},

		// "$or".
		{"or non-object", `{"$or":[{"a":["x"]},{"b":["y"]},"c"]}`, MessageAttributes, "Only JSON object is allowed in array of $or relationship."},
		{"or nested reserved", `{"$or":[{"a":{"prefix":["x"]}},{"b":["y"]}]}`, MessageBody, "prefix is Ruler reserved fieldName which cannot be used inside $or."},
		{"or empty branch", `{"$or":[{},{"b":["y"]}]}`, MessageAttributes, msgEmptyObject},
		// Not an OR (one object): "$or" is an ordinary key whose value
		// array holds a match expression naming no operator.
		{"or single object", `{"$or":[{"a":["x"]}]}`, MessageAttributes, "Unrecognized match type a"},
		// The documented non-OR: numeric and prefix are reserved keywords.
		{"or reserved keys", `{"$or":[{"numeric":123},{"prefix":"abc"}]}`, MessageAttributes, "Value of numeric must be an array."},
		{"or too complex", `{"a":` + values(10) + `,"$or":[{"b":` + values(10) + `},{"c":` + values(6) + `}]}`, MessageAttributes, msgTooComplex},
		{"or too many keys", `{"a":["x"],"b":["x"],"$or":[{"c":["x"],"d":["x"]},{"e":["x"],"f":["x"],"g":["x"],"h":["x"]}]}`, MessageAttributes, msgTooManyKeys},

		// Constraints.
		{"too long", `{"k":["` + strings.Repeat("x", maxPolicySize) + `"]}`, MessageAttributes, msgTooLong},
		{"attributes 5x5x7", `{"a":` + values(5) + `,"b":` + values(5) + `,"c":` + values(7) + `}`, MessageAttributes, msgTooComplex},
		// The nested example AWS documents plus a third key: 3 x 4 x 2 x 3 x 1 x 3 = 216.
		{"nested too complex", `{"key_a":{"key_b":{"key_c":["value_one","value_two","value_three","value_four"]}},"key_d":{"key_e":["value_one","value_two","value_three"]},"key_f":["value_one","value_two","value_three"]}`, MessageBody, msgTooComplex},
		// Counted keys are the leaf keys: state, severity, message and the
		// three under finding (AWS's key-counting example).
		{"nested six keys", `{"state":["SUCCESS"],"severity":[{"exists":true}],"message":[{"exists":true}],"finding":{"standard_control":[{"exists":true}],"region":[{"exists":true}],"account":[{"exists":true}]}}`, MessageBody, msgTooManyKeys},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse(c.doc, c.scope)
			if err == nil {
				t.Fatalf("Parse(%.200s) accepted, want error %q", c.doc, c.want)
			}
			if p != nil {
				t.Errorf("Parse returned a policy with its error")
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not an *Error", err)
			}
			if err.Error() != c.want {
				t.Errorf("Parse(%.200s) error = %q, want %q", c.doc, err.Error(), c.want)
			}
			if pe.Internal() {
				t.Errorf("error is internal, want InvalidParameter")
			}
		})
	}
}

func TestParseNestedInAttributesScope(t *testing.T) {
	_, err := Parse(`{"store":{"key":[{"exists":true}]}}`, MessageAttributes)
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v, want *Error", err)
	}
	if err.Error() != msgNestedAttrs {
		t.Errorf("error = %q", err)
	}
	// AWS gives this one without the "FilterPolicy: " field name.
	const want = "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
	if got := pe.AWSMessage(false); got != want {
		t.Errorf("AWSMessage = %q, want %q", got, want)
	}
	// The same policy is fine in body scope.
	mustParse(t, `{"store":{"key":[{"exists":true}]}}`, MessageBody)
}

func TestErrorAWSMessage(t *testing.T) {
	_, err := Parse(`{"key":[{"exists":null}]}`, MessageAttributes)
	pe := err.(*Error)
	if got, want := pe.AWSMessage(false), "Invalid parameter: FilterPolicy: exists match pattern must be either true or false."; got != want {
		t.Errorf("AWSMessage(false) = %q, want %q", got, want)
	}
	if got, want := pe.AWSMessage(true), "Invalid parameter: Attributes Reason: FilterPolicy: exists match pattern must be either true or false."; got != want {
		t.Errorf("AWSMessage(true) = %q, want %q", got, want)
	}
}

func TestParseExactNumberOutOfRangeIsInternal(t *testing.T) {
	for _, doc := range []string{`{"store":[1000000001]}`, `{"store":[-1000000000.5]}`, `{"store":[1e400]}`} {
		_, err := Parse(doc, MessageAttributes)
		pe, ok := err.(*Error)
		if !ok || !pe.Internal() {
			t.Errorf("Parse(%s) = %v, want an internal error", doc, err)
		}
	}
	// A syntax error elsewhere in the policy is reported first.
	_, err := Parse(`{"store":[1000000001],"x":[{"exists":1}]}`, MessageAttributes)
	if err == nil || err.(*Error).Internal() {
		t.Errorf("got %v, want the exists error", err)
	}
	mustParse(t, `{"store":[1000000000, -1000000000, 0.000001]}`, MessageAttributes)
}

func TestParseAccepts(t *testing.T) {
	cases := []struct {
		name  string
		doc   string
		scope Scope
	}{
		{"150 values", `{"store":` + values(150) + `}`, MessageAttributes},
		{"attributes 5x5x6", `{"a":` + values(5) + `,"b":` + values(5) + `,"c":` + values(6) + `}`, MessageAttributes},
		// AWS's nested complexity example: 3 x 4 x 2 x 3 = 72.
		{"nested 72", `{"key_a":{"key_b":{"key_c":["value_one","value_two","value_three","value_four"]}},"key_d":{"key_e":["value_one","value_two","value_three"]}}`, MessageBody},
		// AWS's second key-counting example: only key_d and key_f count.
		{"nested leaf keys", `{"key_a":{"key_b":{"key_c":{"key_d":["value_one","value_two","value_three","value_four"]}},"key_e":{"key_f":["value_one","value_two","value_three"]}}}`, MessageBody},
		{"or 150", `{"a":` + values(10) + `,"$or":[{"b":` + values(10) + `},{"c":` + values(5) + `}]}`, MessageAttributes},
		{"or five keys per branch", `{"a":["x"],"b":["x"],"c":["x"],"$or":[{"d":["x"],"e":["x"]},{"f":["x"],"g":["x"]}]}`, MessageAttributes},
		{"or not an array is a key", `{"$or":["a","b"]}`, MessageAttributes},
		{"or one element is a key", `{"$or":["a"]}`, MessageAttributes},
		{"or as nested key", `{"$or":{"a":["x"]}}`, MessageBody},
		{"or nested", `{"a":{"$or":[{"b":["x"]},{"c":["y"]}]}}`, MessageBody},
		{"every exact kind", `{"a":["s",1,true,null,{"prefix":"p"},{"suffix":"s"},{"equals-ignore-case":"e"}]}`, MessageAttributes},
		{"every anything-but", `{"b":[{"anything-but":"x"},{"anything-but":["x","y"]},{"anything-but":1},{"anything-but":[1,2]},{"anything-but":{"prefix":"p"}},{"anything-but":{"suffix":"s"}}]}`, MessageAttributes},
		{"every numeric", `{"c":[{"numeric":["=",5]},{"numeric":["<",5]},{"numeric":["<=",5]},{"numeric":[">",5]},{"numeric":[">=",5]},{"numeric":[">",0,"<=",150]}]}`, MessageAttributes},
		{"exists and cidr", `{"d":[{"exists":true},{"exists":false}],"e":[{"cidr":"10.0.0.0/24"},{"cidr":"2001:db8::/32"}]}`, MessageAttributes},
		{"duplicate keys count once", `{"a":["x"],"a":["y"],"b":["x"],"c":["x"],"d":["x"],"e":["x"]}`, MessageAttributes},
		{"numeric bounds", `{"a":[{"numeric":[">=",-1e9,"<=",1e9]}]}`, MessageAttributes},
		{"cidr mask with sign", `{"ip":[{"cidr":"10.0.0.0/+8"}]}`, MessageAttributes},
		{"cidr trailing slashes dropped", `{"ip":[{"cidr":"10.0.0.0/8/"}]}`, MessageAttributes},
		{"empty prefix", `{"a":[{"prefix":""}]}`, MessageAttributes},
		{"deep body policy", `{"a":{"b":{"c":{"d":{"e":["x"]}}}}}`, MessageBody},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mustParse(t, c.doc, c.scope)
		})
	}
}

func TestParseEmpty(t *testing.T) {
	p, err := Parse("", MessageAttributes)
	if p != nil || err != nil {
		t.Fatalf(`Parse("") = %v, %v; want nil, nil`, p, err)
	}
	// A nil policy matches everything.
	if !p.MatchAttributes(nil) || !p.MatchBody("not json") || !p.Match(nil, "") {
		t.Error("nil policy does not match everything")
	}
	for _, scope := range []Scope{MessageAttributes, MessageBody} {
		all := mustParse(t, " { } ", scope)
		if !all.MatchAttributes(nil) || !all.MatchBody("not json") || !all.Match(nil, "[1]") {
			t.Errorf("{} in %v does not match everything", scope)
		}
		if all.Scope() != scope {
			t.Errorf("Scope() = %v, want %v", all.Scope(), scope)
		}
	}
}

func TestParseScope(t *testing.T) {
	for _, s := range []Scope{MessageAttributes, MessageBody} {
		got, err := ParseScope(s.String())
		if err != nil || got != s {
			t.Errorf("ParseScope(%q) = %v, %v", s.String(), got, err)
		}
	}
	_, err := ParseScope("RandomValue")
	if err == nil {
		t.Fatal("ParseScope accepted RandomValue")
	}
	const want = "Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. Please use either MessageBody or MessageAttributes"
	if got := err.(*Error).AWSMessage(false); got != want {
		t.Errorf("AWSMessage = %q, want %q", got, want)
	}
	if got := Scope(7).String(); got != "Scope(7)" {
		t.Errorf("Scope(7).String() = %q", got)
	}
}

func TestLimits(t *testing.T) {
	cases := []struct {
		doc         string
		keys, combo int
	}{
		{`{"key_a":["value_one","value_two","value_three"],"key_b":["value_one"],"key_c":["value_one","value_two"]}`, 3, 6},
		{`{"key_a":{"key_b":{"key_c":["value_one","value_two","value_three","value_four"]}},"key_d":{"key_e":["value_one","value_two","value_three"]}}`, 2, 72},
		{`{"key_a":{"key_b":{"key_c":{"key_d":["1","2","3","4"]}},"key_e":{"key_f":["1","2","3"]}}}`, 2, 144},
		{`{"a":["x"],"$or":[{"b":["x","y"]},{"c":["x"],"d":["x"]}]}`, 3, 3},
	}
	for _, c := range cases {
		tree := mustTree(t, c.doc, MessageBody)
		if got := keyCount(tree); got != c.keys {
			t.Errorf("keyCount(%s) = %d, want %d", c.doc, got, c.keys)
		}
		if got := complexity(tree, 1); got != c.combo {
			t.Errorf("complexity(%s) = %d, want %d", c.doc, got, c.combo)
		}
	}
	if mulSat(saturate, 2) != saturate || mulSat(0, 5) != 0 {
		t.Error("mulSat does not saturate")
	}
}

func TestParseDeterministicBranches(t *testing.T) {
	const doc = `{"z":["1"],"$or":[{"b":["2"],"a":["3"]},{"y":["4"]}],"m":{"$or":[{"q":["5"]},{"p":["6"]}]}}`
	a := mustParse(t, doc, MessageBody)
	for i := 0; i < 20; i++ {
		b := mustParse(t, doc, MessageBody)
		if fmt.Sprint(branchPaths(a)) != fmt.Sprint(branchPaths(b)) {
			t.Fatalf("branches differ between parses: %v vs %v", branchPaths(a), branchPaths(b))
		}
	}
	// As AWS's compiler expands them: each alternative of the later "$or"
	// applied to every branch built so far.
	want := "[[a b m.q z] [m.q y z] [a b m.p z] [m.p y z]]"
	if got := fmt.Sprint(branchPaths(a)); got != want {
		t.Errorf("branches = %s, want %s", got, want)
	}
}

func branchPaths(p *Policy) [][]string {
	var out [][]string
	for _, b := range p.branches {
		var paths []string
		for _, c := range b.conds {
			paths = append(paths, c.path)
		}
		out = append(out, paths)
	}
	return out
}
