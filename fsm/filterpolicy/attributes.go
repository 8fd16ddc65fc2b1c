package filterpolicy

import "strings"

// Attribute is an SNS message attribute as published. DataType is
// "String", "String.Array", "Number" or "Binary", the first, third and
// fourth optionally followed by a custom ".label". Value is the string
// value: for String.Array a JSON array, for Binary ignored.
type Attribute struct {
	DataType string
	Value    string
}

// attrValues returns the values filtering sees in an attribute. ok is false
// for attributes SNS ignores when filtering (Binary, or an unknown type);
// array is true for String.Array.
func attrValues(a Attribute) (vals []value, array bool, ok bool) {
	if a.DataType == "String.Array" {
		return arrayValues(a.Value), true, true
	}
	base, _, _ := strings.Cut(a.DataType, ".")
	switch base {
	case "String":
		return []value{stringValue(a.Value)}, false, true
	case "Number":
		v := numberValue(strings.TrimSpace(a.Value))
		if !v.numOK {
			// Not a number SNS can compare: it can still be present.
			v = value{kind: vNumber}
		}
		return []value{v}, false, true
	}
	return nil, false, false
}

// arrayValues reads a String.Array value: a JSON array whose elements are
// strings, numbers, booleans or null (nested arrays are flattened, objects
// ignored). A value that is not a JSON array is taken as one string.
func arrayValues(text string) []value {
	v, err := parseJSON(text)
	if err != nil || v.kind != jArray {
		return []value{stringValue(text)}
	}
	var out []value
	var walk func(*jvalue)
	walk = func(v *jvalue) {
		for _, e := range v.elems {
			if e.kind == jArray {
				walk(e)
				continue
			}
			if sv, ok := scalarValue(e); ok {
				out = append(out, sv)
			}
		}
	}
	walk(v)
	return out
}

// MatchAttributes reports whether a message with these attributes matches
// the policy, evaluated as a MessageAttributes-scope policy:
//
//   - String attributes match the string operators, Number attributes the
//     numeric ones and exact numbers (compared by value: 5 matches "5.0").
//   - A String.Array attribute matches when any element does, except for
//     anything-but, which every element must satisfy.
//   - Binary attributes (and unknown types) are ignored, as AWS ignores
//     them: for the policy they are absent.
//   - A missing attribute matches only {"exists": false}; anything-but and
//     null do not match it.
//   - A message with no attributes matches no policy but "{}": AWS's
//     {"exists": false} needs at least one attribute present.
func (p *Policy) MatchAttributes(attrs map[string]Attribute) bool {
	if p == nil || p.all {
		return true
	}
	if !anyFilterable(attrs) {
		return false
	}
	seen := attrCache{attrs: attrs}
	for i := range p.branches {
		if p.branches[i].matchAttributes(&seen) {
			return true
		}
	}
	return false
}

func anyFilterable(attrs map[string]Attribute) bool {
	for _, a := range attrs {
		if _, _, ok := attrValues(a); ok {
			return true
		}
	}
	return false
}

// attrCache reads each attribute a policy names once per message, however
// many branches name it.
type attrCache struct {
	attrs map[string]Attribute
	read  map[string]attrRead
}

type attrRead struct {
	vals  []value
	array bool
	ok    bool // present and not ignored
}

func (c *attrCache) get(name string) attrRead {
	if r, done := c.read[name]; done {
		return r
	}
	var r attrRead
	if a, found := c.attrs[name]; found {
		r.vals, r.array, r.ok = attrValues(a)
	}
	if c.read == nil {
		c.read = map[string]attrRead{}
	}
	c.read[name] = r
	return r
}

func (b *branch) matchAttributes(attrs *attrCache) bool {
	for i := range b.conds {
		if !b.conds[i].matchAttribute(attrs.get(b.conds[i].path)) {
			return false
		}
	}
	return true
}

func (c *cond) matchAttribute(a attrRead) bool {
	if !a.ok {
		return c.existsFalse
	}
	for i := range c.rules {
		r := &c.rules[i]
		if r.kind == ruleExistsFalse {
			continue
		}
		if a.array && r.negated() {
			if len(a.vals) > 0 && allMatch(r, a.vals) {
				return true
			}
			continue
		}
		for _, v := range a.vals {
			if r.matches(v) {
				return true
			}
		}
	}
	return false
}

func allMatch(r *rule, vals []value) bool {
	for _, v := range vals {
		if !r.matches(v) {
			return false
		}
	}
	return true
}
