package filterpolicy

// compile.go turns a policy key's value array into rules, checking each
// element with the messages AWS's rule compiler gives, in the order it
// checks them.

// leafCompiler compiles value arrays. internal keeps the first error AWS
// reports as an InternalFailure, which SNS raises only once the whole
// policy has compiled.
type leafCompiler struct {
	internal *Error
}

func (c *leafCompiler) leaf(vals []*jvalue) ([]rule, *Error) {
	rules := make([]rule, 0, len(vals))
	for _, v := range vals {
		switch v.kind {
		case jObject:
			r, err := c.expression(v)
			if err != nil {
				return nil, err
			}
			rules = append(rules, r)
		case jString:
			rules = append(rules, rule{kind: ruleString, s: v.s})
		case jNumber:
			d, ok := parseDecimal(v.s)
			if (!ok || !d.inPolicyRange()) && c.internal == nil {
				c.internal = &Error{msg: msgInternal, field: "FilterPolicy", internal: true}
			}
			rules = append(rules, rule{kind: ruleNumber, num: d.micro})
		case jBool:
			rules = append(rules, rule{kind: ruleBool, b: v.b})
		case jNull:
			rules = append(rules, rule{kind: ruleNull})
		default:
			return nil, policyError(msgMatchValue)
		}
	}
	if len(rules) == 0 {
		return nil, policyError(msgEmptyArray)
	}
	return rules, nil
}

// expression compiles a match expression: an object naming one operator.
func (c *leafCompiler) expression(v *jvalue) (rule, *Error) {
	if len(v.keys) == 0 {
		return rule{}, policyError(msgNoExprName)
	}
	op, operand := v.keys[0], v.vals[0]
	// AWS reads the operator's operand before it notices a second key.
	extra := msgOneKey
	var r rule
	var err *Error
	switch op {
	case "prefix", "suffix", "equals-ignore-case":
		if operand.kind != jString {
			return rule{}, policyError(op + " match pattern must be a string")
		}
		r = rule{kind: affixKind(op), s: operand.s}
	case "exists":
		if operand.kind != jBool {
			return rule{}, policyError("exists match pattern must be either true or false.")
		}
		r = rule{kind: ruleExistsFalse}
		if operand.b {
			r.kind = ruleExistsTrue
		}
	case "cidr":
		if operand.kind != jString {
			// AWS's own wording, naming the wrong operator.
			return rule{}, policyError("prefix match pattern must be a string")
		}
		var rng ipRange
		if rng, err = parseCIDR(operand.s); err != nil {
			return rule{}, err
		}
		r = rule{kind: ruleCIDR, ip: rng}
	case "numeric":
		extra = msgTooManyNumeric
		if r, err = numeric(operand); err != nil {
			return rule{}, err
		}
	case "anything-but":
		extra = msgTooManyNumeric
		if r, err = anythingBut(operand); err != nil {
			return rule{}, err
		}
	default:
		return rule{}, policyError("Unrecognized match type " + op)
	}
	if len(v.keys) > 1 {
		return rule{}, policyError(extra)
	}
	return r, nil
}

func affixKind(op string) ruleKind {
	switch op {
	case "prefix":
		return rulePrefix
	case "suffix":
		return ruleSuffix
	}
	return ruleEqualsIgnoreCase
}

// numeric compiles {"numeric": [op, n]} and {"numeric": [">"|">=", lo,
// "<"|"<=", hi]}.
func numeric(operand *jvalue) (rule, *Error) {
	if operand.kind != jArray {
		return rule{}, policyError("Value of numeric must be an array.")
	}
	el := operand.elems
	at := func(i int) *jvalue {
		if i < len(el) {
			return el[i]
		}
		return nil
	}
	first := at(0)
	if first == nil || first.kind != jString {
		return rule{}, policyError("Invalid member in numeric match: " + tokenText(first))
	}
	op := first.s
	name := op
	switch op {
	case "=":
		name = "equals"
	case "<", "<=", ">", ">=":
	default:
		return rule{}, policyError("Unrecognized numeric range operator: " + op)
	}
	if v := at(1); v == nil || v.kind != jNumber {
		return rule{}, policyError("Value of " + name + " must be numeric")
	}
	bound := el[1].s
	var rng numRange
	switch op {
	case "=", "<", "<=":
		if len(el) > 2 {
			return rule{}, policyError(msgTooManyNumeric)
		}
		n, err := policyNumber(bound)
		if err != nil {
			return rule{}, err
		}
		switch op {
		case "=":
			rng = numRange{lo: n, hi: n, hasLo: true, hasHi: true}
		case "<":
			rng = numRange{hi: n, hasHi: true, openHi: true}
		default:
			rng = numRange{hi: n, hasHi: true}
		}
		return rule{kind: ruleNumeric, rng: rng}, nil
	}
	// ">" or ">=": alone, or the lower bound of a range.
	rng = numRange{hasLo: true, openLo: op == ">"}
	if len(el) > 2 {
		second := el[2]
		if second.kind != jString {
			return rule{}, policyError("Bad value in numeric range: " + tokenText(second))
		}
		op2 := second.s
		if op2 != "<" && op2 != "<=" {
			return rule{}, policyError("Bad numeric range operator: " + op2)
		}
		if v := at(3); v == nil || v.kind != jNumber {
			return rule{}, policyError("Value of " + op2 + " must be numeric")
		}
		if len(el) > 4 {
			return rule{}, policyError("Too many terms in numeric range expression")
		}
		rng.hasHi, rng.openHi = true, op2 == "<"
	}
	lo, err := policyNumber(bound)
	if err != nil {
		return rule{}, err
	}
	rng.lo = lo
	if rng.hasHi {
		if rng.hi, err = policyNumber(el[3].s); err != nil {
			return rule{}, err
		}
	}
	if rng.hasHi && rng.lo >= rng.hi {
		return rule{}, policyError("Bottom must be less than top")
	}
	return rule{kind: ruleNumeric, rng: rng}, nil
}

// policyNumber reads a number operand, which must lie within -1e9..1e9.
func policyNumber(text string) (int64, *Error) {
	d, ok := parseDecimal(text)
	if !ok || !d.inPolicyRange() {
		return 0, policyError(msgNumberRange)
	}
	return d.micro, nil
}

// anythingBut compiles {"anything-but": value | [values] | {"prefix": s} |
// {"suffix": s}}.
func anythingBut(operand *jvalue) (rule, *Error) {
	switch operand.kind {
	case jObject:
		if len(operand.keys) == 0 {
			return rule{}, policyError("Anything-But expression name not found")
		}
		inner, v := operand.keys[0], operand.vals[0]
		var kind ruleKind
		switch inner {
		case "prefix":
			kind = ruleAnythingButPrefix
		case "suffix":
			kind = ruleAnythingButSuffix
		default:
			return rule{}, policyError("Unsupported anything-but pattern: " + inner)
		}
		if v.kind != jString {
			return rule{}, policyError(inner + " match pattern must be a string")
		}
		if v.s == "" {
			return rule{}, policyError("Null prefix/suffix not allowed")
		}
		if len(operand.keys) > 1 {
			return rule{}, policyError(msgTooManyNumeric)
		}
		return rule{kind: kind, s: v.s}, nil
	case jArray:
		r := rule{kind: ruleAnythingBut}
		for _, e := range operand.elems {
			switch e.kind {
			case jString:
				r.strs = append(r.strs, e.s)
			case jNumber:
				n, err := policyNumber(e.s)
				if err != nil {
					return rule{}, err
				}
				r.nums = append(r.nums, n)
			default:
				return rule{}, policyError("Inside anything but list, start|null|boolean is not supported.")
			}
		}
		if (len(r.strs) > 0) == (len(r.nums) > 0) {
			return rule{}, policyError("Inside anything but list, either all values are number or string, mixed type is not supported")
		}
		return r, nil
	case jString:
		return rule{kind: ruleAnythingBut, strs: []string{operand.s}}, nil
	case jNumber:
		n, err := policyNumber(operand.s)
		if err != nil {
			return rule{}, err
		}
		return rule{kind: ruleAnythingBut, nums: []int64{n}}, nil
	}
	return rule{}, policyError("Value of anything-but must be an array or single string/number value.")
}
