package sticker

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	Index int // from 0, as in the JSON array
	FieldError
}

// Error names the row (from 0) and the field.
func (e RowError) Error() string { return fmt.Sprintf("row %d: %s", e.Index, e.FieldError) }

// FileErrors lists every problem found in an import file.
type FileErrors []RowError

// Error lists every problem, one a line.
func (e FileErrors) Error() string {
	lines := make([]string, len(e))
	for i, re := range e {
		lines[i] = re.Error()
	}
	return strings.Join(lines, "\n")
}

// ReadFile decodes a JSON array of FileRow and checks every row, returning
// the drafts only if all rows are valid; otherwise the error is FileErrors
// naming each bad row by index and field, or a decoding error.
func ReadFile(r io.Reader, addedBy string) ([]Draft, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var rows []FileRow
	if err := dec.Decode(&rows); err != nil {
		return nil, fmt.Errorf("read sticker file: want a JSON array of {\"name\", \"tags\", \"image_url\"}: %w", err)
	}
	if dec.More() {
		return nil, errors.New("read sticker file: unexpected data after the JSON array")
	}
	if len(rows) > MaxImportRow {
		return nil, fmt.Errorf("read sticker file: %d rows; at most %d", len(rows), MaxImportRow)
	}
	var errs FileErrors
	drafts := make([]Draft, 0, len(rows))
	first := make(map[string]int, len(rows))
	for i, row := range rows {
		d := Draft{Name: row.Name, Tags: row.Tags, ImageURL: row.ImageURL, SlackFileID: row.SlackFileID, AddedBy: addedBy}
		if len(row.ImageData) > 0 || row.ImageContentType != "" {
			d.Image = &Image{ContentType: row.ImageContentType, Data: row.ImageData}
		}
		d = d.Normalize()
		missing := row.ImageURL == "" && d.Image == nil && d.SlackFileID == ""
		if missing {
			errs = append(errs, RowError{i, FieldError{"image_url", "is missing: give an https image URL"}})
		}
		for _, fe := range d.Validate() {
			if fe.Field == "image_url" && missing {
				continue
			}
			errs = append(errs, RowError{i, fe})
		}
		if k := fold.Term(d.Name); k != "" {
			if j, dup := first[k]; dup {
				errs = append(errs, RowError{i, FieldError{"name", fmt.Sprintf("%q repeats the name of row %d", d.Name, j)}})
			} else {
				first[k] = i
			}
		}
		drafts = append(drafts, d)
	}
	if errs != nil {
		return nil, errs
	}
	return drafts, nil
}

// WriteFile writes stickers as an indented JSON array that ReadFile reads.
func WriteFile(w io.Writer, rows []FileRow) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if rows == nil {
		rows = []FileRow{}
	}
	if err := enc.Encode(rows); err != nil {
		return fmt.Errorf("write sticker file: %w", err)
	}
	return nil
}
