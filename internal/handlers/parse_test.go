package handlers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

func TestParseCommand(t *testing.T) {
	tests := []struct{ text, verb, arg string }{
		{"", "pick", ""}, // "/sticker" alone opens the picker
		{"   ", "pick", ""},
		{"help", "help", ""},
		{"search cat", "search", "cat"},
		{"SEARCH  thumbs up ", "search", "thumbs up"},
		{"search", "help", ""},
		{"cat", "search", "cat"},
		{"고양이 귀여운", "search", "고양이 귀여운"},
		{"serach cat", "unknown", "serach"},
		{"--help", "unknown", "--help"},
		{"add", "add", ""},
		{"edit party parrot", "edit", "party parrot"},
		{"delete cat", "delete", "cat"},
		{"list", "list", ""},
		{"lists", "search", "lists"}, // one word that is not a verb is a search
		{"&lt;!channel&gt;", "search", "<!channel>"},
	}
	for _, tt := range tests {
		c := parseCommand(tt.text)
		if c.Verb != tt.verb || c.Arg != tt.arg {
			t.Errorf("parseCommand(%q) = %+v, want %s %q", tt.text, c, tt.verb, tt.arg)
		}
	}
}

func TestButtonValue(t *testing.T) {
	b := buttonState{StickerID: 42, Pos: 3, Origin: originMention, ThreadTS: "1700000000.000100", Query: "a|b <!channel>"}
	got, err := decodeButton(b.encode())
	if err != nil || got != b {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	// Previews shown before the origin was kept still work; a thread
	// means a mention asked.
	for v, want := range map[string]buttonState{
		"1|42|3||cat":                   {StickerID: 42, Pos: 3, Origin: originUnknown, Query: "cat"},
		"1|42|3|1700000000.000100|cat":  {StickerID: 42, Pos: 3, Origin: originMention, ThreadTS: "1700000000.000100", Query: "cat"},
		"2|42|0|c||a|b":                 {StickerID: 42, Origin: originCommand, Query: "a|b"},
		"2|42|0|m|1700000000.000100|ねこ": {StickerID: 42, Origin: originMention, ThreadTS: "1700000000.000100", Query: "ねこ"},
	} {
		if got, err := decodeButton(v); err != nil || got != want {
			t.Errorf("decodeButton(%q) = %+v, %v; want %+v", v, got, err, want)
		}
	}
	long := buttonState{StickerID: 1 << 62, Pos: maxPos, ThreadTS: "1700000000.000100", Query: strings.Repeat("고", 100)}
	if n := utf8.RuneCountInString(long.encode()); n > 2000 {
		t.Fatalf("value is %d characters; Block Kit allows 2000", n)
	}
	for _, bad := range []string{"", "1", "2|1|0||cat", "1|0|0||cat", "1|-1|0||cat", "1|1|-1||cat", "1|1|99999||cat",
		"1|1|0|x||cat", "1|1|0||", "1|x|0||cat", "1|1|0||" + strings.Repeat("a", 101), "1|1|0||\xff",
		"2|1|0|||cat", "2|1|0|x||cat", "2|1|0|cm||cat", "2|1|0|c||", "2|1|0|c|x|cat", "3|1|0|c||cat"} {
		if _, err := decodeButton(bad); err == nil {
			t.Errorf("decodeButton(%q) accepted", bad)
		}
	}
}

func TestEscape(t *testing.T) {
	if got := escape("<!channel> & <https://x|y>"); got != "&lt;!channel&gt; &amp; &lt;https://x|y&gt;" {
		t.Errorf("escape = %q", got)
	}
	if got := unescape("&lt;!here&gt; &amp;amp;"); got != "<!here> &amp;" {
		t.Errorf("unescape = %q", got)
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"", "search cat", "serach cat", "--x", "고양이", "&lt;!channel&gt;", "edit \x00", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := parseCommand(s)
		switch c.Verb {
		case "help", "search", "add", "edit", "delete", "list", "unknown", "pick":
		default:
			t.Fatalf("verb %q", c.Verb)
		}
		if c.Verb == "search" && strings.TrimSpace(c.Arg) == "" {
			t.Fatalf("empty search from %q", s)
		}
	})
}

func FuzzDecodeButton(f *testing.F) {
	f.Add(buttonState{StickerID: 7, Pos: 1, Query: "cat"}.encode())
	f.Add(buttonState{StickerID: 7, Pos: 1, ThreadTS: "1.2", Query: "a|b|c"}.encode())
	for _, s := range []string{"", "1|||||", "1|9223372036854775807|10000||x", "\xff|1|1||x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := decodeButton(s)
		if err != nil {
			return
		}
		if b.StickerID <= 0 || b.Pos < 0 || b.Pos > maxPos || b.Query == "" {
			t.Fatalf("accepted %+v from %q", b, s)
		}
		again, err := decodeButton(b.encode())
		if err != nil || again != b {
			t.Fatalf("re-encode of %+v: %+v %v", b, again, err)
		}
	})
}

func TestErrorKind(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{slack.SlackErrorResponse{Err: "channel_not_found"}, "api"},
		{&slack.RateLimitedError{RetryAfter: time.Second}, "rate_limited"},
		{fmt.Errorf("files.info: %w", slack.StatusCodeError{Code: 502, Status: "502 Bad Gateway"}), "http"},
		{fmt.Errorf("post: %w", context.DeadlineExceeded), "timeout"},
		{context.Canceled, "canceled"},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, "network"},
		{errors.New("boom"), "other"},
	} {
		if got := errorKind(tt.err); got != tt.want {
			t.Errorf("errorKind(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
