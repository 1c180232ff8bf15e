package sticker

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/stickerbot/stickerbot/internal/fold"
)

// Row is one sticker of an import: where it is, for messages, and its
// draft, normalised and checked.
type Row struct {
	// N counts rows as a person reading the file does: row 1 is the
	// first sticker of the list.
	N int
	// Line is the line of the file where the row starts, from 1; 0 when
	// the row did not come from a file.
	Line  int
	Draft Draft
	// NameKey is the draft's name folded the way the library compares
	// names (fold.Term), computed with the row's checks.
	NameKey string
	// Bad marks a row with problems (Err lists them), given only so that
	// a later row repeating its name is found: of its draft, only the
	// name is set.
	Bad bool
}

// The fields of a row in an import file, in the order export writes them.
var fileFields = []string{"name", "tags", "image_url", "image_content_type", "image_data", "slack_file_id"}

// Bounds on what a row may hold, far above the rules, so that memory stays
// bounded whatever the file holds: text beyond them is measured, not kept.
const (
	maxTextBytes = 16 << 10
	maxTagsRead  = 1000
	// Base64 of MaxImageBytes, and a little room for white space.
	maxImageText = (MaxImageBytes+2)/3*4 + 1024
)

// FileReader reads an import file, a JSON array of rows as FileRow
// describes them, one row at a time: memory stays bounded whatever the
// file's size (a few hundred rows at a time, and a few MB of images). It
// checks every row as it goes (types, unknown fields, the rules of
// Draft.Validate) on as many goroutines as there are CPUs, in file order;
// Next returns the good rows and the bad ones are listed by Err. Repeated
// names are not its business: the importer finds them among all rows (see
// store.ImportFrom).
type FileReader struct {
	// Read by one goroutine (scan), rows checked by others (check).
	s       *scanner
	addedBy string
	state   int // 0 before the list, 1 in it, 2 after it
	n       int // rows scanned
	str     []byte
	quit    chan struct{}
	out     chan *rowBatch // in file order

	// The caller's side.
	started bool
	closed  bool
	cur     *rowBatch
	i       int
	row     Row
	errs    FileErrors
	stop    error // why reading stopped early
	read    atomic.Int64
	bad     atomic.Int64
}

// rowBatch is a run of rows scanned together and checked by one
// goroutine; done closes once they are.
type rowBatch struct {
	rows    []*rowReading
	checked []checkedRow
	stop    error // reading stopped after these rows
	done    chan struct{}
}

type checkedRow struct {
	row      Row
	problems []RowError
}

// A batch ends at batchRows rows or batchBytes of images, so what the
// reader holds stays bounded.
const (
	batchRows    = 256
	batchBytes   = 4 << 20
	batchesAhead = 4
)

// NewFileReader reads the import file r; the stickers it adds are credited
// to addedBy. Read it to its end, or Close it.
func NewFileReader(r io.Reader, addedBy string) *FileReader {
	return &FileReader{s: newScanner(r), addedBy: addedBy, quit: make(chan struct{}), out: make(chan *rowBatch, batchesAhead)}
}

// start runs the scanner, and the checkers it hands batches to.
func (fr *FileReader) start() {
	fr.started = true
	work := make(chan *rowBatch, batchesAhead)
	for range max(1, runtime.GOMAXPROCS(0)) {
		go func() {
			for b := range work {
				b.checked = make([]checkedRow, len(b.rows))
				for i, r := range b.rows {
					b.checked[i].row, b.checked[i].problems = r.finish()
					b.rows[i] = nil
				}
				close(b.done)
			}
		}()
	}
	go func() {
		defer close(fr.out)
		defer close(work)
		for {
			b := &rowBatch{done: make(chan struct{})}
			size := 0
			for len(b.rows) < batchRows && size < batchBytes {
				r, ok, err := fr.next()
				if err != nil {
					b.stop = err
				}
				if !ok || err != nil {
					break
				}
				b.rows = append(b.rows, r)
				size += len(r.image)
			}
			select {
			case work <- b:
			case <-fr.quit:
				return
			}
			select {
			case fr.out <- b:
			case <-fr.quit:
				return
			}
			if b.stop != nil || fr.state == 2 {
				return
			}
		}
	}()
}

// Next reads the next row and reports whether there is one. A row with
// problems has them recorded for Err; it is given (Row.Bad) only if its
// name is good, and skipped otherwise. Next returns false at the end of
// the list, or where the file stops being readable.
func (fr *FileReader) Next() bool {
	if !fr.started {
		fr.start()
	}
	for fr.stop == nil && !fr.closed {
		if fr.cur == nil || fr.i == len(fr.cur.checked) {
			if fr.cur != nil && fr.cur.stop != nil {
				fr.stop = fr.cur.stop
				return false
			}
			b, ok := <-fr.out
			if !ok {
				fr.closed = true
				return false
			}
			<-b.done
			fr.cur, fr.i = b, 0
			continue
		}
		c := fr.cur.checked[fr.i]
		fr.cur.checked[fr.i] = checkedRow{} // the caller holds it now
		fr.i++
		row := c.row
		fr.read.Add(1)
		if len(c.problems) > 0 {
			fr.bad.Add(1)
			fr.errs.Add(c.problems...)
			var named bool
			if row, named = badRow(row, c.problems); !named {
				continue
			}
		}
		fr.row = row
		return true
	}
	return false
}

// Close stops reading, for a caller that gives up before Next has
// returned false; after that, it does nothing.
func (fr *FileReader) Close() {
	if !fr.closed {
		fr.closed = true
		close(fr.quit)
	}
}

// badRow reduces a row with problems to its name, for finding repeats,
// and reports whether the name itself is good.
func badRow(row Row, problems []RowError) (Row, bool) {
	for _, p := range problems {
		if p.Field == "name" || p.Field == "" {
			return Row{}, false
		}
	}
	return Row{N: row.N, Line: row.Line, Draft: Draft{Name: row.Draft.Name, AddedBy: row.Draft.AddedBy}, NameKey: row.NameKey, Bad: true}, true
}

// Row is the row Next has read.
func (fr *FileReader) Row() Row { return fr.row }

// Counts returns how many rows have been read so far and how many of them
// were bad; safe to call while another goroutine reads.
func (fr *FileReader) Counts() (read, bad int64) { return fr.read.Load(), fr.bad.Load() }

// Err, once Next has returned false, is nil if the file was read to its
// end and every row was good. If not, it is a *FileErrors when the file is
// at fault (bad rows, or JSON that stops making sense: FileErrors.Syntax),
// or the reader's own error.
func (fr *FileReader) Err() error {
	var se *SyntaxError
	switch {
	case fr.stop == nil:
	case errors.As(fr.stop, &se):
		fr.errs.Syntax = se
	default:
		return fr.stop
	}
	if fr.errs.Total == 0 && fr.errs.Syntax == nil {
		return nil
	}
	return &fr.errs
}

// next scans one row, good or bad; ok is false after the list.
func (fr *FileReader) next() (*rowReading, bool, error) {
	s := fr.s
	switch fr.state {
	case 0:
		s.skipBOM()
		c, ok := s.peek()
		switch {
		case !ok && s.readErr() != nil:
			return nil, false, s.errorf(1, 1, "")
		case !ok:
			return nil, false, &SyntaxError{1, 1, `the file is empty: an import file is a list of stickers, [{"name": …, "tags": […], "image_url": …}, …]`}
		case c == '{':
			return nil, false, s.errorf(s.line, s.col, `the file is one object {…}, not a list of stickers: put the stickers in a list, [{…}, {…}]`)
		case c != '[':
			return nil, false, s.errorf(s.line, s.col, `the file should start with [, a list of stickers; found %s`, printable(c))
		}
		s.advance()
		fr.state = 1
		if c, ok := s.peek(); ok && c == ']' {
			s.advance()
			return nil, false, fr.end()
		}
	case 1:
		c, ok := s.peek()
		switch {
		case !ok:
			return nil, false, s.errorf(s.line, s.col, "the file ends after row %d, before the list of stickers is closed with ]", fr.n)
		case c == ']':
			s.advance()
			return nil, false, fr.end()
		case c != ',':
			return nil, false, s.errorf(s.line, s.col, "expected , or ] after row %d, found %s", fr.n, printable(c))
		}
		s.advance()
		if c, ok := s.peek(); ok && c == ']' {
			return nil, false, s.errorf(s.line, s.col, "a comma before ]: remove the comma after the last row")
		}
	default:
		return nil, false, nil
	}
	c, ok := s.peek()
	if !ok {
		return nil, false, s.errorf(s.line, s.col, "the file ends where row %d should be", fr.n+1)
	}
	fr.n++
	r, err := fr.readRow(c, Row{N: fr.n, Line: s.line})
	return r, err == nil, err
}

// end checks that nothing follows the list.
func (fr *FileReader) end() error {
	fr.state = 2
	if c, ok := fr.s.peek(); ok {
		return fr.s.errorf(fr.s.line, fr.s.col, "more after the ] that closes the list of stickers (found %s): an import file is one list", printable(c))
	}
	return fr.s.readErr()
}

// rowReading gathers one row's fields and problems.
type rowReading struct {
	Row
	whole    bool // not an object: its problems are all there is to say
	seen     [6]bool
	bad      map[string]bool // fields whose value had the wrong type
	problems []RowError
	image    []byte
	ctype    string
}

func (r *rowReading) problem(field, format string, args ...any) {
	r.problems = append(r.problems, RowError{Row: r.N, Line: r.Line, FieldError: FieldError{field, fmt.Sprintf(format, args...)}})
}

func (r *rowReading) wrongType(field, message string) {
	r.markBad(field)
	r.problem(field, "%s", message)
}

// markBad notes that field has been reported, so the rules do not report
// it again as, say, empty.
func (r *rowReading) markBad(field string) {
	if r.bad == nil {
		r.bad = map[string]bool{}
	}
	r.bad[field] = true
}

// readRow reads the row that starts with c, to be finished.
func (fr *FileReader) readRow(c byte, row Row) (*rowReading, error) {
	s := fr.s
	r := &rowReading{Row: row}
	if c != '{' {
		v, err := s.readOther(c)
		if err != nil {
			return nil, err
		}
		r.whole = true
		r.problems = append(r.problems, RowError{Row: r.N, Line: r.Line, FieldError: FieldError{"", fmt.Sprintf(
			`is %s, not a sticker: write {"name": …, "tags": […], "image_url": …}`, v.describe())}})
		return r, nil
	}
	s.advance()
	d := &r.Draft
	d.AddedBy = fr.addedBy
	for first := true; ; first = false {
		c, ok := s.peek()
		switch {
		case !ok:
			return nil, s.errorf(r.Line, 1, "the file ends inside row %d, which starts on this line", r.N)
		case c == '}' && first:
			s.advance()
		case c == '}':
			return nil, s.errorf(s.line, s.col, "a comma before }: remove the comma after the last field of row %d", r.N)
		case c != '"':
			return nil, s.errorf(s.line, s.col, "expected a field name in double quotes in row %d, found %s", r.N, printable(c))
		}
		if c == '}' {
			break
		}
		kt, err := s.readString(fr.str[:0], 64)
		if err != nil {
			return nil, err
		}
		fr.str = kt.b
		key := string(kt.b)
		if err := s.colon(key); err != nil {
			return nil, err
		}
		if err := fr.readField(r, key, kt.truncated()); err != nil {
			return nil, err
		}
		c, ok = s.peek()
		switch {
		case !ok:
			return nil, s.errorf(r.Line, 1, "the file ends inside row %d, which starts on this line", r.N)
		case c == ',':
			s.advance()
			continue
		case c == '}':
			s.advance()
		default:
			return nil, s.errorf(s.line, s.col, "expected , or } after the value of %s in row %d, found %s", strconv.Quote(truncate(key, 20)), r.N, printable(c))
		}
		break
	}
	return r, nil
}

// readField reads the value of field key into r.
func (fr *FileReader) readField(r *rowReading, key string, keyCut bool) error {
	s := fr.s
	if _, ok := s.peek(); !ok {
		return s.errorf(s.line, s.col, "the file ends where the value of %s in row %d should be", strconv.Quote(truncate(key, 20)), r.N)
	}
	i := fieldIndex(key)
	if i < 0 || keyCut {
		shown := truncate(key, 30)
		if !isPlain(shown) {
			shown = strconv.Quote(shown)
		}
		if hint := suggestField(key); hint != "" {
			r.problem(shown, "is not a field of a sticker; did you mean %q?", hint)
		} else {
			r.problem(shown, "is not a field of a sticker (its fields: %s)", strings.Join(fileFields, ", "))
		}
		return s.skipValue()
	}
	if r.seen[i] {
		r.problem(key, "appears twice in the row: keep one")
		return s.skipValue()
	}
	r.seen[i] = true
	d := &r.Draft
	var err error
	switch key {
	case "name":
		d.Name, err = fr.readText(r, key, maxTextBytes, `give the sticker's name, in double quotes`)
	case "tags":
		d.Tags, err = fr.readTags(r)
	case "image_url":
		d.ImageURL, err = fr.readText(r, key, maxTextBytes, "give an https image URL, in double quotes, or leave the field out")
	case "image_content_type":
		r.ctype, err = fr.readText(r, key, maxTextBytes, `give "image/png", "image/jpeg" or "image/gif", or leave the field out`)
	case "slack_file_id":
		d.SlackFileID, err = fr.readText(r, key, maxTextBytes, "give the Slack file ID (F…), or leave the field out")
	case "image_data":
		t, ok, err := fr.readValueText(r, key, maxImageText, "give the image's bytes in base64, or leave the field out")
		if err != nil || !ok {
			return err
		}
		if t.truncated() {
			r.wrongType(key, fmt.Sprintf("is %s; at most %s", sizeText(t.size/4*3), sizeText(MaxImageBytes)))
			return nil
		}
		img, derr := decodeBase64(t.b)
		if derr != nil {
			r.wrongType(key, "is not base64 (the image's bytes, as export writes them): "+derr.Error())
			return nil
		}
		r.image = img
	}
	return err
}

// readText reads a text field; a value of another type, or text that is
// not valid UTF-8 or holds NUL, is a problem of the row.
func (fr *FileReader) readText(r *rowReading, field string, limit int, fix string) (string, error) {
	t, ok, err := fr.readValueText(r, field, limit, fix)
	if err != nil || !ok {
		return "", err
	}
	return fr.checkText(r, field, t), nil
}

// readValueText reads a value that should be text, and reports whether it
// was; anything else is a problem of the row (the value is skipped),
// except null in an optional field, which stands for no value.
func (fr *FileReader) readValueText(r *rowReading, field string, limit int, fix string) (text, bool, error) {
	s := fr.s
	c, _ := s.peek()
	if c == '"' {
		t, err := s.readString(fr.str[:0], limit)
		fr.str = t.b
		return t, err == nil, err
	}
	v, err := s.readOther(c)
	if err != nil {
		return text{}, false, err
	}
	switch v.kind {
	case kindNull:
		// null is "no value": for an optional field, the same as leaving
		// it out (as encoding/json has it); the name is not optional.
		if field == "name" {
			r.wrongType(field, "is null: "+fix)
		}
	case kindNumber:
		r.wrongType(field, fmt.Sprintf("is %s, not text: write it in double quotes, \"%s\"", v.describe(), v.quote))
	default:
		r.wrongType(field, fmt.Sprintf("is %s, not text: %s", v.describe(), fix))
	}
	return text{}, false, nil
}

// checkText turns text read for field into a string, or records why it
// cannot be one.
func (fr *FileReader) checkText(r *rowReading, field string, t text) string {
	switch {
	case t.truncated():
		r.wrongType(field, fmt.Sprintf("is %s long; far too long for a %s", sizeText(t.size), strings.ReplaceAll(field, "_", " ")))
		return ""
	case !utf8.Valid(t.b):
		r.wrongType(field, "holds bytes that are not UTF-8 text: save the file as UTF-8")
		return ""
	case bytes.IndexByte(t.b, 0) >= 0:
		r.wrongType(field, `holds a NUL character (\u0000), which a sticker cannot hold`)
		return ""
	}
	return string(t.b)
}

// readTags reads the tags field: a list of text.
func (fr *FileReader) readTags(r *rowReading) ([]string, error) {
	s := fr.s
	c, _ := s.peek()
	if c != '[' {
		v, err := s.readOther(c)
		if err != nil {
			return nil, err
		}
		switch v.kind {
		case kindNull:
			return []string{}, nil // no tags, as encoding/json writes a nil list
		case kindText:
			r.wrongType("tags", fmt.Sprintf("is %s, not a list: write [%s]", v.describe(), v.quote))
		case kindNumber:
			r.wrongType("tags", fmt.Sprintf(`is %s, not a list of tags: write ["%s"]`, v.describe(), v.quote))
		default:
			r.wrongType("tags", fmt.Sprintf(`is %s, not a list of tags: write ["tag", "another tag"]`, v.describe()))
		}
		return nil, nil
	}
	line, col := s.line, s.col
	s.advance()
	var tags []string
	count := 0
	var badItems []string
	for first := true; ; first = false {
		c, ok := s.peek()
		switch {
		case !ok:
			return nil, s.errorf(line, col, "the file ends before the list of tags that starts here is closed with ]")
		case c == ']' && first:
			s.advance()
		}
		if c == ']' && first {
			break
		}
		count++
		if c == '"' {
			t, err := s.readString(fr.str[:0], maxTextBytes)
			if err != nil {
				return nil, err
			}
			fr.str = t.b
			if count <= maxTagsRead {
				if tag := fr.checkText(r, "tags", t); !r.bad["tags"] {
					tags = append(tags, tag)
				}
			}
		} else {
			v, err := s.readOther(c)
			if err != nil {
				return nil, err
			}
			if len(badItems) < 3 {
				badItems = append(badItems, fmt.Sprintf("item %d is %s", count, v.describe()))
			}
		}
		c, ok = s.peek()
		switch {
		case !ok:
			return nil, s.errorf(line, col, "the file ends before the list of tags that starts here is closed with ]")
		case c == ',':
			s.advance()
			if c, ok := s.peek(); ok && c == ']' {
				return nil, s.errorf(s.line, s.col, "a comma before ]: remove the comma after the last tag")
			}
			continue
		case c == ']':
			s.advance()
		default:
			return nil, s.errorf(s.line, s.col, "expected , or ] in the list of tags, found %s", printable(c))
		}
		break
	}
	if len(badItems) > 0 {
		r.wrongType("tags", strings.Join(badItems, ", ")+`, not text: each tag is text in double quotes, ["tag", "another tag"]`)
	}
	if count > maxTagsRead && !r.bad["tags"] {
		r.wrongType("tags", fmt.Sprintf("has %d tags; at most %d", count, MaxTags))
	}
	if tags == nil {
		tags = []string{}
	}
	return tags, nil
}

// finish applies the rules to a row read whole.
func (r *rowReading) finish() (Row, []RowError) {
	if r.whole {
		return r.Row, r.problems
	}
	d := &r.Draft
	if !r.seen[0] {
		r.wrongType("name", "is missing: give the sticker's name")
	}
	if r.image != nil || r.ctype != "" || r.bad["image_data"] || r.bad["image_content_type"] {
		switch ctype := r.ctype; {
		case r.bad["image_data"] || r.bad["image_content_type"]:
			d.Image = &Image{} // there is an image, wrong as reported
		case ctype == "" && len(r.image) > 0:
			// No label: the bytes say what they are.
			img, err := SniffImage(r.image)
			if err != nil {
				img = Image{Data: r.image}
			}
			d.Image = &img
		default:
			d.Image = &Image{ContentType: ctype, Data: r.image}
		}
	}
	*d = d.Normalize()
	r.NameKey = fold.Term(d.Name)
	for _, fe := range d.Validate() {
		if r.bad[fe.Field] || fe.Field == "image" && (r.bad["image_data"] || r.bad["image_content_type"]) ||
			fe.Field == "image_url" && (r.bad["image_url"] || r.bad["image_data"] || r.bad["image_content_type"] || r.bad["slack_file_id"]) {
			continue // reported as what it was
		}
		r.problems = append(r.problems, RowError{Row: r.N, Line: r.Line, FieldError: fe})
	}
	return r.Row, r.problems
}

// isPlain reports whether s can stand unquoted in a message.
func isPlain(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || r == ' ' || r == ':' {
			return false
		}
	}
	return true
}

func fieldIndex(key string) int {
	for i, f := range fileFields {
		if f == key {
			return i
		}
	}
	return -1
}

// suggestField returns the field a person probably meant by key, or "".
func suggestField(key string) string {
	k := strings.ToLower(strings.TrimSpace(strings.NewReplacer("-", "_", " ", "_").Replace(key)))
	switch k {
	case "url", "image", "img", "src", "link", "imageurl":
		return "image_url"
	case "tag", "keywords", "labels":
		return "tags"
	case "title":
		return "name"
	}
	best, bestD := "", 3
	for _, f := range fileFields {
		if f == k {
			return f
		}
		if d := editDistance(k, f); d < bestD && d <= max(1, len(f)/3) {
			best, bestD = f, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	if len(a) > 64 {
		return len(a)
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// decodeBase64 decodes standard base64 (what encoding/json writes for
// bytes), padded or not, ignoring line breaks.
func decodeBase64(b []byte) ([]byte, error) {
	if bytes.ContainsAny(b, "\r\n") {
		b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), nil), []byte("\n"), nil)
	}
	enc := base64.StdEncoding
	if len(b)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	out := make([]byte, enc.DecodedLen(len(b)))
	n, err := enc.Decode(out, b)
	if err != nil {
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			return nil, fmt.Errorf("character %d is not base64", int64(ce)+1)
		}
		return nil, err
	}
	return out[:n], nil
}
