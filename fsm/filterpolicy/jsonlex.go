package filterpolicy

import (
	"unicode/utf16"
	"unicode/utf8"
)

// jsonlex.go holds the JSON parser's lexical layer: whitespace, literals,
// numbers and strings, and skip, which checks a value without building it.

func (p *jparser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jparser) literal(word string) bool {
	if len(p.s)-p.i >= len(word) && p.s[p.i:p.i+len(word)] == word {
		p.i += len(word)
		return true
	}
	return false
}

// skip scans one value, checking it exactly as value does, without
// building anything.
func (p *jparser) skip(depth int) bool {
	p.space()
	if p.i >= len(p.s) {
		return false
	}
	switch c := p.s[p.i]; c {
	case '{', '[':
		if depth >= maxJSONDepth {
			return false
		}
		p.i++
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		p.space()
		if p.i < len(p.s) && p.s[p.i] == end {
			p.i++
			return true
		}
		for {
			if c == '{' {
				p.space()
				if p.i >= len(p.s) || p.s[p.i] != '"' || !p.skipStr() {
					return false
				}
				p.space()
				if p.i >= len(p.s) || p.s[p.i] != ':' {
					return false
				}
				p.i++
			}
			if !p.skip(depth + 1) {
				return false
			}
			p.space()
			if p.i >= len(p.s) {
				return false
			}
			switch p.s[p.i] {
			case ',':
				p.i++
			case end:
				p.i++
				return true
			default:
				return false
			}
		}
	case '"':
		p.leaves = true
		return p.skipStr()
	}
	p.leaves = true
	if c := p.s[p.i]; c == '-' || isDigit(c) {
		_, ok := p.number()
		return ok
	}
	return p.literal("true") || p.literal("false") || p.literal("null")
}

// skipStr scans a string from its opening quote, checking its escapes.
func (p *jparser) skipStr() bool {
	p.i++
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return false
			}
			switch p.s[p.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i += 2
			case 'u':
				if hex4(p.s, p.i+2) < 0 {
					return false
				}
				p.i += 6
			default:
				return false
			}
		default:
			p.i++
		}
	}
	return false
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and returns
// its text.
func (p *jparser) number() (string, bool) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.s) && p.s[p.i] == '0':
		p.i++
	case p.i < len(p.s) && isDigit(p.s[p.i]):
		p.digits()
	default:
		return "", false
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if !p.digits() {
			return "", false
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if !p.digits() {
			return "", false
		}
	}
	return p.s[start:p.i], true
}

func (p *jparser) digits() bool {
	start := p.i
	for p.i < len(p.s) && isDigit(p.s[p.i]) {
		p.i++
	}
	return p.i > start
}

// str scans a string starting at its opening quote and returns its
// content. A string with no escapes and valid UTF-8 is a substring of the
// document; any other is decoded.
func (p *jparser) str() (string, bool) {
	p.i++ // opening quote
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			s := p.s[start:p.i]
			p.i++
			return s, true
		case c == '\\':
			return p.decode(start)
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			p.i++
		default:
			r, size := utf8.DecodeRuneInString(p.s[p.i:])
			if r == utf8.RuneError && size == 1 {
				return p.decode(start)
			}
			p.i += size
		}
	}
	return "", false
}

// decode finishes a string that needs decoding, from its content's start.
func (p *jparser) decode(start int) (string, bool) {
	buf := make([]byte, 0, p.i-start+16)
	buf = append(buf, p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), true
		case c < 0x20:
			return "", false
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return "", false
			}
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r := hex4(p.s, p.i)
				if r < 0 {
					return "", false
				}
				p.i += 4
				if utf16.IsSurrogate(r) {
					// A pair takes the next escape too; a lone half is
					// U+FFFD and the next escape stands alone.
					pair := utf8.RuneError
					if len(p.s)-p.i >= 6 && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
						pair = utf16.DecodeRune(r, hex4(p.s, p.i+2))
					}
					r = pair
					if pair != utf8.RuneError {
						p.i += 6
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", false
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p.i++
		default:
			r, size := utf8.DecodeRuneInString(p.s[p.i:])
			p.i += size
			buf = utf8.AppendRune(buf, r) // invalid UTF-8 becomes U+FFFD
		}
	}
	return "", false
}

// hex4 reads the four hex digits at s[i:] of a \u escape, or returns -1.
func hex4(s string, i int) rune {
	if len(s)-i < 4 {
		return -1
	}
	var r rune
	for k := 0; k < 4; k++ {
		d := unhex(s[i+k])
		if d < 0 {
			return -1
		}
		r = r<<4 | d
	}
	return r
}

func unhex(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}
