package filterpolicy

import "errors"

// json.go parses JSON into a tree that keeps what encoding/json's generic
// decoding loses: object members in document order, duplicate keys, and
// the exact text of numbers. It accepts exactly what encoding/json accepts
// and decodes strings as it does (invalid UTF-8 and lone surrogates become
// U+FFFD); FuzzParseJSON checks both against encoding/json.

// maxJSONDepth bounds the nesting of policies and bodies, as AWS's JSON
// parser does (Jackson's default limit); deeper documents do not parse.
const maxJSONDepth = 1000

type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

// jvalue is one parsed JSON value.
type jvalue struct {
	kind  jkind
	b     bool
	s     string // string content, or the number as written
	elems []*jvalue
	keys  []string // object member names, in document order
	vals  []*jvalue
}

var errJSON = errors.New("invalid JSON")

// parseJSON parses one JSON document; anything after it but whitespace is
// an error.
func parseJSON(doc string) (*jvalue, error) {
	p := jparser{s: doc}
	v, ok := p.value(0)
	if !ok {
		return nil, errJSON
	}
	p.space()
	if p.i != len(p.s) {
		return nil, errJSON
	}
	return v, nil
}

type jparser struct {
	s string
	i int
	// chunk hands out values in blocks (8, 16, ... up to 128 values);
	// scratch collects a container's members before they get their own
	// exactly sized slice.
	chunk   []jvalue
	chunks  int
	scratch []*jvalue
	names   []string
	// leaves records that a scalar value was seen anywhere.
	leaves bool
}

func (p *jparser) alloc(v jvalue) *jvalue {
	if len(p.chunk) == 0 {
		p.chunk = make([]jvalue, 8<<min(p.chunks, 4))
		p.chunks++
	}
	n := &p.chunk[0]
	*n = v
	p.chunk = p.chunk[1:]
	return n
}

func (p *jparser) value(depth int) (*jvalue, bool) {
	p.space()
	if p.i >= len(p.s) {
		return nil, false
	}
	switch c := p.s[p.i]; {
	case c == '{':
		if depth >= maxJSONDepth {
			return nil, false
		}
		p.i++
		return p.object(depth + 1)
	case c == '[':
		if depth >= maxJSONDepth {
			return nil, false
		}
		p.i++
		return p.array(depth + 1)
	case c == '"':
		p.leaves = true
		s, ok := p.str()
		return p.alloc(jvalue{kind: jString, s: s}), ok
	case c == '-' || isDigit(c):
		p.leaves = true
		s, ok := p.number()
		return p.alloc(jvalue{kind: jNumber, s: s}), ok
	}
	p.leaves = true
	switch {
	case p.literal("true"):
		return p.alloc(jvalue{kind: jBool, b: true}), true
	case p.literal("false"):
		return p.alloc(jvalue{kind: jBool}), true
	case p.literal("null"):
		return p.alloc(jvalue{kind: jNull}), true
	}
	return nil, false
}

func (p *jparser) object(depth int) (*jvalue, bool) {
	v := p.alloc(jvalue{kind: jObject})
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return v, true
	}
	base := len(p.scratch)
	defer func() {
		p.scratch = p.scratch[:base]
		p.names = p.names[:base]
	}()
	for {
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, false
		}
		key, ok := p.str()
		if !ok {
			return nil, false
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, false
		}
		p.i++
		member, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		p.names = append(p.names, key)
		p.scratch = append(p.scratch, member)
		p.space()
		if p.i >= len(p.s) {
			return nil, false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			v.keys = append([]string(nil), p.names[base:]...)
			v.vals = append([]*jvalue(nil), p.scratch[base:]...)
			return v, true
		default:
			return nil, false
		}
	}
}

func (p *jparser) array(depth int) (*jvalue, bool) {
	v := p.alloc(jvalue{kind: jArray})
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return v, true
	}
	base := len(p.scratch)
	defer func() {
		p.scratch = p.scratch[:base]
		p.names = p.names[:base]
	}()
	for {
		elem, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		p.scratch = append(p.scratch, elem)
		p.names = append(p.names, "")
		p.space()
		if p.i >= len(p.s) {
			return nil, false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			v.elems = append([]*jvalue(nil), p.scratch[base:]...)
			return v, true
		default:
			return nil, false
		}
	}
}

// tokenText is how AWS's streaming parser names a value in an error
// message: its text, or the delimiter that opens it.
func tokenText(v *jvalue) string {
	if v == nil {
		return "]"
	}
	switch v.kind {
	case jNull:
		return "null"
	case jBool:
		if v.b {
			return "true"
		}
		return "false"
	case jArray:
		return "["
	case jObject:
		return "{"
	}
	return v.s
}
