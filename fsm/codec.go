package fsm

// The compact forms of the hot commands (see commands.go for the framing
// and wire.go for the primitives). Fields are written in declaration
// order; a new field means a new type byte.

func writeSend(w *wireWriter, c SendMessages) {
	w.queueKey(c.Queue)
	w.str(c.SenderID)
	w.uvarint(uint64(len(c.Entries)))
	for _, e := range c.Entries {
		w.str(e.ID)
		w.str(e.MessageID)
		w.str(e.Body)
		w.varint(int64(e.DelaySeconds))
		w.attributes(e.Attributes)
		w.attributes(e.SystemAttributes)
		w.str(e.MessageGroupID)
		w.str(e.DeduplicationID)
		w.str(e.IdempotencyKey)
	}
}

func readSend(r *wireReader) SendMessages {
	c := SendMessages{Queue: r.queueKey(), SenderID: r.str()}
	n := r.count(10)
	if n > 0 {
		c.Entries = make([]SendEntry, n)
	}
	for i := range c.Entries {
		c.Entries[i] = SendEntry{
			ID: r.str(), MessageID: r.str(), Body: r.str(), DelaySeconds: r.int(),
			Attributes: r.attributes(), SystemAttributes: r.attributes(),
			MessageGroupID: r.str(), DeduplicationID: r.str(), IdempotencyKey: r.str(),
		}
	}
	return c
}

func writeReceive(w *wireWriter, c ReceiveMessages) {
	w.queueKey(c.Queue)
	w.varint(int64(c.Max))
	w.varint(int64(c.VisibilityTimeout))
	w.u64(c.Nonce)
	w.str(c.AttemptID)
}

func readReceive(r *wireReader) ReceiveMessages {
	return ReceiveMessages{Queue: r.queueKey(), Max: r.int(), VisibilityTimeout: r.int(), Nonce: r.u64(), AttemptID: r.str()}
}

func writeHandles(w *wireWriter, q QueueKey, entries []HandleEntry) {
	w.queueKey(q)
	w.uvarint(uint64(len(entries)))
	for _, e := range entries {
		w.str(e.ID)
		w.str(e.ReceiptHandle)
		w.varint(int64(e.VisibilityTimeout))
	}
}

func readHandles(r *wireReader) (QueueKey, []HandleEntry) {
	q := r.queueKey()
	n := r.count(3)
	if n == 0 {
		return q, nil
	}
	entries := make([]HandleEntry, n)
	for i := range entries {
		entries[i] = HandleEntry{ID: r.str(), ReceiptHandle: r.str(), VisibilityTimeout: r.int()}
	}
	return q, entries
}

func writeDelete(w *wireWriter, c DeleteMessages) { writeHandles(w, c.Queue, c.Entries) }

func readDelete(r *wireReader) DeleteMessages {
	q, e := readHandles(r)
	return DeleteMessages{Queue: q, Entries: e}
}

func writeChangeVisibility(w *wireWriter, c ChangeVisibility) { writeHandles(w, c.Queue, c.Entries) }

func readChangeVisibility(r *wireReader) ChangeVisibility {
	q, e := readHandles(r)
	return ChangeVisibility{Queue: q, Entries: e}
}

func writePublish(w *wireWriter, c Publish) {
	w.topicKey(c.Topic)
	w.uvarint(uint64(len(c.Entries)))
	for _, e := range c.Entries {
		w.str(e.ID)
		w.str(e.Subject)
		w.str(e.Message)
		w.strMap(e.ProtocolMessages)
		w.attributes(e.Attributes)
		w.str(e.MessageGroupID)
		w.str(e.DeduplicationID)
		w.str(e.MessageID)
		w.str(e.IdempotencyKey)
		w.strMap(e.Signatures)
	}
	w.varint(c.Timestamp)
	w.str(c.SignatureVersion)
	w.str(c.SigningCertURL)
	w.str(c.BaseURL)
}

func readPublish(r *wireReader) Publish {
	c := Publish{Topic: r.topicKey()}
	n := r.count(12)
	if n > 0 {
		c.Entries = make([]PublishEntry, n)
	}
	for i := range c.Entries {
		c.Entries[i] = PublishEntry{
			ID: r.str(), Subject: r.str(), Message: r.str(), ProtocolMessages: r.strMap(),
			Attributes: r.attributes(), MessageGroupID: r.str(), DeduplicationID: r.str(),
			MessageID: r.str(), IdempotencyKey: r.str(), Signatures: r.strMap(),
		}
	}
	c.Timestamp = r.varint()
	c.SignatureVersion = r.str()
	c.SigningCertURL = r.str()
	c.BaseURL = r.str()
	return c
}

// writeBatch frames encoded commands: a count, then each command with its
// length.
func writeBatch(w *wireWriter, b Batch) {
	w.uvarint(uint64(len(b.Commands)))
	for _, c := range b.Commands {
		w.bytes(c)
	}
}

// readBatch returns commands that share the entry's memory.
func readBatch(r *wireReader) Batch {
	n := r.count(1)
	b := Batch{Commands: make([][]byte, n)}
	for i := range b.Commands {
		b.Commands[i] = r.raw()
	}
	return b
}
