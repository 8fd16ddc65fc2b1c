package fsm

import "github.com/google/btree"

// delivery is one push message (a notification or a subscription
// confirmation) waiting to reach an HTTP/S endpoint. Entries are immutable
// once stored: a change replaces the entry.
type delivery struct {
	ID              uint64
	SubscriptionArn string
	Notice          Notice
	// Attempts counts the failed attempts recorded so far.
	Attempts int
	NextAt   int64
}

func deliveryByID(a, b *delivery) bool { return a.ID < b.ID }

func deliveryByNextAt(a, b *delivery) bool {
	if a.NextAt != b.NextAt {
		return a.NextAt < b.NextAt
	}
	return a.ID < b.ID
}

// outbox is the replicated queue of push deliveries, by ID and by due
// time. The leader's workers deliver what is due and record outcomes as
// commands, so a new leader resumes where the old one stopped.
type outbox struct {
	NextID uint64
	byID   *btree.BTreeG[*delivery]
	byDue  *btree.BTreeG[*delivery]
}

func newOutbox() outbox {
	return outbox{NextID: 1, byID: btree.NewG(btreeDegree, deliveryByID), byDue: btree.NewG(btreeDegree, deliveryByNextAt)}
}

// add stores a new entry under the next ID.
func (o *outbox) add(d *delivery) {
	d.ID = o.NextID
	o.NextID++
	o.put(d)
}

// put stores (or replaces) an entry as it is.
func (o *outbox) put(d *delivery) {
	if old, ok := o.byID.ReplaceOrInsert(d); ok {
		o.byDue.Delete(old)
	}
	o.byDue.ReplaceOrInsert(d)
}

func (o *outbox) get(id uint64) (*delivery, bool) { return o.byID.Get(&delivery{ID: id}) }

func (o *outbox) remove(d *delivery) {
	o.byID.Delete(d)
	o.byDue.Delete(d)
}

// dropSubscription removes every entry of a subscription.
func (o *outbox) dropSubscription(arn string) {
	var gone []*delivery
	o.byID.Ascend(func(d *delivery) bool {
		if d.SubscriptionArn == arn {
			gone = append(gone, d)
		}
		return true
	})
	for _, d := range gone {
		o.remove(d)
	}
}

func (o *outbox) len() int { return o.byID.Len() }

// recordDelivery applies the outcome of one delivery attempt.
func (f *FSM) recordDelivery(now int64, c RecordDelivery, wake *[]QueueKey) *Error {
	d, ok := f.outbox.get(c.ID)
	if !ok || d.Attempts != c.Attempt {
		return nil
	}
	switch {
	case c.Delivered:
		f.outbox.remove(d)
	case c.RetryAt > 0:
		u := *d
		u.Attempts++
		u.NextAt = c.RetryAt
		f.outbox.put(&u)
		f.wakeOutbox = true
	default:
		f.outbox.remove(d)
		s := f.subs[d.SubscriptionArn]
		if s == nil || d.Notice.Type != "Notification" {
			return nil
		}
		if dlq := subscriptionDeadLetterQueue(s.Attributes); dlq != "" {
			if q := f.queueByARN(dlq); q != nil {
				f.deliverToQueue(now, s, d.Notice, dlq, wake)
			}
		}
	}
	return nil
}
