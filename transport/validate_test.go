package transport

import (
	"errors"
	"strings"
	"testing"

	"github.com/wharfmq/wharf/fsm"
)

// codeOf returns the code of an error from validation ("" for nil).
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return "?" + err.Error()
}

func strp(s string) *string { return &s }

func TestValidQueueName(t *testing.T) {
	for _, tc := range []struct {
		name, code string
	}{
		{"q", ""},
		{"My_Queue-1", ""},
		{"q.fifo", ""},
		{strings.Repeat("a", 80), ""},
		{strings.Repeat("a", 75) + ".fifo", ""},
		{strings.Repeat("a", 76) + ".fifo", codeInvalidParam},
		{strings.Repeat("a", 81), codeInvalidParam},
		{"", codeMissingParam},
		{".fifo", codeInvalidParam},
		{"a.b", codeInvalidParam},
		{"a b", codeInvalidParam},
		{"ü", codeInvalidParam},
	} {
		if got := codeOf(validQueueName(tc.name)); got != tc.code {
			t.Errorf("validQueueName(%q) = %q, want %q", tc.name, got, tc.code)
		}
	}
}

func TestValidBody(t *testing.T) {
	for _, tc := range []struct {
		body *string
		code string
	}{
		{strp("hello"), ""},
		{strp("tab\tnl\ncr\r"), ""},
		{strp("\U0001F600 \uE000 \uFFFD"), ""},
		{nil, codeMissingParam},
		{strp(""), codeInvalidParam},
		{strp("a\x00b"), fsm.CodeInvalidMessageContents},
		{strp("a\x1fb"), fsm.CodeInvalidMessageContents},
		{strp("\uFFFE"), fsm.CodeInvalidMessageContents},
		{strp("bad utf8 \xff"), fsm.CodeInvalidMessageContents},
	} {
		if got := codeOf(validBody(tc.body)); got != tc.code {
			t.Errorf("validBody(%q) = %q, want %q", *strOr(tc.body), got, tc.code)
		}
	}
}

func strOr(p *string) *string {
	if p == nil {
		return strp("<nil>")
	}
	return p
}

func TestCheckBatch(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = string(rune('a' + i))
		}
		return out
	}
	for _, tc := range []struct {
		name string
		ids  []string
		code string
	}{
		{"one", []string{"a"}, ""},
		{"ten", ids(10), ""},
		{"empty", nil, fsm.CodeEmptyBatchRequest},
		{"eleven", ids(11), fsm.CodeTooManyEntriesInBatch},
		{"duplicate", []string{"a", "b", "a"}, fsm.CodeBatchEntryIdsNotDistinct},
		{"bad chars", []string{"a.b"}, fsm.CodeInvalidBatchEntryID},
		{"too long", []string{strings.Repeat("x", 81)}, fsm.CodeInvalidBatchEntryID},
		{"max len", []string{strings.Repeat("x", 80)}, ""},
		{"missing id", []string{""}, codeMissingParam},
	} {
		if got := codeOf(checkBatch(tc.ids)); got != tc.code {
			t.Errorf("%s: checkBatch = %q, want %q", tc.name, got, tc.code)
		}
	}
}

func TestMessageAttributes(t *testing.T) {
	str := func(dt, v string) attrValue { return attrValue{DataType: dt, StringValue: &v} }
	many := map[string]attrValue{}
	for i := 0; i < 11; i++ {
		many[string(rune('a'+i))] = str("String", "v")
	}
	for _, tc := range []struct {
		name  string
		attrs map[string]attrValue
		code  string
	}{
		{"string", map[string]attrValue{"a": str("String", "x")}, ""},
		{"custom type", map[string]attrValue{"a": str("Number.int", "12")}, ""},
		{"binary", map[string]attrValue{"a": {DataType: "Binary", BinaryValue: []byte{1}}}, ""},
		{"number forms", map[string]attrValue{"a": str("Number", "-1.5e10"), "b": str("Number", "+0.001")}, ""},
		{"eleven", many, codeInvalidParam},
		{"bad name char", map[string]attrValue{"a b": str("String", "x")}, codeInvalidParam},
		{"leading dot", map[string]attrValue{".a": str("String", "x")}, codeInvalidParam},
		{"trailing dot", map[string]attrValue{"a.": str("String", "x")}, codeInvalidParam},
		{"double dot", map[string]attrValue{"a..b": str("String", "x")}, codeInvalidParam},
		{"AWS prefix", map[string]attrValue{"aws.x": str("String", "x")}, codeInvalidParam},
		{"Amazon prefix", map[string]attrValue{"Amazon.x": str("String", "x")}, codeInvalidParam},
		{"long name", map[string]attrValue{strings.Repeat("n", 257): str("String", "x")}, codeInvalidParam},
		{"no type", map[string]attrValue{"a": {StringValue: strp("x")}}, codeInvalidParam},
		{"bad type", map[string]attrValue{"a": str("Text", "x")}, codeInvalidParam},
		{"empty label", map[string]attrValue{"a": str("String.", "x")}, codeInvalidParam},
		{"long type", map[string]attrValue{"a": str("String."+strings.Repeat("l", 250), "x")}, codeInvalidParam},
		{"no value", map[string]attrValue{"a": {DataType: "String"}}, codeInvalidParam},
		{"empty value", map[string]attrValue{"a": str("String", "")}, codeInvalidParam},
		{"binary without bytes", map[string]attrValue{"a": {DataType: "Binary"}}, codeInvalidParam},
		{"binary with string", map[string]attrValue{"a": str("Binary", "x")}, codeInvalidParam},
		{"string with bytes", map[string]attrValue{"a": {DataType: "String", BinaryValue: []byte{1}}}, codeInvalidParam},
		{"not a number", map[string]attrValue{"a": str("Number", "12a")}, codeInvalidParam},
		{"hex number", map[string]attrValue{"a": str("Number", "0x10")}, codeInvalidParam},
		{"too many digits", map[string]attrValue{"a": str("Number", strings.Repeat("9", 39))}, codeInvalidParam},
		{"too big", map[string]attrValue{"a": str("Number", "1e127")}, codeInvalidParam},
		{"bad chars", map[string]attrValue{"a": str("String", "\x01")}, fsm.CodeInvalidMessageContents},
	} {
		_, _, err := messageAttributes(tc.attrs)
		if got := codeOf(err); got != tc.code {
			t.Errorf("%s: messageAttributes = %q (%v), want %q", tc.name, got, err, tc.code)
		}
	}
}

func TestSystemAttributes(t *testing.T) {
	ok := map[string]attrValue{"AWSTraceHeader": {DataType: "String", StringValue: strp("Root=1")}}
	if _, _, err := systemAttributes(ok); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []map[string]attrValue{
		{"Other": {DataType: "String", StringValue: strp("x")}},
		{"AWSTraceHeader": {DataType: "Number", StringValue: strp("1")}},
		{"AWSTraceHeader": {DataType: "String"}},
	} {
		if _, _, err := systemAttributes(bad); codeOf(err) != codeInvalidParam {
			t.Errorf("systemAttributes(%v) = %v", bad, err)
		}
	}
}

func TestValidTags(t *testing.T) {
	for _, tc := range []struct {
		tags map[string]string
		code string
	}{
		{map[string]string{"k": "v", "k2": ""}, ""},
		{map[string]string{strings.Repeat("k", 128): strings.Repeat("v", 256)}, ""},
		{map[string]string{"": "v"}, codeInvalidParam},
		{map[string]string{strings.Repeat("k", 129): "v"}, codeInvalidParam},
		{map[string]string{"k": strings.Repeat("v", 257)}, codeInvalidParam},
		{map[string]string{"aws:x": "v"}, codeInvalidParam},
		{map[string]string{"AWS:x": "v"}, codeInvalidParam},
	} {
		if got := codeOf(validTags(tc.tags)); got != tc.code {
			t.Errorf("validTags(%v) = %q, want %q", tc.tags, got, tc.code)
		}
	}
}

func TestIntParam(t *testing.T) {
	for _, tc := range []struct {
		in   optInt
		want int
		code string
	}{
		{optInt{}, 7, ""},
		{optInt{set: true, v: 0}, 0, ""},
		{optInt{set: true, v: 10}, 10, ""},
		{optInt{set: true, v: 11}, 0, codeInvalidParam},
		{optInt{set: true, v: -1}, 0, codeInvalidParam},
		{optInt{set: true, bad: "abc"}, 0, codeInvalidParam},
	} {
		got, err := intParam(tc.in, "P", 0, 10, 7, "r")
		if codeOf(err) != tc.code || (err == nil && got != tc.want) {
			t.Errorf("intParam(%+v) = %d, %v", tc.in, got, err)
		}
	}
}

func TestParseQueueURL(t *testing.T) {
	for _, tc := range []struct {
		url, account, name string
		ok                 bool
	}{
		{"http://localhost:9324/000000000000/q", "000000000000", "q", true},
		{"https://sqs.us-east-1.amazonaws.com/123/q.fifo", "123", "q.fifo", true},
		{"http://other-host/123/q/", "123", "q", true},
		{"/123/q", "123", "q", true},
		{"123/q", "123", "q", true},
		{"http://host/123/q?x=1", "123", "q", true},
		{"http://host/q", "", "", false},
		{"http://host", "", "", false},
		{"http://host/a/b/c", "", "", false},
		{"q", "", "", false},
		{"", "", "", false},
	} {
		a, n, ok := parseQueueURL(tc.url)
		if a != tc.account || n != tc.name || ok != tc.ok {
			t.Errorf("parseQueueURL(%q) = %q, %q, %v", tc.url, a, n, ok)
		}
	}
}

func TestPager(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e"}
	p, err := newPager("", optInt{})
	if err != nil {
		t.Fatal(err)
	}
	if page, next := p.page(names); len(page) != 5 || next != "" {
		t.Fatalf("no MaxResults: %v %q", page, next)
	}
	var got []string
	token := ""
	for {
		p, err := newPager(token, optInt{set: true, v: 2})
		if err != nil {
			t.Fatal(err)
		}
		page, next := p.page(names)
		got = append(got, page...)
		if next == "" {
			break
		}
		token = next
	}
	if strings.Join(got, "") != "abcde" {
		t.Fatalf("pages = %v", got)
	}
	if _, err := newPager("!!!", optInt{}); codeOf(err) != codeInvalidParam {
		t.Fatalf("bad token: %v", err)
	}
	if _, err := newPager("", optInt{set: true, v: 1001}); codeOf(err) != codeInvalidParam {
		t.Fatalf("MaxResults 1001: %v", err)
	}
	if _, err := newPager("", optInt{set: true, v: 0}); codeOf(err) != codeInvalidParam {
		t.Fatalf("MaxResults 0: %v", err)
	}
}

func TestCredentialScope(t *testing.T) {
	r := httptestRequest("POST", "/", "")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-west-2/sqs/aws4_request, SignedHeaders=host, Signature=abc")
	if ak, region, service := credentialScope(r); ak != "AKID" || region != "us-west-2" || service != "sqs" {
		t.Fatalf("header: %q %q %q", ak, region, service)
	}
	r = httptestRequest("GET", "/?X-Amz-Credential=AK2%2F20240101%2Feu-west-1%2Fsns%2Faws4_request", "")
	if ak, region, service := credentialScope(r); ak != "AK2" || region != "eu-west-1" || service != "sns" {
		t.Fatalf("query: %q %q %q", ak, region, service)
	}
	r = httptestRequest("GET", "/", "")
	if ak, region, _ := credentialScope(r); ak != "" || region != "" {
		t.Fatalf("unsigned: %q %q", ak, region)
	}
}
