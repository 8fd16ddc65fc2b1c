package filterpolicy

// maxPolicySize is the largest filter policy SNS accepts: 256 KB.
const maxPolicySize = 256 * 1024

// Parse validates a FilterPolicy document for the scope and compiles it.
// An empty document means no policy: Parse returns nil, nil, and a nil
// *Policy matches every message. "{}" is accepted and matches every
// message. Any scope but MessageBody is treated as MessageAttributes.
//
// A refused policy's error is an *Error whose Error() is what AWS gives
// after "Invalid parameter: FilterPolicy: ".
func Parse(doc string, scope Scope) (*Policy, error) {
	p, err := parse(doc, scope)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func parse(doc string, scope Scope) (*Policy, *Error) {
	if doc == "" {
		return nil, nil
	}
	if len(doc) > maxPolicySize {
		return nil, policyError(msgTooLong)
	}
	root, err := parseJSON(doc)
	if err != nil {
		return nil, policyError(msgParseJSON)
	}
	if root.kind != jObject {
		return nil, policyError(msgNotObject)
	}
	if scope != MessageBody {
		scope = MessageAttributes
	}
	if len(root.keys) == 0 {
		return &Policy{scope: scope, all: true}, nil
	}
	var w walker
	tree, perr := w.object(root, false)
	if perr != nil {
		return nil, perr
	}
	if scope == MessageAttributes && w.nested {
		return nil, &Error{msg: msgNestedAttrs}
	}
	if w.leaves.internal != nil {
		return nil, w.leaves.internal
	}
	if keyCount(tree) > maxKeys {
		return nil, policyError(msgTooManyKeys)
	}
	if complexity(tree, 1) > maxCombinations {
		return nil, policyError(msgTooComplex)
	}
	return build(tree, scope), nil
}

// pnode is a validated policy object. Its entries keep document order; of
// two members with the same name the later replaces the earlier in place,
// as AWS's JSON tree does.
type pnode struct {
	entries []pentry
}

// pentry is one member of a policy object: a key with a value array
// (rules), a nested object (child), or a "$or" with its alternatives.
type pentry struct {
	key   string
	rules []rule
	child *pnode
	alts  []*pnode
}

// walker validates a policy object by object, in document order, as AWS's
// rule compiler does, so the first error it meets is the one AWS reports.
type walker struct {
	leaves leafCompiler
	nested bool // a key's value is an object (not allowed for attributes)
}

func (w *walker) object(v *jvalue, inOr bool) (*pnode, *Error) {
	if len(v.keys) == 0 {
		return nil, policyError(msgEmptyObject)
	}
	n := &pnode{entries: make([]pentry, 0, len(v.keys))}
	var index map[string]int // only for objects with repeated keys
	for i, key := range v.keys {
		e, err := w.entry(key, v.vals[i], inOr)
		if err != nil {
			return nil, err
		}
		if at, dup := lookupEntry(n, &index, key); dup {
			n.entries[at] = e
			continue
		}
		n.entries = append(n.entries, e)
	}
	return n, nil
}

func lookupEntry(n *pnode, index *map[string]int, key string) (int, bool) {
	if *index == nil {
		if len(n.entries) < 8 {
			for i := range n.entries {
				if n.entries[i].key == key {
					return i, true
				}
			}
			return 0, false
		}
		*index = make(map[string]int, len(n.entries))
		for i := range n.entries {
			(*index)[n.entries[i].key] = i
		}
	}
	if at, ok := (*index)[key]; ok {
		return at, true
	}
	(*index)[key] = len(n.entries)
	return 0, false
}

func (w *walker) entry(key string, val *jvalue, inOr bool) (pentry, *Error) {
	if key == orKey && isOrRelationship(val) {
		e := pentry{key: key}
		for _, alt := range val.elems {
			if alt.kind != jObject {
				return pentry{}, policyError("Only JSON object is allowed in array of $or relationship.")
			}
			a, err := w.object(alt, true)
			if err != nil {
				return pentry{}, err
			}
			e.alts = append(e.alts, a)
		}
		return e, nil
	}
	if inOr && reservedInOr(key) {
		return pentry{}, policyError(key + " is Ruler reserved fieldName which cannot be used inside $or.")
	}
	switch val.kind {
	case jObject:
		w.nested = true
		child, err := w.object(val, inOr)
		if err != nil {
			return pentry{}, err
		}
		return pentry{key: key, child: child}, nil
	case jArray:
		rules, err := w.leaves.leaf(val.elems)
		if err != nil {
			return pentry{}, err
		}
		return pentry{key: key, rules: rules}, nil
	}
	return pentry{}, policyError(`"` + key + `" must be an object or an array`)
}

const orKey = "$or"

// isOrRelationship reports whether a "$or" member is the OR operator. SNS
// treats "$or" as an ordinary key unless its value is an array holding at
// least two objects, none of which has a reserved keyword as a key.
func isOrRelationship(v *jvalue) bool {
	if v.kind != jArray {
		return false
	}
	objects := 0
	for _, e := range v.elems {
		if e.kind != jObject {
			continue
		}
		objects++
		for _, k := range e.keys {
			if reservedInOr(k) {
				return false
			}
		}
	}
	return objects >= 2
}

// reservedInOr reports whether a key is one of the rule engine's reserved
// names, which may not appear inside a "$or".
func reservedInOr(key string) bool {
	switch key {
	case "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but",
		"exists", "wildcard", "numeric", "cidr", "=", "<", "<=", ">", ">=",
		"regex", "not-wildcard", "not-equals-ignore-case", "date-after",
		"date-on-or-after", "date-before", "date-on-or-before", "in-date-range",
		"ip-address-in-range", "ip-address-not-in-range":
		return true
	}
	return false
}

// joinPath extends a key path. Nested keys join with '.', so a policy key
// "a.b" and a nested {"a": {"b": ...}} name the same property, as in AWS.
func joinPath(prefix string, root bool, key string) string {
	if root {
		return key
	}
	return prefix + "." + key
}
