package filterpolicy

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseAndMatch feeds arbitrary policies and bodies: nothing may panic,
// and parsing must be deterministic: two parses of one document give the
// same error, or policies that match every message identically.
func FuzzParseAndMatch(f *testing.F) {
	seeds := []struct {
		doc, body string
	}{
		{acceptingPolicy, insuranceBody},
		{rejectingPolicy, insuranceBody},
		{`{"a":[{"numeric":[">",0,"<=",150]}],"b":[{"anything-but":{"prefix":"x"}}]}`, `{"a":5,"b":"y"}`},
		{`{"$or":[{"a":["x"]},{"b":{"c":[{"exists":false}]}}]}`, `{"b":{"c":null},"a":["x","y"]}`},
		{`{"Records":{"eventName":[{"prefix":"Obj"}],"s3":{"key":[{"suffix":".xml"}]}}}`, `{"Records":[{"eventName":"ObjectCreated","s3":{"key":"a.xml"}}]}`},
		{`{"ip":[{"cidr":"10.0.0.0/8"},{"cidr":"2001:db8::/32"}],"n":[1e9,-1e9,null,true]}`, `{"ip":"10.1.2.3","n":[1000000000.0]}`},
		{`{"a":[{"equals-ignore-case":"X"},{"anything-but":[1,2]},{"anything-but":["a"]}]}`, `{"a":"\u00e9\ud800"}`},
		{`{}`, `not json`},
		{`{"a":{}}`, `{"a":{}}`},
		{`{"a":["\ud83d\ude00"]}`, `{"a":"😀"}`},
	}
	for _, s := range seeds {
		f.Add(s.doc, s.body, false)
		f.Add(s.doc, s.body, true)
	}
	f.Fuzz(func(t *testing.T, doc, body string, bodyScope bool) {
		scope := MessageAttributes
		if bodyScope {
			scope = MessageBody
		}
		p1, err1 := Parse(doc, scope)
		p2, err2 := Parse(doc, scope)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("parses disagree: %v vs %v", err1, err2)
		}
		if err1 != nil {
			var e1, e2 *Error
			if !errors.As(err1, &e1) || !errors.As(err2, &e2) {
				t.Fatalf("error is not an *Error: %T", err1)
			}
			if *e1 != *e2 {
				t.Fatalf("errors differ: %q vs %q", e1, e2)
			}
			if p1 != nil {
				t.Fatal("policy returned with an error")
			}
			return
		}
		attrSets := fuzzAttributes(doc, body)
		for _, a := range attrSets {
			m := p1.MatchAttributes(a)
			if m != p2.MatchAttributes(a) || m != p1.MatchAttributes(a) {
				t.Fatalf("MatchAttributes differs for %v", a)
			}
		}
		m := p1.MatchBody(body)
		if m != p2.MatchBody(body) || m != p1.MatchBody(body) {
			t.Fatal("MatchBody differs")
		}
		if p1.Match(attrSets[0], body) != p2.Match(attrSets[0], body) {
			t.Fatal("Match differs")
		}
	})
}

// fuzzAttributes builds attribute sets that name the policy's top-level
// keys, with the body as their value under every data type.
func fuzzAttributes(doc, body string) []map[string]Attribute {
	keys := []string{"a"}
	if v, err := parseJSON(doc); err == nil && v.kind == jObject {
		keys = append(keys, v.keys...)
	}
	types := []string{"String", "Number", "String.Array", "Binary", "String.x", "Number.y", "Other"}
	var sets []map[string]Attribute
	for shift := range types {
		m := map[string]Attribute{}
		for i, k := range keys {
			m[k] = Attribute{DataType: types[(i+shift)%len(types)], Value: body}
		}
		sets = append(sets, m)
	}
	return append(sets, nil)
}

// FuzzParseJSON checks the package's JSON parser against encoding/json:
// the same documents are valid, and they decode to the same values.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `{"a":[1,-0.5e+3,true,false,null,"x"]}`, `"\u00e9\ud800\udc00\ud800x"`,
		`"\ud800\u0041"`, "\"\xff\"", `{"a":1,"a":2}`, `[1,]`, `{"a" 1}`, `01`, `1.`, `-`, `"\x"`,
		" \t\n\r[ 1 , 2 ] ", `{"a":{"b":[{"c":"d"}]}}`, "\"a\u2028b\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Count(s, "[")+strings.Count(s, "{") > maxJSONDepth {
			return // beyond our depth limit, within encoding/json's
		}
		v, err := parseJSON(s)
		valid := json.Valid([]byte(s))
		if (err == nil) != valid {
			t.Fatalf("parseJSON(%q) error = %v, json.Valid = %v", s, err, valid)
		}
		p := jparser{s: s}
		skipped := p.skip(0)
		p.space()
		if (skipped && p.i == len(s)) != valid {
			t.Fatalf("skip(%q) = %v, json.Valid = %v", s, skipped, valid)
		}
		if !valid {
			return
		}
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		var want any
		if err := d.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if got := toAny(v); !reflect.DeepEqual(got, want) {
			t.Fatalf("parseJSON(%q) = %#v, encoding/json = %#v", s, got, want)
		}
	})
}

// toAny converts a parsed value to what encoding/json decodes into an any
// (with UseNumber): a later duplicate key replaces an earlier one.
func toAny(v *jvalue) any {
	switch v.kind {
	case jNull:
		return nil
	case jBool:
		return v.b
	case jNumber:
		return json.Number(v.s)
	case jString:
		return v.s
	case jArray:
		out := []any{}
		for _, e := range v.elems {
			out = append(out, toAny(e))
		}
		return out
	}
	out := map[string]any{}
	for i, k := range v.keys {
		out[k] = toAny(v.vals[i])
	}
	return out
}
