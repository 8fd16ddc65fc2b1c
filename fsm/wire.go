package fsm

import (
	"encoding/binary"
	"errors"
	"sort"
)

// The compact binary form of the hot commands: unsigned and signed
// varints, strings and byte strings prefixed by their length, maps as a
// count followed by their entries in sorted key order (so the same command
// always encodes to the same bytes). A change of layout is a new type byte.

// errShortCommand reports a command that ends before its last field.
var errShortCommand = errors.New("fsm: truncated command")

// wireWriter appends the binary form of values to a byte slice.
type wireWriter struct{ b []byte }

func (w *wireWriter) uvarint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *wireWriter) varint(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *wireWriter) u64(v uint64)     { w.b = binary.LittleEndian.AppendUint64(w.b, v) }
func (w *wireWriter) byte1(v byte)     { w.b = append(w.b, v) }

func (w *wireWriter) str(s string) {
	w.uvarint(uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *wireWriter) bytes(p []byte) {
	w.uvarint(uint64(len(p)))
	w.b = append(w.b, p...)
}

func (w *wireWriter) queueKey(k QueueKey) {
	w.str(k.Region)
	w.str(k.Account)
	w.str(k.Name)
}

func (w *wireWriter) topicKey(k TopicKey) {
	w.str(k.Region)
	w.str(k.Account)
	w.str(k.Name)
}

func (w *wireWriter) attributes(m map[string]MessageAttribute) {
	w.uvarint(uint64(len(m)))
	for _, name := range sortedKeys(m) {
		a := m[name]
		w.str(name)
		w.str(a.DataType)
		w.str(a.StringValue)
		w.bytes(a.BinaryValue)
	}
}

func (w *wireWriter) strMap(m map[string]string) {
	w.uvarint(uint64(len(m)))
	for _, k := range sortedKeys(m) {
		w.str(k)
		w.str(m[k])
	}
}

// sortedKeys returns the keys of m in ascending order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// wireReader reads what wireWriter wrote. The first error sticks: every
// later read returns a zero value, and err reports it.
type wireReader struct {
	b   []byte
	err error
}

func (r *wireReader) fail() {
	if r.err == nil {
		r.err = errShortCommand
	}
	r.b = nil
}

func (r *wireReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *wireReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// int reads a varint that must fit a 32-bit int.
func (r *wireReader) int() int {
	v := r.varint()
	if v < -1<<31 || v > 1<<31-1 {
		r.fail()
		return 0
	}
	return int(v)
}

func (r *wireReader) u64() uint64 {
	if len(r.b) < 8 {
		r.fail()
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *wireReader) byte1() byte {
	if len(r.b) < 1 {
		r.fail()
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// raw returns the next length-prefixed byte string without copying it.
func (r *wireReader) raw() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *wireReader) str() string { return string(r.raw()) }

func (r *wireReader) bytes() []byte {
	p := r.raw()
	if len(p) == 0 {
		return nil
	}
	return append([]byte(nil), p...)
}

// count reads an element count; each element takes at least minSize
// bytes, so a count the rest of the input cannot hold is refused before
// anything is allocated for it.
func (r *wireReader) count(minSize int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/minSize) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *wireReader) queueKey() QueueKey {
	return QueueKey{Region: r.str(), Account: r.str(), Name: r.str()}
}

func (r *wireReader) topicKey() TopicKey {
	return TopicKey{Region: r.str(), Account: r.str(), Name: r.str()}
}

func (r *wireReader) attributes() map[string]MessageAttribute {
	n := r.count(4)
	if n == 0 {
		return nil
	}
	m := make(map[string]MessageAttribute, n)
	for range n {
		name := r.str()
		m[name] = MessageAttribute{DataType: r.str(), StringValue: r.str(), BinaryValue: r.bytes()}
	}
	return m
}

func (r *wireReader) strMap() map[string]string {
	n := r.count(2)
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := r.str()
		m[k] = r.str()
	}
	return m
}

// end reports the first error, or trailing bytes after the last field.
func (r *wireReader) end() error {
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return errors.New("fsm: trailing bytes after command")
	}
	return nil
}
