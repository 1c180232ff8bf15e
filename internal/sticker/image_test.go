package sticker

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

var (
	pngHead = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	gifHead = []byte("GIF89a\x01\x00\x01\x00")
	jpgHead = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00")
)

func TestSniffImage(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want string // content type, or a piece of the error
	}{
		{"png", pngHead, "image/png"},
		{"gif", gifHead, "image/gif"},
		{"jpeg", jpgHead, "image/jpeg"},
		{"html named .png", []byte("<html><body>hi</body></html>"), "not a PNG"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), "not a PNG"},
		{"webp", []byte("RIFF\x00\x00\x00\x00WEBPVP8 "), "not a PNG"},
		{"empty", nil, "is empty"},
		{"too big", append(append([]byte{}, pngHead...), make([]byte, MaxImageBytes)...), "at most 2.0 MB"},
	}
	for _, c := range cases {
		img, err := SniffImage(c.data)
		var fe FieldError
		switch {
		case err == nil && img.ContentType != c.want:
			t.Errorf("%s: %q, want %q", c.name, img.ContentType, c.want)
		case err != nil && (!errors.As(err, &fe) || fe.Field != "image" || !strings.Contains(fe.Message, c.want)):
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if err := (Image{ContentType: "image/gif", Data: pngHead}).Check(); err == nil {
		t.Error("a PNG labelled GIF passed")
	}
}

func TestValidateImageSources(t *testing.T) {
	img := &Image{ContentType: "image/png", Data: pngHead}
	cases := []struct {
		name  string
		d     Draft
		field string // "" valid
	}{
		{"url", Draft{Name: "a", ImageURL: "https://x.example/a.png"}, ""},
		{"stored", Draft{Name: "a", Image: img}, ""},
		{"stored with its Slack copy", Draft{Name: "a", Image: img, SlackFileID: "F0123456789"}, ""},
		{"slack file", Draft{Name: "a", SlackFileID: "F0123456789"}, ""},
		{"nothing", Draft{Name: "a"}, "image_url"},
		{"url and stored", Draft{Name: "a", ImageURL: "https://x.example/a.png", Image: img}, "image"},
		{"bad stored", Draft{Name: "a", Image: &Image{ContentType: "image/png", Data: []byte("text")}}, "image"},
		{"bad file id", Draft{Name: "a", Image: img, SlackFileID: "nope"}, "image"},
	}
	for _, c := range cases {
		errs := c.d.Validate()
		switch {
		case c.field == "" && errs != nil:
			t.Errorf("%s: %v", c.name, errs)
		case c.field != "" && (len(errs) == 0 || errs[0].Field != c.field):
			t.Errorf("%s: %v, want a %s error", c.name, errs, c.field)
		}
	}
}

func TestFileRoundTripWithImages(t *testing.T) {
	rows := []FileRow{
		{Name: "url", Tags: []string{"a"}, ImageURL: "https://x.example/a.png"},
		{Name: "stored", Tags: []string{}, ImageContentType: "image/gif", ImageData: gifHead, SlackFileID: "F0123456789"},
	}
	var buf bytes.Buffer
	if err := WriteFile(&buf, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"image_data": "R0lGOD`) {
		t.Errorf("image bytes are not base64 in %s", buf.String())
	}
	drafts, err := ReadFile(bytes.NewReader(buf.Bytes()), "import")
	if err != nil {
		t.Fatal(err)
	}
	if d := drafts[1]; d.Image == nil || d.Image.ContentType != "image/gif" || !bytes.Equal(d.Image.Data, gifHead) || d.SlackFileID != "F0123456789" || d.ImageURL != "" {
		t.Errorf("stored row read as %+v", d)
	}
	if drafts[0].Image != nil {
		t.Errorf("url row read with an image")
	}
	bad, _ := json.Marshal([]FileRow{
		{Name: "mislabelled", ImageContentType: "image/png", ImageData: gifHead},
		{Name: "both", ImageURL: "https://x.example/a.png", ImageContentType: "image/gif", ImageData: gifHead},
		{Name: "none"},
	})
	_, err = ReadFile(bytes.NewReader(bad), "import")
	var fe *FileErrors
	if !errors.As(err, &fe) || len(fe.Rows) != 3 {
		t.Fatalf("bad rows: %v", err)
	}
	for i, want := range []string{"row 1 (line 1): image: is image/gif, not image/png", "row 2 (line 1): image: give either", "row 3 (line 1): image_url: is missing"} {
		if !strings.HasPrefix(fe.Rows[i].Error(), want) {
			t.Errorf("%q, want %q", fe.Rows[i].Error(), want)
		}
	}
}
