package sticker

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

// FuzzFileReader: whatever the input, the reader does not panic, fails
// only with *FileErrors, calls JSON broken exactly when encoding/json
// does, and reads what encoding/json reads from a file it accepts.
func FuzzFileReader(f *testing.F) {
	for _, s := range []string{
		"[]", "[" + good + "]", `[{"name":"a","tags":["x","y"],"image_url":"https://x.example/a.png"},{"name":"b"}]`,
		`[{"name": "a\u00e9\ud83d\ude00\ud800x", "tags": "x"}]`, `{"a": 1}`, `[1, "x", null, true, [], {}]`,
		`[{"name": "a", "x": [1, {"b": [2, {}]}], "image_data": "R0lGODlhAQABAA=="}]`, "\xEF\xBB\xBF[]", `[{"name": 01}]`,
		`[{"name": "a",}]`, `[{"name": "a\qb"}]`, "[\n{\"name\": \"a\n\"}]", `[{"name": -1.5e+3}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fr := NewFileReader(bytes.NewReader(in), "import")
		var rows []Row
		for fr.Next() {
			rows = append(rows, fr.Row())
		}
		err := fr.Err()
		var fe *FileErrors
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("not *FileErrors: %v", err)
		}
		if err != nil && err.Error() == "" {
			t.Fatal("an empty message")
		}
		body := bytes.TrimPrefix(in, []byte("\xEF\xBB\xBF"))
		if bytes.Count(body, []byte("["))+bytes.Count(body, []byte("{")) >= maxDepth {
			return // nested deeper than the reader's bound, maybe
		}
		syntax := fe != nil && fe.Syntax != nil
		trimmed := bytes.TrimLeft(body, " \t\r\n")
		valid := json.Valid(body)
		if want := !valid || len(trimmed) > 0 && trimmed[0] != '['; syntax != want {
			t.Fatalf("syntax error %v (%v), encoding/json valid %v", syntax, err, valid)
		}
		if err != nil {
			return
		}
		var want []FileRow
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("encoding/json cannot read a file the reader accepts: %v", err)
		}
		if len(want) != len(rows) {
			t.Fatalf("%d rows, encoding/json %d", len(rows), len(want))
		}
		for i, w := range want {
			d := rows[i].Draft
			wd := Draft{Name: w.Name, Tags: w.Tags, ImageURL: w.ImageURL, SlackFileID: w.SlackFileID}.Normalize()
			if d.Name != wd.Name || !slices.Equal(d.Tags, wd.Tags) || d.ImageURL != wd.ImageURL || d.SlackFileID != wd.SlackFileID ||
				(d.Image == nil) != (w.ImageData == nil) || d.Image != nil && !bytes.Equal(d.Image.Data, w.ImageData) {
				t.Fatalf("row %d: %+v, encoding/json %+v", i+1, d, w)
			}
		}
	})
}
