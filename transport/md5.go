package transport

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"sort"

	"github.com/wharfmq/wharf/fsm"
)

// md5Hex is the hex MD5 of s (MD5OfMessageBody, MD5OfBody).
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// md5OfAttributes is AWS's MD5 of message attributes (also used for
// message system attributes): for each attribute sorted by name, the
// 4-byte big-endian length and bytes of the name, of the DataType, a
// transport byte (1 string, 2 binary), and the length and bytes of the
// value. It returns "" for no attributes: the field is then omitted.
func md5OfAttributes(attrs map[string]fsm.MessageAttribute) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	h := md5.New()
	var lenBuf [4]byte
	put := func(b []byte) {
		binary.BigEndian.PutUint32(lenBuf[:], uint32(len(b)))
		h.Write(lenBuf[:])
		h.Write(b)
	}
	for _, n := range names {
		a := attrs[n]
		put([]byte(n))
		put([]byte(a.DataType))
		if a.IsBinary() {
			h.Write([]byte{2})
			put(a.BinaryValue)
		} else {
			h.Write([]byte{1})
			put([]byte(a.StringValue))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
