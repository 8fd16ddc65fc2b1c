package transport

import (
	"encoding/base64"
	"slices"
	"sort"
)

// pager is a validated ListQueues or ListDeadLetterSourceQueues page
// request. Without MaxResults a page holds up to 1000 names and has no
// NextToken; with it, up to MaxResults and a NextToken when more remain.
// The token is opaque to clients: the base64 of the last name returned, so
// pages stay consistent while queues come and go.
type pager struct {
	limit int
	paged bool   // MaxResults was given
	after string // names up to this one were returned already
}

// newPager validates MaxResults and NextToken, before any backend call.
func newPager(token string, max optInt) (pager, error) {
	limit, err := intParam(max, "MaxResults", 1, maxListResults, maxListResults, rangeReason(1, maxListResults))
	if err != nil {
		return pager{}, err
	}
	p := pager{limit: limit, paged: max.set}
	if token != "" {
		last, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(last) == 0 {
			return pager{}, errf(codeInvalidParam, "Invalid NextToken value.")
		}
		p.after = string(last)
	}
	return p, nil
}

// page cuts the page out of the full list of names.
func (p pager) page(names []string) (page []string, next string) {
	if !slices.IsSorted(names) {
		names = slices.Clone(names)
		sort.Strings(names)
	}
	if p.after != "" {
		i := sort.SearchStrings(names, p.after)
		if i < len(names) && names[i] == p.after {
			i++
		}
		names = names[i:]
	}
	if len(names) <= p.limit {
		return names, ""
	}
	page = names[:p.limit]
	if p.paged {
		next = base64.RawURLEncoding.EncodeToString([]byte(page[len(page)-1]))
	}
	return page, next
}
