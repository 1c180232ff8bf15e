package sticker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// readAll reads an import file and returns the good rows and Err.
func readAll(t *testing.T, in string) ([]Row, error) {
	t.Helper()
	fr := NewFileReader(strings.NewReader(in), "import")
	var rows []Row
	for fr.Next() {
		if !fr.Row().Bad {
			rows = append(rows, fr.Row())
		}
	}
	return rows, fr.Err()
}

const good = `{"name": "ok", "tags": ["a"], "image_url": "https://x.example/ok.png"}`

// TestFileReaderRowProblems: every kind of bad row is named by its row
// (from 1, as a person counts), its line and its field, in words rather
// than Go types, and the good rows around it still read.
func TestFileReaderRowProblems(t *testing.T) {
	cases := []struct {
		name, row string
		want      []string // every line of the error, after "row 2 (line 3): "
	}{
		{"text where a list belongs", `{"name": "a", "tags": "x", "image_url": "https://x.example/a.png"}`,
			[]string{`tags: is text ("x"), not a list: write ["x"]`}},
		{"number where a list belongs", `{"name": "a", "tags": 7, "image_url": "https://x.example/a.png"}`,
			[]string{`tags: is a number (7), not a list of tags: write ["7"]`}},
		{"object where a list belongs", `{"name": "a", "tags": {"a": 1}, "image_url": "https://x.example/a.png"}`,
			[]string{`tags: is an object {…}, not a list of tags: write ["tag", "another tag"]`}},
		{"items of the wrong type", `{"name": "a", "tags": ["ok", 5, null, ["x"], true], "image_url": "https://x.example/a.png"}`,
			[]string{`tags: item 2 is a number (5), item 3 is null, item 4 is a list […], not text: each tag is text in double quotes, ["tag", "another tag"]`}},
		{"number where text belongs", `{"name": 42, "tags": [], "image_url": "https://x.example/a.png"}`,
			[]string{`name: is a number (42), not text: write it in double quotes, "42"`}},
		{"list where text belongs", `{"name": "a", "tags": [], "image_url": ["https://x.example/a.png"]}`,
			[]string{`image_url: is a list […], not text: give an https image URL, in double quotes, or leave the field out`}},
		{"true where text belongs", `{"name": true, "tags": [], "image_url": "https://x.example/a.png"}`,
			[]string{`name: is true, not text: give the sticker's name, in double quotes`}},
		{"null name", `{"name": null, "tags": [], "image_url": "https://x.example/a.png"}`,
			[]string{`name: is null: give the sticker's name, in double quotes`}},
		{"missing name", `{"tags": [], "image_url": "https://x.example/a.png"}`,
			[]string{`name: is missing: give the sticker's name`}},
		{"missing image", `{"name": "a", "tags": []}`,
			[]string{`image_url: is missing: give an https image URL`}},
		{"null image URL, no image", `{"name": "a", "tags": [], "image_url": null}`,
			[]string{`image_url: is missing: give an https image URL`}},
		{"unknown field nam", `{"nam": "a", "tags": [], "image_url": "https://x.example/a.png"}`,
			[]string{`name: is missing: give the sticker's name`, `nam: is not a field of a sticker; did you mean "name"?`}},
		{"unknown field Name", `{"Name": "a", "name": "a", "tags": [], "image_url": "https://x.example/a.png"}`,
			[]string{`Name: is not a field of a sticker; did you mean "name"?`}},
		{"unknown field url", `{"name": "a", "tags": [], "url": "https://x.example/a.png"}`,
			[]string{`url: is not a field of a sticker; did you mean "image_url"?`, `image_url: is missing: give an https image URL`}},
		{"unknown field far from any", `{"name": "a", "tags": [], "image_url": "https://x.example/a.png", "colour": {"deep": [1, 2]}}`,
			[]string{`colour: is not a field of a sticker (its fields: name, tags, image_url, image_content_type, image_data, slack_file_id)`}},
		{"field twice", `{"name": "a", "name": "b", "tags": [], "image_url": "https://x.example/a.png"}`,
			[]string{`name: appears twice in the row: keep one`}},
		{"row that is text", `"cat"`,
			[]string{`is text ("cat"), not a sticker: write {"name": …, "tags": […], "image_url": …}`}},
		{"row that is a list", `["cat", ["kitty"], "https://x.example/a.png"]`,
			[]string{`is a list […], not a sticker: write {"name": …, "tags": […], "image_url": …}`}},
		{"rule: not https", `{"name": "a", "tags": [], "image_url": "http://x.example/a.png"}`,
			[]string{`image_url: must be an https:// URL`}},
		{"rule: long name", `{"name": "` + strings.Repeat("n", 81) + `", "tags": [], "image_url": "https://x.example/a.png"}`,
			[]string{`name: is 81 characters; at most 80`}},
		{"rule: too many tags", `{"name": "a", "tags": [` + strings.TrimSuffix(strings.Repeat(`"t", "u", "v", "w", "x", "y", "z", `, 3)+`"1", "2", "3", "4", `, ", ") + `], "image_url": "https://x.example/a.png"}`,
			nil}, // 7 distinct tags, repeats dropped: fine
		{"rule: 21 tags", `{"name": "a", "tags": [` + numbered(21) + `], "image_url": "https://x.example/a.png"}`,
			[]string{`tags: has 21 tags; at most 20`}},
		{"a huge list of tags", `{"name": "a", "tags": [` + numbered(5000) + `], "image_url": "https://x.example/a.png"}`,
			[]string{`tags: has 5000 tags; at most 20`}},
		{"NUL in a name", `{"name": "a\u0000b", "tags": [], "image_url": "https://x.example/a.png"}`,
			[]string{`name: holds a NUL character (\u0000), which a sticker cannot hold`}},
		{"not UTF-8", "{\"name\": \"a\xff\", \"tags\": [], \"image_url\": \"https://x.example/a.png\"}",
			[]string{`name: holds bytes that are not UTF-8 text: save the file as UTF-8`}},
		{"image_data not base64", `{"name": "a", "tags": [], "image_content_type": "image/png", "image_data": "***"}`,
			[]string{`image_data: is not base64 (the image's bytes, as export writes them): character 1 is not base64`}},
		{"image_data a number", `{"name": "a", "tags": [], "image_data": 12}`,
			[]string{`image_data: is a number (12), not text: write it in double quotes, "12"`}},
		{"image_data too large", `{"name": "a", "tags": [], "image_data": "` + strings.Repeat("A", 3<<20) + `"}`,
			[]string{`image_data: is 2.2 MB; at most 2.0 MB`}},
		{"image without a label", `{"name": "a", "tags": [], "image_data": "R0lGODlhAQABAA=="}`, nil},
		{"image mislabelled", `{"name": "a", "tags": [], "image_content_type": "image/png", "image_data": "R0lGODlhAQABAA=="}`,
			[]string{`image: is image/gif, not image/png as labelled`}},
		{"many problems in one row", `{"nam": 1, "tags": "x", "image_url": 5, "slack_file_id": false}`,
			[]string{
				`name: is missing: give the sticker's name`,
				`nam: is not a field of a sticker; did you mean "name"?`,
				`tags: is text ("x"), not a list: write ["x"]`,
				`image_url: is a number (5), not text: write it in double quotes, "5"`,
				`slack_file_id: is false, not text: give the Slack file ID (F…), or leave the field out`,
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := "[\n  " + good + ",\n  " + c.row + ",\n  " + good + "\n]\n"
			rows, err := readAll(t, in)
			if c.want == nil {
				if err != nil || len(rows) != 3 {
					t.Fatalf("%d rows, %v", len(rows), err)
				}
				return
			}
			var fe *FileErrors
			if !errors.As(err, &fe) {
				t.Fatalf("want *FileErrors, got %v", err)
			}
			var got []string
			for _, re := range fe.Rows {
				got = append(got, re.Error())
			}
			var want []string
			for _, w := range c.want {
				want = append(want, "row 2 (line 3): "+w)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			if fe.Total != len(want) || fe.Syntax != nil {
				t.Errorf("total %d, syntax %v", fe.Total, fe.Syntax)
			}
			if len(rows) != 2 || rows[0].N != 1 || rows[1].N != 3 || rows[1].Line != 4 {
				t.Errorf("good rows around it: %+v", rows)
			}
			for _, goType := range []string{"[]string", "Go struct", "unmarshal", "json:", "string into", "float64", "interface"} {
				if strings.Contains(fe.Error(), goType) {
					t.Errorf("message speaks Go (%q): %s", goType, fe.Error())
				}
			}
		})
	}
}

func numbered(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `"t%d"`, i)
	}
	return b.String()
}

// TestFileReaderSyntax: JSON that cannot be read on is named by line and
// column, in words, with the row problems found before it.
func TestFileReaderSyntax(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", "", `line 1, column 1: the file is empty: an import file is a list of stickers, [{"name": …, "tags": […], "image_url": …}, …]`},
		{"only space", "  \n ", `line 1, column 1: the file is empty`},
		{"an object", "\n  {\"name\": \"a\"}", `line 2, column 3: the file is one object {…}, not a list of stickers: put the stickers in a list, [{…}, {…}]`},
		{"text", `"stickers"`, `line 1, column 1: the file should start with [, a list of stickers; found '"'`},
		{"missing comma", "[\n" + good + "\n" + good + "\n]", `line 3, column 1: expected , or ] after row 1, found '{'`},
		{"trailing comma in the list", "[\n" + good + ",\n]", `line 3, column 1: a comma before ]: remove the comma after the last row`},
		{"trailing comma in a row", "[\n{\"name\": \"a\",}\n]", `line 2, column 14: a comma before }: remove the comma after the last field of row 1`},
		{"trailing comma in tags", "[\n{\"name\": \"a\", \"tags\": [\"x\",]}\n]", `line 2, column 28: a comma before ]: remove the comma after the last tag`},
		{"unclosed list", "[\n" + good + ",\n" + good + "\n", `line 4, column 1: the file ends after row 2, before the list of stickers is closed with ]`},
		{"unclosed row", "[\n{\"name\": \"a\",\n \"tags\": []\n", `line 2, column 1: the file ends inside row 1, which starts on this line`},
		{"unclosed text", "[\n{\"name\": \"a}\n]", `line 2, column 10: the text that starts here runs to the end of the line: close it with " (write a line break inside text as \n)`},
		{"text to the end", "[{\"name\": \"abc", `line 1, column 11: the file ends inside the text that starts here: close it with "`},
		{"single quotes", "[\n{'name': 'a'}]", `line 2, column 2: expected a field name in double quotes in row 1, found '\''`},
		{"single-quoted value", "[\n{\"name\": 'a'}]", `line 2, column 10: text must be in double quotes ("), not single (')`},
		{"bare word", "[{\"name\": cat}]", `line 1, column 11: cat is not a value: put text in double quotes, "cat"`},
		{"Python None", "[{\"name\": None}]", `line 1, column 11: None is not JSON: write true, false or null, in lower case`},
		{"bad number", "[{\"name\": 01}]", `line 1, column 11: "01" is not a number`},
		{"missing colon", "[{\"name\" \"a\"}]", `line 1, column 10: expected : after the field name "name", found '"'`},
		{"missing comma between fields", "[{\"name\": \"a\" \"tags\": []}]", `line 1, column 15: expected , or } after the value of "name" in row 1, found '"'`},
		{"bad escape", `[{"name": "a\qb"}]`, `line 1, column 13: \q is not an escape JSON knows: write a backslash as \\`},
		{"short \\u", `[{"name": "a\u12"}]`, `line 1, column 13: \u must be followed by four hexadecimal digits`},
		{"tab in text", "[{\"name\": \"a\tb\"}]", `line 1, column 13: a control character (U+0009) inside text: write it as \u0009`},
		{"more after the list", "[" + good + "]\n[]", `line 2, column 1: more after the ] that closes the list of stickers (found '['): an import file is one list`},
		{"columns count characters", "[{\"name\": \"고양이\" \"tags\": []}]", `line 1, column 17: expected , or } after the value of "name" in row 1`},
		{"unclosed value in an unknown field", "[{\"name\": \"a\", \"x\": [1, {\"b\": 2}\n", `line 1, column 21: the file ends before the list that starts here is closed with ]`},
		{"broken value in an unknown field", "[{\"name\": \"a\", \"x\": [1, {\"b\" 2}]}]", `line 1, column 30: expected : after the field name "b", found '2'`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, err := readAll(t, c.in)
			var fe *FileErrors
			if !errors.As(err, &fe) || fe.Syntax == nil {
				t.Fatalf("want a syntax error, got %v (rows %+v)", err, rows)
			}
			if got := fe.Syntax.Error(); !strings.HasPrefix(got, c.want) {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestFileReaderSyntaxAfterBadRows(t *testing.T) {
	in := "[\n{\"name\": 1, \"image_url\": \"https://x.example/a.png\"},\n" + good + "\n" + good + "]"
	_, err := readAll(t, in)
	want := "row 1 (line 2): name: is a number (1), not text: write it in double quotes, \"1\"\n" +
		"line 4, column 1: expected , or ] after row 2, found '{' (reading stopped here)"
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
}

// TestFileReaderListsFiftyProblems: every bad row counts, the first 50
// problems are listed and the rest counted.
func TestFileReaderListsFiftyProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString("[\n")
	for i := range 120 {
		if i > 0 {
			b.WriteString(",\n")
		}
		if i%2 == 0 {
			fmt.Fprintf(&b, `{"name": "s%d", "tags": "x%d", "image_url": "https://x.example/a.png"}`, i, i)
		} else {
			fmt.Fprintf(&b, `{"name": "s%d", "tags": [], "image_url": "https://x.example/a.png"}`, i)
		}
	}
	b.WriteString("\n]\n")
	rows, err := readAll(t, b.String())
	var fe *FileErrors
	if !errors.As(err, &fe) || fe.Total != 60 || len(fe.Rows) != MaxListed || len(rows) != 60 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	lines := strings.Split(fe.Error(), "\n")
	if len(lines) != 51 || lines[0] != `row 1 (line 2): tags: is text ("x0"), not a list: write ["x0"]` ||
		lines[49] != `row 99 (line 100): tags: is text ("x98"), not a list: write ["x98"]` || lines[50] != "and 10 more" {
		t.Fatalf("listed:\n%s", fe.Error())
	}
}

func TestFileErrorsAddKeepsRowOrder(t *testing.T) {
	var fe FileErrors
	for i := range 60 {
		fe.Add(RowError{Row: 2*i + 2, FieldError: FieldError{"tags", "x"}})
	}
	// Problems found later (repeated names) about earlier rows.
	fe.Add(RowError{Row: 1, FieldError: FieldError{"name", "a"}}, RowError{Row: 2, FieldError: FieldError{"name", "b"}}, RowError{Row: 500, FieldError: FieldError{"name", "c"}})
	if fe.Total != 63 || len(fe.Rows) != MaxListed {
		t.Fatalf("total %d, listed %d", fe.Total, len(fe.Rows))
	}
	if fe.Rows[0].Row != 1 || fe.Rows[1].Row != 2 || fe.Rows[1].Field != "tags" || fe.Rows[2].Field != "name" || fe.Rows[49].Row != 96 {
		t.Fatalf("order: %+v", fe.Rows[:4])
	}
}

// TestFileReaderStreams: a file arriving a byte at a time (a pipe) reads
// the same, BOM and all, and the reader keeps only a row at a time.
func TestFileReaderStreams(t *testing.T) {
	in := "\xEF\xBB\xBF[\r\n  " + good + ",\r\n  {\"name\": \"b \\u00e9\\ud83d\\ude00\", \"tags\": [\"x\"], \"image_url\": \"https://x.example/b.png\"}\r\n]\r\n"
	fr := NewFileReader(iotest.OneByteReader(strings.NewReader(in)), "import")
	var names []string
	for fr.Next() {
		names = append(names, fr.Row().Draft.Name)
	}
	if err := fr.Err(); err != nil || !slices.Equal(names, []string{"ok", "b é😀"}) {
		t.Fatalf("%q, %v", names, err)
	}
	if r, b := fr.Counts(); r != 2 || b != 0 {
		t.Fatalf("counts %d %d", r, b)
	}
}

func TestFileReaderReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	fr := NewFileReader(io.MultiReader(strings.NewReader("[\n"+good+",\n"), iotest.ErrReader(boom)), "import")
	for fr.Next() {
	}
	if err := fr.Err(); !errors.Is(err, boom) || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("%v", err)
	}
}

// TestFileWriterRoundTrip: what FileWriter writes, FileReader reads back.
func TestFileWriterRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFile(&buf, nil); err != nil || buf.String() != "[]\n" {
		t.Fatalf("empty: %q %v", buf.String(), err)
	}
	rows := []FileRow{
		{Name: "a <b> & c", Tags: nil, ImageURL: "https://x.example/a.png?x=1&y=2"},
		{Name: "고양이", Tags: []string{"ねこ", "猫"}, ImageContentType: "image/gif", ImageData: gifHead, SlackFileID: "F0123456789"},
	}
	buf.Reset()
	if err := WriteFile(&buf, rows); err != nil {
		t.Fatal(err)
	}
	// The indented form encoding/json gives the whole array.
	want, _ := json.MarshalIndent(append([]FileRow{{Name: rows[0].Name, Tags: []string{}, ImageURL: rows[0].ImageURL}}, rows[1]), "", "  ")
	want = bytes.ReplaceAll(bytes.ReplaceAll(bytes.ReplaceAll(want, []byte(`\u003c`), []byte("<")), []byte(`\u003e`), []byte(">")), []byte(`\u0026`), []byte("&"))
	if got := buf.String(); got != string(want)+"\n" {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	back, err := ReadFile(&buf, "import")
	if err != nil || len(back) != 2 || back[0].Name != rows[0].Name || back[1].Image == nil || !bytes.Equal(back[1].Image.Data, gifHead) {
		t.Fatalf("%+v %v", back, err)
	}
}

// TestDraftReaderLeavesDrafts: drafts in memory are read like a file's
// rows, without being changed.
func TestDraftReaderLeavesDrafts(t *testing.T) {
	drafts := []Draft{{Name: " a ", Tags: []string{" x ", "x"}, ImageURL: "https://x.example/a.png"}, {Name: ""}}
	dr := NewDraftReader(drafts)
	var got []Row
	for dr.Next() {
		if !dr.Row().Bad {
			got = append(got, dr.Row())
		}
	}
	var fe *FileErrors
	if len(got) != 1 || got[0].Draft.Name != "a" || !slices.Equal(got[0].Draft.Tags, []string{"x"}) ||
		!errors.As(dr.Err(), &fe) || fe.Rows[0].Error() != "row 2: name: is empty" {
		t.Fatalf("%+v %v", got, dr.Err())
	}
	if drafts[0].Name != " a " || len(drafts[0].Tags) != 2 {
		t.Fatalf("drafts changed: %+v", drafts)
	}
}

// TestFileReaderGivesBadRowsByName: a bad row whose name is good is given,
// marked Bad, with only its name, so that a later row repeating it is
// found; one whose name is bad is not.
func TestFileReaderGivesBadRowsByName(t *testing.T) {
	in := `[{"name": " Cat ", "tags": 5, "image_url": "https://x.example/a.png"}, {"name": 5}, {"name": "", "tags": []}, "x", ` + good + `]`
	fr := NewFileReader(strings.NewReader(in), "import")
	var got []Row
	for fr.Next() {
		got = append(got, fr.Row())
	}
	want := []Row{
		{N: 1, Line: 1, Bad: true, Draft: Draft{Name: "Cat", AddedBy: "import"}, NameKey: "cat"},
		{N: 5, Line: 1, Draft: Draft{Name: "ok", Tags: []string{"a"}, ImageURL: "https://x.example/ok.png", AddedBy: "import"}, NameKey: "ok"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if r, b := fr.Counts(); r != 5 || b != 4 {
		t.Fatalf("counts %d %d", r, b)
	}
}

// TestFileReaderClose: a reader given up on stops its goroutines.
func TestFileReaderClose(t *testing.T) {
	before := runtime.NumGoroutine()
	var b strings.Builder
	b.WriteString("[")
	for i := range 5000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(good)
	}
	b.WriteString("]")
	fr := NewFileReader(strings.NewReader(b.String()), "import")
	if !fr.Next() {
		t.Fatal(fr.Err())
	}
	fr.Close()
	if fr.Next() {
		t.Fatal("Next after Close")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines, %d before", n, before)
	}
}
