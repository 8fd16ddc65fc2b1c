package filterpolicy

import (
	"bytes"
	"net/netip"
	"strings"
)

// IP addresses are read as AWS's rule engine reads them: an IPv4 literal is
// four dot-separated decimal numbers (leading zeros allowed), an IPv6
// literal is hex digits and colons only (no zone, no embedded IPv4), and an
// IPv4-mapped IPv6 address is the IPv4 address it maps.

// ipLooksLike reports whether s has the shape of an IP literal at all.
func ipLooksLike(s string) bool { return looksIPv4(s) || looksIPv6(s) }

func looksIPv4(s string) bool {
	parts := 0
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			digits++
		case c == '.':
			if digits == 0 {
				return false
			}
			parts++
			digits = 0
		default:
			return false
		}
	}
	return parts == 3 && digits > 0
}

func looksIPv6(s string) bool {
	colon := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':':
			colon = true
		case isDigit(c), c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		default:
			return false
		}
	}
	return colon
}

// parseIP returns the address's bytes (4 or 16), or ok false.
func parseIP(s string) (addr []byte, ok bool) {
	if looksIPv4(s) {
		out := make([]byte, 4)
		for i, part := range strings.Split(s, ".") {
			n := 0
			for j := 0; j < len(part); j++ {
				n = n*10 + int(part[j]-'0')
				if n > 255 {
					return nil, false
				}
			}
			out[i] = byte(n)
		}
		return out, true
	}
	if looksIPv6(s) {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, false
		}
		if a.Is4In6() {
			b := a.Unmap().As4()
			return b[:], true
		}
		b := a.As16()
		return b[:], true
	}
	return nil, false
}

// ipRange is the inclusive range of addresses a cidr operand covers. As in
// AWS's rule engine it runs from the address as written (host bits are not
// cleared) to that address with every host bit set.
type ipRange struct {
	lo, hi []byte
}

func (r ipRange) contains(addr []byte) bool {
	return len(addr) == len(r.lo) && bytes.Compare(addr, r.lo) >= 0 && bytes.Compare(addr, r.hi) <= 0
}

// parseCIDR validates a cidr operand with AWS's messages.
func parseCIDR(s string) (ipRange, *Error) {
	parts := javaSplitSlash(s)
	if len(parts) != 2 {
		return ipRange{}, policyError("Malformed CIDR, one '/' required")
	}
	bits, ok := javaParseInt(parts[1])
	if !ok {
		return ipRange{}, policyError("Malformed CIDR, mask bits must be an integer")
	}
	if bits < 0 {
		return ipRange{}, policyError("Malformed CIDR, mask bits must not be negative")
	}
	if !ipLooksLike(parts[0]) {
		return ipRange{}, policyError("Nonstandard IP address: " + parts[0])
	}
	addr, ok := parseIP(parts[0])
	if !ok {
		return ipRange{}, policyError("Invalid IP address: " + parts[0])
	}
	if len(addr) == 4 && bits > 31 {
		return ipRange{}, policyError("IPv4 mask bits must be < 32")
	}
	if len(addr) == 16 && bits > 127 {
		return ipRange{}, policyError("IPv6 mask bits must be < 128")
	}
	hi := make([]byte, len(addr))
	copy(hi, addr)
	host := len(addr)*8 - int(bits)
	for i := len(hi) - 1; i >= 0 && host > 0; i-- {
		if host >= 8 {
			hi[i] = 0xff
		} else {
			hi[i] |= byte(1<<host - 1)
		}
		host -= 8
	}
	return ipRange{lo: addr, hi: hi}, nil
}

// javaSplitSlash splits s on '/' as Java's String.split does: trailing
// empty fields are dropped.
func javaSplitSlash(s string) []string {
	parts := strings.Split(s, "/")
	if len(parts) == 1 {
		return parts
	}
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// javaParseInt parses a 32-bit decimal integer as Java's Integer.parseInt
// does: an optional sign, then ASCII digits.
func javaParseInt(s string) (int64, bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if i == len(s) {
		return 0, false
	}
	var n int64
	for ; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
		if n > 1<<31 {
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	if n > 1<<31-1 || n < -(1<<31) {
		return 0, false
	}
	return n, true
}
