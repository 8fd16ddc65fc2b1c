package filterpolicy

import (
	"sort"
	"strings"
)

// Policy is a parsed, validated filter policy. It is immutable and safe for
// concurrent use. A nil *Policy is "no filter policy" and matches every
// message.
type Policy struct {
	scope Scope
	all   bool // "{}": matches every message
	// branches are the policy's alternatives, one per combination of "$or"
	// choices: a message matches when any branch does.
	branches []branch
	// paths numbers the keys the branches name; prefixes are their
	// leading parts ("a" and "a.b" for "a.b.c"), for walking a body.
	paths    map[string]int
	prefixes map[string]bool
}

// branch is one alternative of a policy: every cond must hold.
type branch struct {
	conds []cond // sorted by path
}

// cond is one key of a branch and its value array: it holds when any rule
// matches.
type cond struct {
	path        string
	id          int // index of path in Policy.paths
	rules       []rule
	existsFalse bool // some rule is {"exists": false}
}

// Scope returns the scope the policy was parsed for.
func (p *Policy) Scope() Scope {
	if p == nil {
		return MessageAttributes
	}
	return p.scope
}

// Match reports whether a message matches the policy, looking at its
// attributes or its body according to the scope the policy was parsed for.
func (p *Policy) Match(attrs map[string]Attribute, body string) bool {
	if p.Scope() == MessageBody {
		return p.MatchBody(body)
	}
	return p.MatchAttributes(attrs)
}

// draft is a branch while the policy's "$or"s are being expanded. A later
// write to a path replaces an earlier one, as in AWS's rule compiler.
type draft struct {
	paths []string
	rules [][]rule
}

func (d *draft) set(path string, rules []rule) {
	for i, p := range d.paths {
		if p == path {
			d.rules[i] = rules
			return
		}
	}
	d.paths = append(d.paths, path)
	d.rules = append(d.rules, rules)
}

func (d draft) clone() draft {
	return draft{
		paths: append([]string(nil), d.paths...),
		rules: append([][]rule(nil), d.rules...),
	}
}

// build expands a validated tree into branches. The complexity limit
// bounds the number of branches: each contributes at least one combination.
func build(tree *pnode, scope Scope) *Policy {
	drafts := expand(tree, "", true, []draft{{}})
	p := &Policy{scope: scope, paths: map[string]int{}, prefixes: map[string]bool{}}
	for _, d := range drafts {
		var b branch
		for i, path := range d.paths {
			c := cond{path: path, rules: d.rules[i]}
			for j := range c.rules {
				if c.rules[j].kind == ruleExistsFalse {
					c.existsFalse = true
				}
			}
			id, ok := p.paths[path]
			if !ok {
				id = len(p.paths)
				p.paths[path] = id
			}
			c.id = id
			b.conds = append(b.conds, c)
			for k := 0; k < len(path); k++ {
				if path[k] == '.' {
					p.prefixes[path[:k]] = true
				}
			}
		}
		sort.Slice(b.conds, func(i, j int) bool { return strings.Compare(b.conds[i].path, b.conds[j].path) < 0 })
		p.branches = append(p.branches, b)
	}
	return p
}

func expand(n *pnode, prefix string, root bool, drafts []draft) []draft {
	for _, e := range n.entries {
		switch {
		case e.alts != nil:
			var out []draft
			for _, alt := range e.alts {
				copies := make([]draft, len(drafts))
				for i := range drafts {
					copies[i] = drafts[i].clone()
				}
				out = append(out, expand(alt, prefix, root, copies)...)
			}
			drafts = out
		case e.child != nil:
			drafts = expand(e.child, joinPath(prefix, root, e.key), false, drafts)
		default:
			path := joinPath(prefix, root, e.key)
			for i := range drafts {
				drafts[i].set(path, e.rules)
			}
		}
	}
	return drafts
}
