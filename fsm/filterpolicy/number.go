package filterpolicy

// Numbers are compared as AWS's rule engine compares them: exactly, to six
// digits after the decimal point (the SNS documentation promises five).
// A number becomes its value in millionths, floored, held in an int64 and
// computed from the decimal text alone, so every replica on every
// architecture gets the same answer. No floating point is involved.

const (
	microPerUnit = 1_000_000
	// policyLimit is the largest magnitude a filter policy may name: 1e9.
	policyLimit = 1_000_000_000 * microPerUnit
	// valueLimit is the largest magnitude a message value may have and still
	// compare as a number: 5e9, as in AWS's rule engine.
	valueLimit = 5_000_000_000 * microPerUnit
	// maxMicroDigits is the most digits a magnitude within valueLimit has,
	// in millionths (5e15 has 16).
	maxMicroDigits = 16
)

// decimal is a number in millionths, floored; exact reports that flooring
// lost nothing.
type decimal struct {
	micro int64
	exact bool
}

// parseDecimal reads a number written as JSON writes one, also accepting a
// leading '+', a leading or trailing '.', and leading zeros (message
// attribute values of type Number). ok is false when s is not a number or
// its magnitude exceeds 5e9.
func parseDecimal(s string) (d decimal, ok bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	// digits holds the mantissa's digits without the point; point is how
	// many of them come before it.
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intDigits := s[start:i]
	fracDigits := ""
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		fracDigits = s[fs:i]
	}
	if intDigits == "" && fracDigits == "" {
		return decimal{}, false
	}
	exp := int64(0)
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		es := i
		for i < len(s) && isDigit(s[i]) {
			// Clamp: beyond a few hundred the result is zero or out of
			// range either way.
			if exp < 1_000_000 {
				exp = exp*10 + int64(s[i]-'0')
			}
			i++
		}
		if i == es {
			return decimal{}, false
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return decimal{}, false
	}
	digits := intDigits + fracDigits
	point := int64(len(intDigits)) + exp
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
		point--
	}
	if digits == "" {
		return decimal{exact: true}, true
	}
	// The integer part of |value| * 1e6 is the first point+6 digits.
	cut := point + 6
	if cut > maxMicroDigits {
		return decimal{}, false
	}
	var n int64
	exact := true
	if cut <= 0 {
		exact = false
	} else {
		for k := int64(0); k < cut; k++ {
			c := byte('0')
			if k < int64(len(digits)) {
				c = digits[k]
			}
			n = n*10 + int64(c-'0')
		}
		for k := cut; k < int64(len(digits)); k++ {
			if digits[k] != '0' {
				exact = false
				break
			}
		}
	}
	if n > valueLimit || (n == valueLimit && !exact) {
		return decimal{}, false
	}
	if neg {
		n = -n
		if !exact {
			n-- // floor, not truncation
		}
	}
	return decimal{micro: n, exact: exact}, true
}

// inPolicyRange reports whether d lies within -1e9..1e9 inclusive.
func (d decimal) inPolicyRange() bool {
	if d.micro > policyLimit || d.micro < -policyLimit {
		return false
	}
	return !(d.micro == policyLimit && !d.exact)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
