package filterpolicy

// MatchBody reports whether a message body matches the policy, evaluated as
// a MessageBody-scope policy. The body must be a JSON object; any other body
// matches no policy but "{}".
//
// Nested body properties are found by their dotted path, however the body
// spells it: {"a": {"b": 1}} and {"a.b": 1} both have a.b = 1. An array
// matches when any element does. Like AWS's rule engine, matching is array
// consistent: values taken from objects inside one array must all come from
// the same element of it. A key whose value is an object is not a leaf, so
// for {"exists": ...} it is absent.
func (p *Policy) MatchBody(body string) bool {
	if p == nil || p.all {
		return true
	}
	f := flattener{p: p, entries: make([][]entry, len(p.paths)), in: jparser{s: body}}
	if !f.document() || !f.in.leaves {
		return false
	}
	for i := range p.branches {
		if p.branches[i].matchBody(f.entries) {
			return true
		}
	}
	return false
}

// entry is one leaf value of the body, with the array elements it lies in.
type entry struct {
	v     value
	trail []step
}

// flattener reads a body in one pass, checking all of it is JSON but
// keeping only the leaf values at the paths the policy names; it skips,
// without building anything, the subtrees no policy path reaches.
type flattener struct {
	p       *Policy
	in      jparser
	entries [][]entry // by path id
	path    []byte    // the current dotted path
	stack   []step    // the arrays around the current value
	steps   []step    // the entries' trails, one after another
	arrays  int
}

// document reads the whole body, which must be one JSON object.
func (f *flattener) document() bool {
	f.in.space()
	if f.in.i >= len(f.in.s) || f.in.s[f.in.i] != '{' {
		return false
	}
	f.in.i++
	if !f.object(1, true) {
		return false
	}
	f.in.space()
	return f.in.i == len(f.in.s)
}

// object reads an object's members, its opening brace already read.
func (f *flattener) object(depth int, root bool) bool {
	in := &f.in
	in.space()
	if in.i < len(in.s) && in.s[in.i] == '}' {
		in.i++
		return true
	}
	for {
		in.space()
		if in.i >= len(in.s) || in.s[in.i] != '"' {
			return false
		}
		key, ok := in.str()
		if !ok {
			return false
		}
		in.space()
		if in.i >= len(in.s) || in.s[in.i] != ':' {
			return false
		}
		in.i++
		// Nested keys join with '.', as joinPath does for the policy.
		mark := len(f.path)
		if !root {
			f.path = append(f.path, '.')
		}
		f.path = append(f.path, key...)
		_, wanted := f.p.paths[string(f.path)]
		if wanted || f.p.prefixes[string(f.path)] {
			ok = f.value(depth)
		} else {
			ok = in.skip(depth)
		}
		f.path = f.path[:mark]
		if !ok {
			return false
		}
		in.space()
		if in.i >= len(in.s) {
			return false
		}
		switch in.s[in.i] {
		case ',':
			in.i++
		case '}':
			in.i++
			return true
		default:
			return false
		}
	}
}

// value reads the value at a path the policy reaches.
func (f *flattener) value(depth int) bool {
	in := &f.in
	in.space()
	if in.i >= len(in.s) {
		return false
	}
	switch in.s[in.i] {
	case '{':
		if !f.p.prefixes[string(f.path)] {
			return in.skip(depth) // not a leaf: exists and values ignore it
		}
		if depth >= maxJSONDepth {
			return false
		}
		in.i++
		return f.object(depth+1, false)
	case '[':
		if depth >= maxJSONDepth {
			return false
		}
		in.i++
		id := f.arrays
		f.arrays++
		in.space()
		if in.i < len(in.s) && in.s[in.i] == ']' {
			in.i++
			return true
		}
		for index := 0; ; index++ {
			f.stack = append(f.stack, step{array: id, index: index})
			ok := f.value(depth + 1)
			f.stack = f.stack[:len(f.stack)-1]
			if !ok {
				return false
			}
			in.space()
			if in.i >= len(in.s) {
				return false
			}
			switch in.s[in.i] {
			case ',':
				in.i++
			case ']':
				in.i++
				return true
			default:
				return false
			}
		}
	}
	v, ok := in.value(depth)
	if !ok {
		return false
	}
	if id, wanted := f.p.paths[string(f.path)]; wanted {
		sv, _ := scalarValue(v)
		// Trails are slices of one arena; growing it leaves earlier
		// trails where they are.
		start := len(f.steps)
		f.steps = append(f.steps, f.stack...)
		f.entries[id] = append(f.entries[id], entry{v: sv, trail: f.steps[start:len(f.steps):len(f.steps)]})
	}
	return true
}

// matchBody reports whether the branch holds for a body: every cond must be
// satisfied, by absence ({"exists": false} and no value at the path) or by
// a matching value, and the values chosen must be array consistent.
func (b *branch) matchBody(entries [][]entry) bool {
	var choices [][]*entry
	for i := range b.conds {
		c := &b.conds[i]
		found := entries[c.id]
		if len(found) == 0 {
			if c.existsFalse {
				continue
			}
			return false
		}
		var opts []*entry
		free := false
		for j := range found {
			e := &found[j]
			if c.matchValue(e.v) {
				if len(e.trail) == 0 {
					free = true // outside every array: consistent with anything
					break
				}
				opts = append(opts, e)
			}
		}
		if free {
			continue
		}
		if len(opts) == 0 {
			return false
		}
		choices = append(choices, opts)
	}
	return consistent(choices)
}

func (c *cond) matchValue(v value) bool {
	for i := range c.rules {
		if c.rules[i].matches(v) {
			return true
		}
	}
	return false
}
