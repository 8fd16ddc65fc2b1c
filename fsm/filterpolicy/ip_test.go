package filterpolicy

import (
	"bytes"
	"testing"
)

func TestParseIP(t *testing.T) {
	cases := []struct {
		in   string
		want []byte
	}{
		{"10.0.0.1", []byte{10, 0, 0, 1}},
		{"010.000.000.001", []byte{10, 0, 0, 1}},
		{"255.255.255.255", []byte{255, 255, 255, 255}},
		{"256.0.0.1", nil},
		{"99999999999999999999.0.0.1", nil},
		{"1.2.3", nil},
		{"1.2.3.4.5", nil},
		{"1..2.3", nil},
		{"a.b.c.d", nil},
		{"::1", append(make([]byte, 15), 1)},
		{"::ffff:a00:1", []byte{10, 0, 0, 1}},
		{"2001:DB8::1", []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
		{"::ffff:10.0.0.1", nil}, // embedded IPv4: not an IP literal here
		{"fe80::1%eth0", nil},
		{":::", nil},
		{"", nil},
		{"1:2", nil},
	}
	for _, c := range cases {
		got, ok := parseIP(c.in)
		if ok != (c.want != nil) || !bytes.Equal(got, c.want) {
			t.Errorf("parseIP(%q) = %v, %v; want %v", c.in, got, ok, c.want)
		}
	}
}

func TestParseCIDRRange(t *testing.T) {
	cases := []struct {
		cidr   string
		lo, hi string
	}{
		{"10.0.0.0/24", "10.0.0.0", "10.0.0.255"},
		{"10.0.0.0/0", "10.0.0.0", "255.255.255.255"},
		{"10.1.2.3/31", "10.1.2.3", "10.1.2.3"},
		{"10.1.2.2/31", "10.1.2.2", "10.1.2.3"},
		{"10.0.0.0/+8", "10.0.0.0", "10.255.255.255"},
		{"10.0.0.0/-0", "10.0.0.0", "255.255.255.255"},
		{"10.0.0.0/008", "10.0.0.0", "10.255.255.255"},
		{"2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"},
		{"::/127", "::", "::1"},
		{"10.0.0.0/12/", "10.0.0.0", "10.15.255.255"},
	}
	for _, c := range cases {
		r, err := parseCIDR(c.cidr)
		if err != nil {
			t.Errorf("parseCIDR(%q): %v", c.cidr, err)
			continue
		}
		lo, _ := parseIP(c.lo)
		hi, _ := parseIP(c.hi)
		if !bytes.Equal(r.lo, lo) || !bytes.Equal(r.hi, hi) {
			t.Errorf("parseCIDR(%q) = %v..%v, want %s..%s", c.cidr, r.lo, r.hi, c.lo, c.hi)
		}
	}
	for _, bad := range []string{"", "/", "10.0.0.0", "/8", "10.0.0.0//8", "10.0.0.0/ 8", "10.0.0.0/2147483648", "10.0.0.0/8.0"} {
		if _, err := parseCIDR(bad); err == nil {
			t.Errorf("parseCIDR(%q) accepted", bad)
		}
	}
}

func TestJavaHelpers(t *testing.T) {
	for in, want := range map[string]int{"a/b": 2, "a/b/": 2, "a/b//": 2, "a//b": 3, "/b": 2, "/": 0, "": 1, "a": 1} {
		if got := len(javaSplitSlash(in)); got != want {
			t.Errorf("javaSplitSlash(%q) has %d parts, want %d", in, got, want)
		}
	}
	for in, want := range map[string]int64{"0": 0, "+7": 7, "-7": -7, "2147483647": 2147483647, "-2147483648": -2147483648} {
		if got, ok := javaParseInt(in); !ok || got != want {
			t.Errorf("javaParseInt(%q) = %d, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "+", "-", "2147483648", "-2147483649", "1a", " 1", "99999999999999999999"} {
		if _, ok := javaParseInt(in); ok {
			t.Errorf("javaParseInt(%q) accepted", in)
		}
	}
}
