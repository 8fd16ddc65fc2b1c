package filterpolicy

// value is one leaf value of a message: a body property's value, an
// element of a String.Array attribute, or a String or Number attribute.
type value struct {
	kind vkind
	s    string // string content
	b    bool
	num  decimal
	// numOK is false for a number too large to compare (beyond 5e9).
	numOK bool
}

type vkind uint8

const (
	vNull vkind = iota
	vBool
	vNumber
	vString
)

func stringValue(s string) value { return value{kind: vString, s: s} }

func numberValue(text string) value {
	d, ok := parseDecimal(text)
	return value{kind: vNumber, num: d, numOK: ok}
}

// scalarValue converts a JSON scalar; ok is false for arrays and objects.
func scalarValue(v *jvalue) (value, bool) {
	switch v.kind {
	case jNull:
		return value{kind: vNull}, true
	case jBool:
		return value{kind: vBool, b: v.b}, true
	case jNumber:
		return numberValue(v.s), true
	case jString:
		return stringValue(v.s), true
	}
	return value{}, false
}

// present reports whether the value satisfies {"exists": true}: AWS
// requires a non-null, non-empty value.
func (v value) present() bool {
	return v.kind != vNull && !(v.kind == vString && v.s == "")
}
