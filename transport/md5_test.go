package transport

import (
	"testing"

	"github.com/wharfmq/wharf/fsm"
)

func TestMD5OfBody(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"hello", "5d41402abc4b2a76b9719d911017c592"},
		{"", "d41d8cd98f00b204e9800998ecf8427e"},
		{"héllo wörld ✓", "aa0c8a307a4488bfe0cb56530da19bc3"},
	} {
		if got := md5Hex(tc.body); got != tc.want {
			t.Errorf("md5Hex(%q) = %s, want %s", tc.body, got, tc.want)
		}
	}
}

// The expected values come from an independent implementation of AWS's
// documented algorithm (Python struct.pack('>I') + hashlib.md5).
func TestMD5OfAttributes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs map[string]fsm.MessageAttribute
		want  string
	}{
		{"none", nil, ""},
		{"one string", map[string]fsm.MessageAttribute{"color": {DataType: "String", StringValue: "blue"}}, "da1b33cc3cbfe8b1630921e78e6b9880"},
		{"mixed, sorted by name", map[string]fsm.MessageAttribute{
			"color":   {DataType: "String", StringValue: "blue"},
			"count":   {DataType: "Number", StringValue: "42"},
			"blob":    {DataType: "Binary", BinaryValue: []byte{0, 1, 2, 255}},
			"x.label": {DataType: "String.custom", StringValue: "ü"},
		}, "e414ddc52725a427793562e71dcf7339"},
		{"system AWSTraceHeader", map[string]fsm.MessageAttribute{
			"AWSTraceHeader": {DataType: "String", StringValue: "Root=1-5759e988-bd862e3fe1be46a994272793"},
		}, "62a56dd927315f2b2e12832b84617ea5"},
	} {
		if got := md5OfAttributes(tc.attrs); got != tc.want {
			t.Errorf("%s: md5OfAttributes = %q, want %q", tc.name, got, tc.want)
		}
	}
}
