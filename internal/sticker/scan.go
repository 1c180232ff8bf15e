package sticker

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// SyntaxError is a place where an import file is not the JSON it should
// be, by line and column (from 1; columns count characters, as an editor
// does).
type SyntaxError struct {
	Line, Column int
	Msg          string
}

// Error names the line and column, then what is wrong there.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// maxDepth bounds the nesting of values skipped in unknown fields.
const maxDepth = 1000

// scanner reads JSON from an io.Reader one token at a time through a
// fixed buffer, so memory does not grow with the file, and keeps the line
// and column it is at for messages a person can find in the file.
type scanner struct {
	r    io.Reader
	buf  []byte
	pos  int // next unread byte
	end  int
	rerr error // from r, once it has failed or ended
	line int   // of buf[pos]
	col  int   // of buf[pos], in characters
	word []byte
}

func newScanner(r io.Reader) *scanner {
	return &scanner{r: r, buf: make([]byte, 64<<10), line: 1, col: 1}
}

// fill reads more input into an empty buffer; false when there is none.
func (s *scanner) fill() bool {
	if s.pos < s.end {
		return true
	}
	for s.rerr == nil {
		n, err := s.r.Read(s.buf)
		s.pos, s.end = 0, n
		if err != nil {
			s.rerr = err
		}
		if n > 0 {
			return true
		}
	}
	return false
}

// readErr is the input's own failure, or nil when it merely ended.
func (s *scanner) readErr() error {
	if s.rerr == nil || errors.Is(s.rerr, io.EOF) {
		return nil
	}
	return s.rerr
}

func (s *scanner) errorf(line, col int, format string, args ...any) error {
	if err := s.readErr(); err != nil {
		return fmt.Errorf("read the file at line %d: %w", line, err)
	}
	return &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// peek skips white space and returns the next byte without consuming it;
// false at the end of the input.
func (s *scanner) peek() (byte, bool) {
	for {
		if !s.fill() {
			return 0, false
		}
		for s.pos < s.end {
			switch c := s.buf[s.pos]; c {
			case ' ', '\t', '\r':
				s.pos++
				s.col++
			case '\n':
				s.pos++
				s.line++
				s.col = 1
			default:
				return c, true
			}
		}
	}
}

// skipBOM drops a UTF-8 byte order mark at the very start, which some
// editors write and JSON does not allow.
func (s *scanner) skipBOM() {
	const bom = "\xEF\xBB\xBF"
	if s.fillN(len(bom)) && string(s.buf[s.pos:s.pos+len(bom)]) == bom {
		s.pos += len(bom)
	}
}

// advance consumes one ASCII byte that peek returned.
func (s *scanner) advance() {
	s.pos++
	s.col++
}

// text is a string value as read: at most the limit it was read with in
// b; size counts every byte of the value.
type text struct {
	b    []byte
	size int
}

func (t text) truncated() bool { return t.size > len(t.b) }

// readString reads a string value (peek has returned '"') into dst,
// keeping at most limit bytes of it, and returns it.
func (s *scanner) readString(dst []byte, limit int) (text, error) {
	line, col := s.line, s.col
	s.advance()
	t := text{b: dst[:0]}
	add := func(p []byte) {
		if room := limit - len(t.b); room > 0 {
			t.b = append(t.b, p[:min(room, len(p))]...)
		}
		t.size += len(p)
	}
	for {
		if !s.fill() {
			return t, s.errorf(line, col, "the file ends inside the text that starts here: close it with \"")
		}
		chunk := s.buf[s.pos:s.end]
		i, chars := 0, 0
		for i < len(chunk) {
			c := chunk[i]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			if c&0xC0 != 0x80 {
				chars++
			}
			i++
		}
		add(chunk[:i])
		s.pos += i
		s.col += chars
		if i == len(chunk) {
			continue
		}
		switch c := chunk[i]; {
		case c == '"':
			s.advance()
			return t, nil
		case c == '\\':
			if err := s.readEscape(func(r rune) {
				var enc [utf8.UTFMax]byte
				add(enc[:utf8.EncodeRune(enc[:], r)])
			}); err != nil {
				return t, err
			}
		case c == '\n' || c == '\r':
			return t, s.errorf(line, col, "the text that starts here runs to the end of the line: close it with \" (write a line break inside text as \\n)")
		default:
			return t, s.errorf(s.line, s.col, "a control character (U+%04X) inside text: write it as \\u%04X", c, c)
		}
	}
}

// readByte consumes one byte of a token, counting it as one column.
func (s *scanner) readByte() (byte, bool) {
	if !s.fill() {
		return 0, false
	}
	c := s.buf[s.pos]
	s.pos++
	s.col++
	return c, true
}

// readEscape reads an escape (at its backslash) and adds its character;
// a lone UTF-16 surrogate becomes U+FFFD, as encoding/json has it.
func (s *scanner) readEscape(add func(rune)) error {
	line, col := s.line, s.col
	s.advance()
	c, ok := s.readByte()
	if !ok {
		return s.errorf(line, col, "the file ends inside an escape (\\)")
	}
	switch c {
	case '"', '\\', '/':
		add(rune(c))
	case 'b':
		add('\b')
	case 'f':
		add('\f')
	case 'n':
		add('\n')
	case 'r':
		add('\r')
	case 't':
		add('\t')
	case 'u':
		r, err := s.readHex4(line, col)
		if err != nil {
			return err
		}
		if !utf16.IsSurrogate(r) {
			add(r)
			return nil
		}
		// A surrogate is whole only with the other half in the next
		// escape; otherwise it is U+FFFD and the next escape stands alone,
		// as in encoding/json.
		if s.fillN(6) && s.buf[s.pos] == '\\' && s.buf[s.pos+1] == 'u' {
			if r2, ok := hex4(s.buf[s.pos+2 : s.pos+6]); ok {
				if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
					s.pos += 6
					s.col += 6
					add(pair)
					return nil
				}
			}
		}
		add(utf8.RuneError)
	default:
		if c > 0x20 && c < 0x7F {
			return s.errorf(line, col, "\\%c is not an escape JSON knows: write a backslash as \\\\", c)
		}
		return s.errorf(line, col, "a backslash before %s is not an escape JSON knows: write a backslash as \\\\", printable(c))
	}
	return nil
}

// fillN makes the n bytes after pos available in buf (moving what is left
// to its start), for looking ahead across a buffer boundary; false when
// the input ends first.
func (s *scanner) fillN(n int) bool {
	for s.end-s.pos < n {
		k := copy(s.buf, s.buf[s.pos:s.end])
		s.pos, s.end = 0, k
		if s.rerr != nil {
			return false
		}
		m, err := s.r.Read(s.buf[s.end:])
		s.end += m
		if err != nil {
			s.rerr = err
		}
	}
	return true
}

func (s *scanner) readHex4(line, col int) (rune, error) {
	if !s.fillN(4) {
		return 0, s.errorf(line, col, "the file ends inside an escape (\\u)")
	}
	r, ok := hex4(s.buf[s.pos : s.pos+4])
	if !ok {
		return 0, s.errorf(line, col, "\\u must be followed by four hexadecimal digits")
	}
	s.pos += 4
	s.col += 4
	return r, nil
}

func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// readWord consumes a run of the bytes a number or a bare word is made of,
// for reading numbers and true, false and null.
func (s *scanner) readWord() []byte {
	s.word = s.word[:0]
	for s.fill() {
		c := s.buf[s.pos]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '+' || c == '-' || c == '_') {
			break
		}
		if len(s.word) < 64 {
			s.word = append(s.word, c)
		}
		s.advance()
	}
	return s.word
}

// kind is what a JSON value is, in the words a message uses.
type kind int

const (
	kindNone kind = iota
	kindText
	kindNumber
	kindList
	kindObject
	kindTrue
	kindFalse
	kindNull
)

// scalar is a value read whole: its kind and, for text and numbers, a
// short quote of it for messages.
type scalar struct {
	kind  kind
	quote string
}

// describe says what v is, as in "is a number (42)".
func (v scalar) describe() string {
	switch v.kind {
	case kindText:
		return "text (" + v.quote + ")"
	case kindNumber:
		return "a number (" + v.quote + ")"
	case kindList:
		return "a list […]"
	case kindObject:
		return "an object {…}"
	case kindTrue:
		return "true"
	case kindFalse:
		return "false"
	case kindNull:
		return "null"
	}
	return "nothing"
}

// readOther reads (and discards) the value that starts with c, returning
// what it was, or why it is not a value.
func (s *scanner) readOther(c byte) (scalar, error) {
	line, col := s.line, s.col
	switch {
	case c == '"':
		t, err := s.readString(s.word[:0], 40)
		s.word = t.b[:0]
		return scalar{kindText, quoteText(t)}, err
	case c == '[' || c == '{':
		k := kindList
		if c == '{' {
			k = kindObject
		}
		return scalar{kind: k}, s.skipValue()
	case c == '-' || '0' <= c && c <= '9':
		w := s.readWord()
		if !isNumber(w) {
			return scalar{}, s.errorf(line, col, "%s is not a number", quoteBytes(w))
		}
		return scalar{kindNumber, string(w)}, nil
	case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_':
		w := s.readWord()
		switch string(w) {
		case "true":
			return scalar{kind: kindTrue}, nil
		case "false":
			return scalar{kind: kindFalse}, nil
		case "null":
			return scalar{kind: kindNull}, nil
		case "True", "TRUE", "False", "FALSE", "Null", "NULL", "None", "nil":
			return scalar{}, s.errorf(line, col, "%s is not JSON: write true, false or null, in lower case", w)
		}
		return scalar{}, s.errorf(line, col, "%s is not a value: put text in double quotes, \"%s\"", w, w)
	case c == '\'':
		return scalar{}, s.errorf(line, col, "text must be in double quotes (\"), not single (')")
	}
	return scalar{}, s.errorf(line, col, "%s is not the start of a value (text in double quotes, a number, a list […], an object {…}, true, false or null)", printable(c))
}

// skipValue consumes one value of any kind, without keeping it.
func (s *scanner) skipValue() error {
	c, ok := s.peek()
	if !ok {
		return s.errorf(s.line, s.col, "the file ends where a value should be")
	}
	if c != '[' && c != '{' {
		_, err := s.readOther(c)
		return err
	}
	// Containers, without recursion: stack holds the open brackets.
	var stack []byte
	type open struct{ line, col int }
	var opened []open
	for {
		c, ok := s.peek()
		if !ok {
			o := opened[len(opened)-1]
			return s.errorf(o.line, o.col, "the file ends before the %s that starts here is closed with %c", containerName(stack[len(stack)-1]), closer(stack[len(stack)-1]))
		}
		// A value, at the start of a container or after a comma.
		switch {
		case c == '[' || c == '{':
			if len(stack) == maxDepth {
				return s.errorf(s.line, s.col, "values nested more than %d deep", maxDepth)
			}
			stack = append(stack, c)
			opened = append(opened, open{s.line, s.col})
			s.advance()
			c2, ok := s.peek()
			if ok && c2 == closer(c) {
				s.advance()
				stack, opened = stack[:len(stack)-1], opened[:len(opened)-1]
				break
			}
			if c == '{' {
				if err := s.key(); err != nil {
					return err
				}
			}
			continue
		default:
			if _, err := s.readOther(c); err != nil {
				return err
			}
		}
		// After a value: a comma, or the container's end.
		for {
			if len(stack) == 0 {
				return nil
			}
			top := stack[len(stack)-1]
			c, ok := s.peek()
			switch {
			case !ok:
				o := opened[len(opened)-1]
				return s.errorf(o.line, o.col, "the file ends before the %s that starts here is closed with %c", containerName(top), closer(top))
			case c == ',':
				s.advance()
				if c2, ok := s.peek(); ok && c2 == closer(top) {
					return s.errorf(s.line, s.col, "a comma before %c: remove the last comma", c2)
				}
				if top == '{' {
					if err := s.key(); err != nil {
						return err
					}
				}
			case c == closer(top):
				s.advance()
				stack, opened = stack[:len(stack)-1], opened[:len(opened)-1]
				continue
			default:
				return s.errorf(s.line, s.col, "expected , or %c in the %s, found %s", closer(top), containerName(top), printable(c))
			}
			break
		}
	}
}

// key reads an object's field name and its colon, leaving the scanner at
// the field's value.
func (s *scanner) key() error {
	c, ok := s.peek()
	if !ok {
		return s.errorf(s.line, s.col, "the file ends where a field name should be")
	}
	if c != '"' {
		return s.errorf(s.line, s.col, "expected a field name in double quotes, found %s", printable(c))
	}
	t, err := s.readString(s.word[:0], 64)
	s.word = t.b[:0]
	if err != nil {
		return err
	}
	return s.colon(string(t.b))
}

// colon consumes the colon after field name k.
func (s *scanner) colon(k string) error {
	c, ok := s.peek()
	if !ok {
		return s.errorf(s.line, s.col, "the file ends after the field name %s", strconv.Quote(k))
	}
	if c != ':' {
		return s.errorf(s.line, s.col, "expected : after the field name %s, found %s", strconv.Quote(k), printable(c))
	}
	s.advance()
	return nil
}

func closer(open byte) byte {
	if open == '[' {
		return ']'
	}
	return '}'
}

func containerName(open byte) string {
	if open == '[' {
		return "list"
	}
	return "object"
}

// isNumber reports whether w is a JSON number.
func isNumber(w []byte) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(w) && '0' <= w[i] && w[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(w) && w[i] == '-' {
		i++
	}
	switch {
	case i < len(w) && w[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(w) && w[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(w) && (w[i] == 'e' || w[i] == 'E') {
		i++
		if i < len(w) && (w[i] == '+' || w[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(w)
}

// printable shows byte c in a message.
func printable(c byte) string {
	switch {
	case c >= 0x20 && c < 0x7F:
		return strconv.QuoteRune(rune(c))
	case c >= 0x80:
		return "a non-ASCII character"
	}
	return fmt.Sprintf("the control character U+%04X", c)
}

// quoteText quotes a short, possibly cut, piece of text for a message.
func quoteText(t text) string {
	s := string(t.b)
	if !utf8.ValidString(s) {
		s = string([]rune(s)) // invalid bytes become U+FFFD
	}
	q := strconv.Quote(truncate(s, 20))
	if t.truncated() && utf8.RuneCountInString(s) <= 20 {
		q = q[:len(q)-1] + "…\""
	}
	return q
}

func quoteBytes(w []byte) string {
	return strconv.Quote(truncate(string(w), 20))
}
