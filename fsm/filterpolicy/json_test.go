package filterpolicy

import (
	"strings"
	"testing"
)

func TestParseJSONKeepsOrderDuplicatesAndNumberText(t *testing.T) {
	v, err := parseJSON(` {"b": 1.50, "a": [ -0e+3 ], "b": "x\u00e9\ud83d\ude00"} `)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(v.keys, ","); got != "b,a,b" {
		t.Errorf("keys = %s", got)
	}
	if v.vals[0].s != "1.50" || v.vals[1].elems[0].s != "-0e+3" {
		t.Errorf("number text lost: %q %q", v.vals[0].s, v.vals[1].elems[0].s)
	}
	if v.vals[2].s != "xé😀" {
		t.Errorf("string = %q", v.vals[2].s)
	}
}

func TestParseJSONStrings(t *testing.T) {
	cases := map[string]string{
		`"\ud800"`:        "\uFFFD",
		`"\ud800\u0041"`:  "\uFFFDA",
		`"\udc00\udc00"`:  "\uFFFD\uFFFD",
		"\"a\xffb\"":      "a\uFFFDb",
		`"\/\b\f\n\r\t"`:  "/\b\f\n\r\t",
		`"plain"`:         "plain",
		`"\u00E9\u00e9"`:  "éé",
		"\"\u2028\"":      "\u2028",
		`"\ud83d\ude00x"`: "😀x",
	}
	for in, want := range cases {
		v, err := parseJSON(in)
		if err != nil || v.s != want {
			t.Errorf("parseJSON(%s) = %q, %v; want %q", in, v.s, err, want)
		}
	}
	for _, bad := range []string{`"\x"`, `"\u12"`, `"\u12G4"`, "\"a\nb\"", `"abc`, `"\`} {
		if _, err := parseJSON(bad); err == nil {
			t.Errorf("parseJSON(%q) accepted", bad)
		}
	}
}

func TestParseJSONDepthLimit(t *testing.T) {
	ok := strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth)
	if _, err := parseJSON(ok); err != nil {
		t.Errorf("depth %d refused", maxJSONDepth)
	}
	deep := "[" + ok + "]"
	if _, err := parseJSON(deep); err == nil {
		t.Errorf("depth %d accepted", maxJSONDepth+1)
	}
	p := jparser{s: deep}
	if p.skip(0) {
		t.Errorf("skip accepted depth %d", maxJSONDepth+1)
	}
}

func TestTokenText(t *testing.T) {
	for _, c := range []struct {
		v    *jvalue
		want string
	}{
		{nil, "]"}, {&jvalue{kind: jNull}, "null"}, {&jvalue{kind: jBool, b: true}, "true"},
		{&jvalue{kind: jBool}, "false"}, {&jvalue{kind: jArray}, "["}, {&jvalue{kind: jObject}, "{"},
		{&jvalue{kind: jNumber, s: "1.50"}, "1.50"}, {&jvalue{kind: jString, s: "x"}, "x"},
	} {
		if got := tokenText(c.v); got != c.want {
			t.Errorf("tokenText = %q, want %q", got, c.want)
		}
	}
}
