package handlers

import (
	"strings"
	"testing"
)

// FuzzHomeMeta: a Home view's private_metadata comes back from Slack's
// clients and can be forged: whatever it holds reads as something the
// bot would have written, or as nothing chosen.
func FuzzHomeMeta(f *testing.F) {
	for _, s := range []string{"", "{}", `{"c":"C1","f":5}`, `{"c":"<!channel>"}`, `{"f":-1}`, `{"c":1}`, "null", "[]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := readHomeMeta(s)
		if (m.Channel != "" && !conversationID.MatchString(m.Channel)) || m.Favs < 0 {
			t.Errorf("readHomeMeta(%q) = %+v", s, m)
		}
	})
}

// FuzzSentKey: the message a shortcut comes with is any JSON; a key read
// from it is one the bot could have made.
func FuzzSentKey(f *testing.F) {
	for _, s := range []string{`{}`, `{"message":{"blocks":[{"block_id":"sent_abcdefgh23456777"}]}}`,
		`{"message":{"blocks":[{"block_id":"sent_ABC"},{"block_id":7}]}}`, `{"message":null}`, `[`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if k := sentKey([]byte(s)); k != "" && !validSendKey(k) {
			t.Errorf("sentKey(%q) = %q", s, k)
		}
	})
}

func TestBars(t *testing.T) {
	got := bars(nil)
	if got.s != "" {
		t.Errorf("bars of no days: %q", got.s)
	}
	if k := newSendKey(); !validSendKey(k) || strings.ToLower(k) != k {
		t.Errorf("newSendKey() = %q", k)
	}
}
