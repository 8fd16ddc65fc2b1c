package filterpolicy

// The policy-wide limits SNS enforces.
const (
	// maxKeys is the most keys a policy may have. Only keys whose value is
	// an array count (a nested object's key does not); a "$or" counts as
	// its alternative with the most keys.
	maxKeys = 5
	// maxCombinations is the most value combinations a policy may have.
	maxCombinations = 150
	// saturate caps the combination count well above the limit, so huge
	// policies cannot overflow the arithmetic.
	saturate = 1 << 40
)

// keyCount counts a policy's keys as SNS does (see maxKeys).
func keyCount(n *pnode) int {
	count := 0
	for _, e := range n.entries {
		switch {
		case e.alts != nil:
			most := 0
			for _, a := range e.alts {
				most = max(most, keyCount(a))
			}
			count += most
		case e.child != nil:
			count += keyCount(e.child)
		default:
			count++
		}
	}
	return count
}

// complexity computes the total combination of values as AWS documents it:
// the product, over keys, of the number of values in the key's array times
// the key's nesting depth (1 at the top level); a "$or" contributes the sum
// of its alternatives, at the same depth.
func complexity(n *pnode, depth int) int {
	total := 1
	for _, e := range n.entries {
		switch {
		case e.alts != nil:
			sum := 0
			for _, a := range e.alts {
				sum = min(sum+complexity(a, depth), saturate)
			}
			total = mulSat(total, sum)
		case e.child != nil:
			total = mulSat(total, complexity(e.child, depth+1))
		default:
			total = mulSat(total, mulSat(len(e.rules), depth))
		}
	}
	return total
}

func mulSat(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > saturate/b {
		return saturate
	}
	return a * b
}
