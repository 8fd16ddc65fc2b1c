package filterpolicy

import "testing"

func TestParseDecimal(t *testing.T) {
	cases := []struct {
		in    string
		micro int64
		exact bool
		ok    bool
	}{
		{"0", 0, true, true},
		{"-0", 0, true, true},
		{"5", 5_000_000, true, true},
		{"5.0", 5_000_000, true, true},
		{"+5", 5_000_000, true, true},
		{"005.50", 5_500_000, true, true},
		{".5", 500_000, true, true},
		{"5.", 5_000_000, true, true},
		{"3.015e2", 301_500_000, true, true},
		{"3015E-1", 301_500_000, true, true},
		{"1e-6", 1, true, true},
		{"1e-7", 0, false, true},
		{"-1e-7", -1, false, true}, // floored
		{"0.0000015", 1, false, true},
		{"-0.0000015", -2, false, true},
		{"123.4567891", 123_456_789, false, true},
		{"1e9", 1_000_000_000_000_000, true, true},
		{"5e9", 5_000_000_000_000_000, true, true},
		{"-5e9", -5_000_000_000_000_000, true, true},
		{"5000000000.0000001", 0, false, false},
		{"5.1e9", 0, false, false},
		{"1e400", 0, false, false},
		{"1e-400", 0, false, true},
		{"0e999999999999", 0, true, true},
		{"123456789012345678901234567890e-21", 123_456_789_012_345, false, true},
		{"", 0, false, false},
		{"-", 0, false, false},
		{".", 0, false, false},
		{"1e", 0, false, false},
		{"1e+", 0, false, false},
		{"1x", 0, false, false},
		{" 1", 0, false, false},
		{"0x10", 0, false, false},
		{"NaN", 0, false, false},
		{"--1", 0, false, false},
	}
	for _, c := range cases {
		d, ok := parseDecimal(c.in)
		if ok != c.ok || (ok && (d.micro != c.micro || d.exact != c.exact)) {
			t.Errorf("parseDecimal(%q) = %+v, %v; want micro %d exact %v ok %v", c.in, d, ok, c.micro, c.exact, c.ok)
		}
	}
}

func TestDecimalPolicyRange(t *testing.T) {
	for in, want := range map[string]bool{
		"1e9": true, "-1e9": true, "1000000000.000001": false, "1000000000.0000001": false,
		"-1000000000.0000001": false, "999999999.999999": true, "0": true,
	} {
		d, ok := parseDecimal(in)
		if !ok {
			t.Fatalf("parseDecimal(%q) failed", in)
		}
		if got := d.inPolicyRange(); got != want {
			t.Errorf("%s in policy range = %v, want %v", in, got, want)
		}
	}
}

func TestNumRange(t *testing.T) {
	r := numRange{lo: 0, hi: 10, hasLo: true, hasHi: true, openLo: true}
	for n, want := range map[int64]bool{-1: false, 0: false, 1: true, 10: true, 11: false} {
		if got := r.contains(n); got != want {
			t.Errorf("(0, 10] contains %d = %v", n, got)
		}
	}
}
