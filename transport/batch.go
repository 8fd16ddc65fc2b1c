package transport

// batch tracks the per-entry outcomes of a batch call, in request order.
type batch struct {
	failed  []*batchError
	pending []int // indexes of the entries handed to the backend
}

// newBatch tracks a batch of n entries.
func newBatch(n int) *batch {
	return &batch{failed: make([]*batchError, n)}
}

// fail records the failure of entry i. Failed entries carry the query
// protocol's code names, as AWS answers them in both protocols.
func (b *batch) fail(i int, id string, err error) {
	ae := toAPIError(err)
	b.failed[i] = &batchError{
		Id:          id,
		SenderFault: !ae.isServerError(),
		Code:        queryCode(ae.Code),
		Message:     ae.Message,
	}
}

// failures lists the failed entries in request order.
func (b *batch) failures() []batchError {
	out := []batchError{}
	for _, f := range b.failed {
		if f != nil {
			out = append(out, *f)
		}
	}
	return out
}
