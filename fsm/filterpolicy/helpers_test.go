package filterpolicy

import "testing"

func str(v string) Attribute { return Attribute{DataType: "String", Value: v} }
func num(v string) Attribute { return Attribute{DataType: "Number", Value: v} }
func arr(v string) Attribute { return Attribute{DataType: "String.Array", Value: v} }
func bin(v string) Attribute { return Attribute{DataType: "Binary", Value: v} }
func attrs(kv ...any) map[string]Attribute {
	m := map[string]Attribute{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1].(Attribute)
	}
	return m
}

func mustParse(t *testing.T, doc string, scope Scope) *Policy {
	t.Helper()
	p, err := Parse(doc, scope)
	if err != nil {
		t.Fatalf("Parse(%s, %v): %v", doc, scope, err)
	}
	return p
}

// attrCase is one policy matched against one set of message attributes.
type attrCase struct {
	name   string
	policy string
	attrs  map[string]Attribute
	want   bool
}

func runAttrCases(t *testing.T, cases []attrCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustParse(t, c.policy, MessageAttributes)
			if got := p.MatchAttributes(c.attrs); got != c.want {
				t.Errorf("policy %s, attributes %v: match = %v, want %v", c.policy, c.attrs, got, c.want)
			}
			if got := p.Match(c.attrs, "not used"); got != c.want {
				t.Errorf("Match dispatch = %v, want %v", got, c.want)
			}
		})
	}
}

// bodyCase is one policy matched against one message body.
type bodyCase struct {
	name   string
	policy string
	body   string
	want   bool
}

func runBodyCases(t *testing.T, cases []bodyCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustParse(t, c.policy, MessageBody)
			if got := p.MatchBody(c.body); got != c.want {
				t.Errorf("policy %s, body %s: match = %v, want %v", c.policy, c.body, got, c.want)
			}
			if got := p.Match(nil, c.body); got != c.want {
				t.Errorf("Match dispatch = %v, want %v", got, c.want)
			}
		})
	}
}
