package sticker

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/stickerbot/stickerbot/internal/fold"
)

// FileRow is one sticker in an import or export file. A row has an
// ImageURL, or the image itself (ImageData, base64 in JSON, with its
// ImageContentType), optionally with SlackFileID, the copy of that image
// the bot uploaded to Slack.
type FileRow struct {
	Name             string   `json:"name"`
	Tags             []string `json:"tags"`
	ImageURL         string   `json:"image_url"`
	ImageContentType string   `json:"image_content_type,omitempty"`
	ImageData        []byte   `json:"image_data,omitempty"`
	SlackFileID      string   `json:"slack_file_id,omitempty"`
}

// RowError is one problem in an import file.
type RowError struct {
	Row  int // from 1: row 1 is the first sticker in the file
	Line int // where the row starts, from 1; 0 if unknown
	// FieldError names the field; Field is "" when the row as a whole is
	// wrong (it is not an object).
	FieldError
}

// Error names the row, its line when known, and the field:
// `row 3 (line 14): image_url: must be an https:// URL`.
func (e RowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "row %d", e.Row)
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// MaxListed is how many problems FileErrors lists; it counts the rest.
const MaxListed = 50

// FileErrors is what is wrong with an import file: the first MaxListed
// problems of its rows, in row order, how many there are in all, and,
// when the file stops being JSON that can be read on, where (Syntax).
type FileErrors struct {
	Rows   []RowError
	Total  int
	Syntax *SyntaxError
}

// Add records problems, keeping the first MaxListed in row order.
func (e *FileErrors) Add(errs ...RowError) {
	e.Total += len(errs)
	for _, re := range errs {
		if len(e.Rows) == MaxListed && re.Row >= e.Rows[MaxListed-1].Row {
			continue
		}
		i, _ := slices.BinarySearchFunc(e.Rows, re.Row, func(x RowError, row int) int {
			if x.Row <= row {
				return -1 // after every problem of the same row already there
			}
			return 1
		})
		e.Rows = slices.Insert(e.Rows, i, re)
		if len(e.Rows) > MaxListed {
			e.Rows = e.Rows[:MaxListed]
		}
	}
}

// Count is how many problems there are, the syntax error included.
func (e *FileErrors) Count() int {
	if e.Syntax != nil {
		return e.Total + 1
	}
	return e.Total
}

// Error lists the problems one a line, then "and K more" for those not
// listed, then the syntax error, if any, where reading stopped.
func (e *FileErrors) Error() string {
	lines := make([]string, 0, len(e.Rows)+2)
	for _, re := range e.Rows {
		lines = append(lines, re.Error())
	}
	if more := e.Total - len(e.Rows); more > 0 {
		lines = append(lines, fmt.Sprintf("and %d more", more))
	}
	if e.Syntax != nil {
		lines = append(lines, e.Syntax.Error()+" (reading stopped here)")
	}
	return strings.Join(lines, "\n")
}

// ReadFile reads a whole import file (see FileReader) and returns its rows'
// drafts if every row is good, or the *FileErrors naming each bad row by
// row and field. It holds every draft in memory: FileReader streams.
func ReadFile(r io.Reader, addedBy string) ([]Draft, error) {
	fr := NewFileReader(r, addedBy)
	defer fr.Close()
	var drafts []Draft
	for fr.Next() {
		if !fr.Row().Bad {
			drafts = append(drafts, fr.Row().Draft)
		}
	}
	if err := fr.Err(); err != nil {
		return nil, fmt.Errorf("read sticker file: %w", err)
	}
	return drafts, nil
}

// DraftReader gives drafts already in memory the way FileReader gives a
// file's rows: numbered from 1, normalised and checked, the bad ones
// listed by Err (and given as Row.Bad when their name is good). The
// drafts given are not changed.
type DraftReader struct {
	drafts []Draft
	i      int
	row    Row
	errs   FileErrors
}

// NewDraftReader reads drafts.
func NewDraftReader(drafts []Draft) *DraftReader { return &DraftReader{drafts: drafts} }

// Next moves to the next good draft; false after the last.
func (dr *DraftReader) Next() bool {
	for dr.i < len(dr.drafts) {
		dr.i++
		d := dr.drafts[dr.i-1].Normalize()
		dr.row = Row{N: dr.i, Draft: d, NameKey: fold.Term(d.Name)}
		if errs := d.Validate(); errs != nil {
			problems := make([]RowError, len(errs))
			for i, fe := range errs {
				problems[i] = RowError{Row: dr.i, FieldError: fe}
			}
			dr.errs.Add(problems...)
			var named bool
			if dr.row, named = badRow(dr.row, problems); !named {
				continue
			}
		}
		return true
	}
	return false
}

// Row is the current draft.
func (dr *DraftReader) Row() Row { return dr.row }

// Err, once Next has returned false, is nil if every draft was good, or
// the *FileErrors listing the bad ones.
func (dr *DraftReader) Err() error {
	if dr.errs.Total == 0 {
		return nil
	}
	return &dr.errs
}

// FileWriter writes an import file one row at a time, as an indented JSON
// array that FileReader reads: memory does not grow with the rows written.
type FileWriter struct {
	w   *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
	n   int
	err error
}

// NewFileWriter writes to w; Close finishes the file.
func NewFileWriter(w io.Writer) *FileWriter {
	fw := &FileWriter{w: bufio.NewWriterSize(w, 64<<10)}
	fw.enc = json.NewEncoder(&fw.buf)
	fw.enc.SetIndent("  ", "  ")
	fw.enc.SetEscapeHTML(false)
	return fw
}

// Write adds row to the file.
func (fw *FileWriter) Write(row FileRow) error {
	if fw.err != nil {
		return fw.err
	}
	if row.Tags == nil {
		row.Tags = []string{}
	}
	fw.buf.Reset()
	if fw.n == 0 {
		fw.buf.WriteString("[\n  ")
	} else {
		fw.buf.WriteString(",\n  ")
	}
	if err := fw.enc.Encode(row); err != nil {
		fw.err = fmt.Errorf("write sticker file: %w", err)
		return fw.err
	}
	fw.buf.Truncate(fw.buf.Len() - 1) // Encode's newline
	if _, err := fw.w.Write(fw.buf.Bytes()); err != nil {
		fw.err = fmt.Errorf("write sticker file: %w", err)
		return fw.err
	}
	fw.n++
	return nil
}

// Rows is how many rows have been written.
func (fw *FileWriter) Rows() int { return fw.n }

// Close ends the array and flushes; it does not close the io.Writer.
func (fw *FileWriter) Close() error {
	if fw.err != nil {
		return fw.err
	}
	end := "\n]\n"
	if fw.n == 0 {
		end = "[]\n"
	}
	if _, err := fw.w.WriteString(end); err != nil {
		fw.err = fmt.Errorf("write sticker file: %w", err)
		return fw.err
	}
	if err := fw.w.Flush(); err != nil {
		fw.err = fmt.Errorf("write sticker file: %w", err)
		return fw.err
	}
	fw.err = fmt.Errorf("write sticker file: closed")
	return nil
}

// WriteFile writes rows as an import file (see FileWriter).
func WriteFile(w io.Writer, rows []FileRow) error {
	fw := NewFileWriter(w)
	for _, row := range rows {
		if err := fw.Write(row); err != nil {
			return err
		}
	}
	return fw.Close()
}
