package sticker_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stickerbot/stickerbot/internal/blockkit"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// The URLs of issue 17, which import and the modal took as typed and
// Block Kit refuses, and what they become.
var issue17URLs = map[string]string{
	"https://例え.jp/ねこ.png":                      "https://xn--r8jz45g.jp/%E3%81%AD%E3%81%93.png",
	"https://example.com/스티커/고양이.png":           "https://example.com/%EC%8A%A4%ED%8B%B0%EC%BB%A4/%EA%B3%A0%EC%96%91%EC%9D%B4.png",
	"https://example.com/a|b.png?v={1}":         "https://example.com/a%7Cb.png?v=%7B1%7D",
	"  https://example.com/cat.png  ":           "https://example.com/cat.png",
	"HTTPS://Example.COM/Cat.PNG":               "https://example.com/Cat.PNG",
	"https://ｅｘａｍｐｌｅ.com/a.png":                 "https://example.com/a.png",
	"https://example.com/100%.png":              "https://example.com/100%25.png",
	"https://example.com/a%20b.png":             "https://example.com/a%20b.png",
	"https://example.com/a.png?q=ねこ#上":          "https://example.com/a.png?q=%E3%81%AD%E3%81%93#%E4%B8%8A",
	"https://example.com/a.png#x#y":             "https://example.com/a.png#x%23y",
	"https://example.com/a[1].png?x=[2]":        "https://example.com/a%5B1%5D.png?x=%5B2%5D",
	`https://example.com/a\b"c<d>e^f` + "`g":    "https://example.com/a%5Cb%22c%3Cd%3Ee%5Ef%60g",
	"https://example.com:8443/a.png":            "https://example.com:8443/a.png",
	"https://[2001:DB8::1]/a.png":               "https://[2001:db8::1]/a.png",
	"https://cdn_1.example.com/a.png":           "https://cdn_1.example.com/a.png",
	"https://example.com":                       "https://example.com",
	"https://example.com?x=1":                   "https://example.com?x=1",
	"https://bücher.example/ä.gif":              "https://xn--bcher-kva.example/%C3%A4.gif",
	"https://example.com/a.png?a=1&b=2;c=3/4?5": "https://example.com/a.png?a=1&b=2;c=3/4?5",
}

func TestNormalizeImageURL(t *testing.T) {
	for in, want := range issue17URLs {
		got, err := sticker.NormalizeImageURL(in)
		if err != nil || got != want {
			t.Errorf("NormalizeImageURL(%q) = %q, %v; want %q", in, got, err, want)
			continue
		}
		if !blockkit.ValidURI(got) {
			t.Errorf("NormalizeImageURL(%q) = %q, which Block Kit refuses", in, got)
		}
		if again, err := sticker.NormalizeImageURL(got); again != got || err != nil {
			t.Errorf("NormalizeImageURL(%q) = %q, %v: not idempotent", got, again, err)
		}
	}
}

func TestNormalizeImageURLRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://example.com/a.png", "must be an https:// URL"},
		{"ftp://example.com/a.png", "must be an https:// URL"},
		{"example.com/a.png", "must be an https:// URL"},
		{"", "must be an https:// URL"},
		{"https://", "no host name"},
		{"https:///a.png", "no host name"},
		{"https://exa|mple.com/a.png", `"exa|mple.com" as its host`},
		{"https://exa mple.com/a.png", "has a space"},
		{"https://example.com/a b.png", "has a space in it: remove it, or write it as %20"},
		{"https://example.com/a\u3000b.png", "has a space"},
		{"https://example.com/a\tb.png", "has a space"},
		{"https://example.com/a\x01b.png", "control character (U+0001)"},
		{"https://example.com/a\u200fb.png", ""}, // a format character, not a control: encoded
		{"https://user:pw@example.com/a.png", "user name or password"},
		{"https://example.com:0/a.png", "port"},
		{"https://example.com:99999/a.png", "port"},
		{"https://example.com:https/a.png", "port"},
		{"https://[::1/a.png", "closing ]"},
		{"https://[nope]/a.png", "not an IPv6 address"},
		{"https://a..b.com/a.png", "empty part"},
		{"https://xn--.com/a.png", ""}, // ASCII hosts are not checked by IDNA
		{"https://example.com/" + strings.Repeat("ね", 1000), "once its non-ASCII characters are encoded; at most 3000"},
		{"https://example.com/\xff.png", "not valid UTF-8"},
	} {
		got, err := sticker.NormalizeImageURL(tc.in)
		if tc.want == "" {
			if err != nil || !blockkit.ValidURI(got) {
				t.Errorf("NormalizeImageURL(%q) = %q, %v; want a valid URL", tc.in, got, err)
			}
			continue
		}
		var fe sticker.FieldError
		if !errors.As(err, &fe) || fe.Field != "image_url" || !strings.Contains(fe.Message, tc.want) {
			t.Errorf("NormalizeImageURL(%q) = %q, %v; want an image_url error containing %q", tc.in, got, err, tc.want)
		}
	}
}

// The rules of a draft and of an import file use the same function.
func TestDraftNormalizesImageURL(t *testing.T) {
	d := sticker.Draft{Name: "neko", ImageURL: " https://例え.jp/ねこ.png "}.Normalize()
	if d.ImageURL != "https://xn--r8jz45g.jp/%E3%81%AD%E3%81%93.png" || d.Validate() != nil {
		t.Errorf("draft: %q %v", d.ImageURL, d.Validate())
	}
	bad := sticker.Draft{Name: "bad", ImageURL: "https://exa|mple.com/a.png"}.Normalize()
	if errs := bad.Validate(); len(errs) != 1 || errs[0].Field != "image_url" {
		t.Errorf("bad draft: %v", errs)
	}
	rows := `[{"name":"a","tags":[],"image_url":"https://example.com/스티커.png"},
		{"name":"b","tags":[],"image_url":"https://example.com/a b.png"}]`
	_, err := sticker.ReadFile(strings.NewReader(rows), "import")
	if err == nil || !strings.HasSuffix(err.Error(), "row 2 (line 2): image_url: has a space in it: remove it, or write it as %20") {
		t.Errorf("ReadFile: %v", err)
	}
	drafts, err := sticker.ReadFile(strings.NewReader(rows[:strings.Index(rows, ",\n")]+"]"), "import")
	if err != nil || drafts[0].ImageURL != "https://example.com/%EC%8A%A4%ED%8B%B0%EC%BB%A4.png" {
		t.Errorf("ReadFile: %v %v", drafts, err)
	}
}

// FuzzNormalizeImageURL: whatever it returns Block Kit accepts, it is
// idempotent, it never panics, and it refuses only with a FieldError.
func FuzzNormalizeImageURL(f *testing.F) {
	for in := range issue17URLs {
		f.Add(in)
	}
	for _, s := range []string{"https://[::1]:8/", "https://a%zz.com/", "https://x.com/%", "https://x.com/%e3%81", "https://例え.jp:1/?#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := sticker.NormalizeImageURL(s)
		if err != nil {
			var fe sticker.FieldError
			if !errors.As(err, &fe) || fe.Field != "image_url" || fe.Message == "is not a valid URL" {
				t.Fatalf("NormalizeImageURL(%q): %v", s, err)
			}
			return
		}
		if !blockkit.ValidURI(got) || len(got) > sticker.MaxURLLen || !strings.HasPrefix(got, "https://") {
			t.Fatalf("NormalizeImageURL(%q) = %q: not a valid image URL", s, got)
		}
		if again, err := sticker.NormalizeImageURL(got); again != got || err != nil {
			t.Fatalf("NormalizeImageURL(%q) = %q, then %q, %v", s, got, again, err)
		}
	})
}
