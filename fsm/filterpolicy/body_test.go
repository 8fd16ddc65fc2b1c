package filterpolicy

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestMatchBodyNesting(t *testing.T) {
	// Recorded against AWS: a nested policy matches every way of spelling
	// the same dotted path in the body.
	const deep = `{"object":{"nested":{"test":[{"prefix":"string"}]}}}`
	const dotted = `{"object.nested.test":[{"prefix":"string"}]}`
	for _, p := range []string{deep, dotted} {
		runBodyCases(t, []bodyCase{
			{"nested", p, `{"object": {"nested": {"test": "string.value"}}}`, true},
			{"flat", p, `{"object.nested.test": "string.value"}`, true},
			{"half", p, `{"object.nested": {"test": "string.value"}}`, true},
			{"other half", p, `{"object": {"nested.test": "string.value"}}`, true},
			{"wrong value", p, `{"object": {"nested": {"test": "other"}}}`, false},
			{"too shallow", p, `{"object": {"nested": "string.value"}}`, false},
		})
	}
	runBodyCases(t, []bodyCase{
		{"sibling keys", `{"a":{"b":["x"],"c":["y"]}}`, `{"a":{"b":"x","c":"y"}}`, true},
		{"sibling keys one wrong", `{"a":{"b":["x"],"c":["y"]}}`, `{"a":{"b":"x","c":"z"}}`, false},
		{"or nested", `{"a":{"$or":[{"b":["x"]},{"c":["y"]}]}}`, `{"a":{"c":"y"}}`, true},
		{"or nested neither", `{"a":{"$or":[{"b":["x"]},{"c":["y"]}]}}`, `{"a":{"c":"x"}}`, false},
		{"or top with nested", `{"$or":[{"a":{"b":["x"]}},{"c":["y"]}]}`, `{"a":{"b":"x"}}`, true},
		{"or plain key", `{"$or":{"a":["x"]}}`, `{"$or":{"a":"x"}}`, true},
		{"empty key", `{"":{"":["x"]}}`, `{"":{"":"x"}}`, true},
		{"empty key is not absent prefix", `{"":{"x":["y"]}}`, `{"x":"y"}`, false},
		{"duplicate body keys", `{"a":["y"]}`, `{"a":"x","a":"y"}`, true},
	})
}

func TestMatchBodyValues(t *testing.T) {
	runBodyCases(t, []bodyCase{
		{"null", `{"a":[null]}`, `{"a":null}`, true},
		{"null not missing", `{"a":[null]}`, `{"b":1}`, false},
		{"null not string", `{"a":[null]}`, `{"a":"null"}`, false},
		{"true", `{"a":[true]}`, `{"a":true}`, true},
		{"true not string", `{"a":[true]}`, `{"a":"true"}`, false},
		{"false not true", `{"a":[false]}`, `{"a":true}`, false},
		{"number value", `{"a":[5]}`, `{"a":5.0}`, true},
		{"number exponent", `{"a":[5]}`, `{"a":0.5e1}`, true},
		{"number not string", `{"a":[5]}`, `{"a":"5"}`, false},
		{"string not number", `{"a":["5"]}`, `{"a":5}`, false},
		{"numeric", `{"a":[{"numeric":[">=",1,"<",2]}]}`, `{"a":1.5}`, true},
		{"numeric huge", `{"a":[{"numeric":[">=",1]}]}`, `{"a":1e300}`, false},
		{"anything-but other type", `{"a":[{"anything-but":"x"}]}`, `{"a":5}`, true},
		{"anything-but null value", `{"a":[{"anything-but":"x"}]}`, `{"a":null}`, true},
		{"anything-but number list", `{"a":[{"anything-but":[1,2]}]}`, `{"a":2.0}`, false},
		{"equals-ignore-case", `{"a":[{"equals-ignore-case":"X"}]}`, `{"a":"x"}`, true},
		{"cidr", `{"a":[{"cidr":"10.0.0.0/8"}]}`, `{"a":"10.2.3.4"}`, true},
		{"cidr number", `{"a":[{"cidr":"10.0.0.0/8"}]}`, `{"a":10}`, false},
		{"escaped string", `{"a":["x\"y"]}`, `{"a":"x\u0022y"}`, true},
	})
}

func TestMatchBodyExists(t *testing.T) {
	runBodyCases(t, []bodyCase{
		{"present", `{"a":[{"exists":true}]}`, `{"a":"x"}`, true},
		{"present number", `{"a":[{"exists":true}]}`, `{"a":0}`, true},
		{"present false", `{"a":[{"exists":true}]}`, `{"a":false}`, true},
		// "The key must have a non-null and non-empty value."
		{"null", `{"a":[{"exists":true}]}`, `{"a":null}`, false},
		{"empty string", `{"a":[{"exists":true}]}`, `{"a":""}`, false},
		{"empty array", `{"a":[{"exists":true}]}`, `{"a":[]}`, false},
		// exists works on leaf nodes only.
		{"object", `{"a":[{"exists":true}]}`, `{"a":{"b":1}}`, false},
		{"object absent", `{"a":[{"exists":false}]}`, `{"a":{"b":1}}`, true},
		{"array of values", `{"a":[{"exists":true}]}`, `{"a":[null,"x"]}`, true},
		{"absent", `{"a":[{"exists":false}]}`, `{"b":1}`, true},
		{"not absent", `{"a":[{"exists":false}]}`, `{"a":1}`, false},
		{"nested absent", `{"a":{"b":[{"exists":false}]}}`, `{"a":{"c":1}}`, true},
		// AWS: an empty message matches no policy.
		{"empty body", `{"a":[{"exists":false}]}`, `{}`, false},
		{"no leaves", `{"a":[{"exists":false}]}`, `{"b":{},"c":[]}`, false},
	})
}

func TestMatchBodyNotAnObject(t *testing.T) {
	const p = `{"a":[{"exists":false}]}`
	for _, body := range []string{"", "plain text", `["a"]`, `"a"`, `5`, `null`, `{"a":`, `{"b":1} x`, strings.Repeat("[", 2000) + strings.Repeat("]", 2000)} {
		if mustParse(t, p, MessageBody).MatchBody(body) {
			t.Errorf("body %.40q matched", body)
		}
	}
}

func TestMatchBodyArrays(t *testing.T) {
	const routes = `{"headers":{"route-to":["queue1"]}}`
	runBodyCases(t, []bodyCase{
		// Recorded against AWS.
		{"array element", routes, `{"headers":{"route-to":["queue1","queue2"]}}`, true},
		{"array single", routes, `{"headers":{"route-to":["queue1"]}}`, true},
		{"array other", routes, `{"headers":{"route-to":["queue2"]}}`, false},
		{"array of objects", `{"a":{"b":["x"]}}`, `{"a":[{"b":"y"},{"b":"x"}]}`, true},
		{"nested arrays", `{"a":{"b":["x"]}}`, `{"a":[[{"b":"y"}],[[{"b":"x"}]]]}`, true},
		{"array numeric", `{"a":[{"numeric":[">",10]}]}`, `{"a":[1,20]}`, true},
		{"array anything-but any element", `{"a":[{"anything-but":"x"}]}`, `{"a":["x","y"]}`, true},
		{"array anything-but all listed", `{"a":[{"anything-but":"x"}]}`, `{"a":["x","x"]}`, false},
	})
}

func TestMatchBodyArrayConsistency(t *testing.T) {
	// Values from objects inside one array must come from one element.
	const p = `{"Records":{"eventName":[{"prefix":"ObjectCreated:"}],"s3":{"object":{"key":[{"prefix":"auto-"}]}}}}`
	runBodyCases(t, []bodyCase{
		{"same record", p, `{"Records":[{"eventName":"ObjectRemoved:Delete","s3":{"object":{"key":"auto-1"}}},{"eventName":"ObjectCreated:Put","s3":{"object":{"key":"auto-2"}}}]}`, true},
		{"split across records", p, `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"key":"home-1"}}},{"eventName":"ObjectRemoved:Delete","s3":{"object":{"key":"auto-2"}}}]}`, false},
		{"inner array", p, `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":[{"key":"home-1"},{"key":"auto-1"}]}}]}`, true},
		{"inner array other record", p, `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":[{"key":"home-1"}]}},{"eventName":"x","s3":{"object":[{"key":"auto-1"}]}}]}`, false},
		{"outside any array", `{"a":["x"],"b":{"c":["y"]}}`, `{"a":"x","b":[{"c":"z"},{"c":"y"}]}`, true},
		{"different arrays", `{"a":{"x":["1"]},"b":{"y":["2"]}}`, `{"a":[{"x":"0"},{"x":"1"}],"b":[{"y":"2"}]}`, true},
		{"or in record", `{"Records":{"$or":[{"a":["1"]},{"b":["2"]}],"c":["3"]}}`, `{"Records":[{"a":"1","c":"0"},{"b":"2","c":"3"}]}`, true},
		{"or split", `{"Records":{"$or":[{"a":["1"]},{"b":["2"]}],"c":["3"]}}`, `{"Records":[{"a":"1","c":"0"},{"b":"0","c":"3"}]}`, false},
	})
}

func TestMatchBodyPathologicalIsBounded(t *testing.T) {
	// Five keys in one array, each element holding four of them (twice
	// over, in inner arrays): no element has all five.
	var b strings.Builder
	b.WriteString(`{"r":[`)
	for i := 0; i < 3000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		skip := "abcde"[i%5 : i%5+1]
		b.WriteByte('{')
		first := true
		for _, k := range []string{"a", "b", "c", "d", "e"} {
			if k == skip {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			fmt.Fprintf(&b, `"%s":[1,1]`, k)
		}
		b.WriteByte('}')
	}
	b.WriteString(`]}`)
	body := b.String()
	p := mustParse(t, `{"r":{"a":[1],"b":[1],"c":[1],"d":[1],"e":[1]}}`, MessageBody)
	start := time.Now()
	first := p.MatchBody(body)
	for i := 0; i < 3; i++ {
		if p.MatchBody(body) != first {
			t.Fatal("MatchBody is not deterministic")
		}
	}
	if first {
		t.Error("matched, but no element has all five keys")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestMatchBodyRareConsistentPair(t *testing.T) {
	// Each key matches in half the records, and only the last record has
	// both: a search over pairs would need a billion steps.
	var b strings.Builder
	b.WriteString(`{"r":[`)
	for i := 0; i < 40000; i++ {
		if i%2 == 0 {
			b.WriteString(`{"a":"x","b":"n"},`)
		} else {
			b.WriteString(`{"a":"n","b":"y"},`)
		}
	}
	b.WriteString(`{"a":"x","b":"y"}]}`)
	p := mustParse(t, `{"r":{"a":["x"],"b":["y"]}}`, MessageBody)
	start := time.Now()
	if !p.MatchBody(b.String()) {
		t.Error("no match")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	without := strings.Replace(b.String(), `{"a":"x","b":"y"}]}`, `{"a":"x","b":"n"}]}`, 1)
	if p.MatchBody(without) {
		t.Error("matched values from different records")
	}
}

func TestMatchBodyLarge(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i := 0; i < 20000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"kind":"k%d","skip":{"deep":[1,2,3]}}`, i, i%7)
	}
	b.WriteString(`]}`)
	p := mustParse(t, `{"items":{"id":[{"numeric":["=",19999]}],"kind":["k0"]}}`, MessageBody)
	// 19999 % 7 == 0: the last element has both.
	if !p.MatchBody(b.String()) {
		t.Error("no match")
	}
	q := mustParse(t, `{"items":{"id":[{"numeric":["=",19998]}],"kind":["k0"]}}`, MessageBody)
	if q.MatchBody(b.String()) {
		t.Error("matched values from different elements")
	}
}

func TestMatchScopeDispatch(t *testing.T) {
	body := mustParse(t, `{"a":["x"]}`, MessageBody)
	attr := mustParse(t, `{"a":["x"]}`, MessageAttributes)
	as := attrs("a", str("x"))
	if !body.Match(nil, `{"a":"x"}`) || body.Match(as, `{"a":"y"}`) {
		t.Error("body-scope Match looked at the attributes")
	}
	if !attr.Match(as, `{"a":"y"}`) || attr.Match(attrs("a", str("y")), `{"a":"x"}`) {
		t.Error("attribute-scope Match looked at the body")
	}
	if Scope(9) == MessageBody {
		t.Fatal("unreachable")
	}
	odd := mustParse(t, `{"a":["x"]}`, Scope(9))
	if odd.Scope() != MessageAttributes || !odd.Match(as, "") {
		t.Error("an unknown scope is not treated as MessageAttributes")
	}
}
