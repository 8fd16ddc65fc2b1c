package filterpolicy

import "strings"

// rule is one compiled element of a policy key's value array. The key
// matches when any of its rules does.
type rule struct {
	kind ruleKind
	s    string
	b    bool
	num  int64 // millionths, for ruleNumber
	// strs and nums are the excluded values of anything-but.
	strs []string
	nums []int64
	rng  numRange
	ip   ipRange
}

type ruleKind uint8

const (
	ruleString ruleKind = iota
	ruleNumber
	ruleBool
	ruleNull
	rulePrefix
	ruleSuffix
	ruleEqualsIgnoreCase
	ruleAnythingBut // strs or nums
	ruleAnythingButPrefix
	ruleAnythingButSuffix
	ruleNumeric
	ruleCIDR
	ruleExistsTrue
	ruleExistsFalse
)

// numRange is a numeric condition in millionths: "=" is lo == hi, both
// closed; a one-sided comparison leaves the other side unbounded.
type numRange struct {
	lo, hi         int64
	hasLo, hasHi   bool
	openLo, openHi bool
}

func (r numRange) contains(n int64) bool {
	if r.hasLo && (n < r.lo || (r.openLo && n == r.lo)) {
		return false
	}
	if r.hasHi && (n > r.hi || (r.openHi && n == r.hi)) {
		return false
	}
	return true
}

// negated reports whether the rule is an anything-but, which a multi-valued
// String.Array attribute satisfies only when every element does.
func (r *rule) negated() bool {
	return r.kind == ruleAnythingBut || r.kind == ruleAnythingButPrefix || r.kind == ruleAnythingButSuffix
}

// matches reports whether one value satisfies the rule. The exists rules are
// about the key, not a value: exists:true accepts any present value and
// exists:false none.
func (r *rule) matches(v value) bool {
	switch r.kind {
	case ruleString:
		return v.kind == vString && v.s == r.s
	case ruleNumber:
		return v.kind == vNumber && v.numOK && v.num.micro == r.num
	case ruleBool:
		return v.kind == vBool && v.b == r.b
	case ruleNull:
		return v.kind == vNull
	case rulePrefix:
		return v.kind == vString && strings.HasPrefix(v.s, r.s)
	case ruleSuffix:
		return v.kind == vString && strings.HasSuffix(v.s, r.s)
	case ruleEqualsIgnoreCase:
		return v.kind == vString && strings.EqualFold(v.s, r.s)
	case ruleAnythingBut:
		switch {
		case v.kind == vString:
			return !containsString(r.strs, v.s)
		case v.kind == vNumber && v.numOK:
			return !containsInt(r.nums, v.num.micro)
		}
		return true
	case ruleAnythingButPrefix:
		return !(v.kind == vString && strings.HasPrefix(v.s, r.s))
	case ruleAnythingButSuffix:
		return !(v.kind == vString && strings.HasSuffix(v.s, r.s))
	case ruleNumeric:
		return v.kind == vNumber && v.numOK && r.rng.contains(v.num.micro)
	case ruleCIDR:
		if v.kind != vString {
			return false
		}
		addr, ok := parseIP(v.s)
		return ok && r.ip.contains(addr)
	case ruleExistsTrue:
		return v.present()
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsInt(list []int64, n int64) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}
