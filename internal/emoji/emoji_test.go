package emoji

import (
	"slices"
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{":tada:", "🎉"},
		{":+1:", "👍"},
		{":thumbsup:", "👍"},
		{":+1::skin-tone-3:", "👍"},
		{"👍🏽", "👍"},
		{"❤️", "❤"}, // variation selector
		{"❤", "❤"},
		{"party :tada: time", "party 🎉 time"},
		{":nope:", ":nope:"},
		{"a:b", "a:b"},
		{"::tada:", ":🎉"},
		{":tada", ":tada"},
		{"12:30", "12:30"},
		{"cat", "cat"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLookup(t *testing.T) {
	names, keywords, ok := Lookup("🎉")
	if !ok || names[0] != "tada" || !slices.Contains(names, "party popper") || !slices.Contains(keywords, "party") ||
		!slices.Contains(keywords, "축하") || !slices.Contains(keywords, "パーティー") {
		t.Errorf("Lookup(🎉) = %q, %q, %v", names, keywords, ok)
	}
	names, _, ok = Lookup("👍")
	if !ok || !slices.Equal(names[:2], []string{"+1", "thumbsup"}) || !slices.Contains(names, "thumbs up") {
		t.Errorf("Lookup(👍) = %q, %v", names, ok)
	}
	if names, _, ok := Lookup(Fold("❤️")); !ok || names[0] != "heart" {
		t.Errorf("Lookup(❤) = %q, %v", names, ok)
	}
	for _, s := range []string{"", "cat", "🎉🎉", "#", "🎉 "} {
		if _, _, ok := Lookup(s); ok {
			t.Errorf("Lookup(%q) found an emoji", s)
		}
	}
}

// TestMayBeEmoji checks the shortcut against the table: every emoji
// passes it.
func TestMayBeEmoji(t *testing.T) {
	for _, l := range strings.Split(strings.TrimSuffix(table, "\n"), "\n") {
		if e := l[:strings.IndexByte(l, '\x1f')]; !mayBeEmoji(e) {
			t.Errorf("%q (%U) is ruled out", e, []rune(e))
		}
	}
	for _, s := range []string{"고양이", "ねこ", "cat", "猫", "ㅋㅋ"} {
		if mayBeEmoji(s) {
			t.Errorf("%q may be an emoji", s)
		}
	}
}

// TestTables checks that both tables are sorted and that every line can
// be found, which the binary search relies on.
func TestTables(t *testing.T) {
	for name, data := range map[string]string{"table": table, "codes": codes} {
		lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
		if len(lines) < 1500 {
			t.Fatalf("%s has only %d lines", name, len(lines))
		}
		prev := ""
		for _, l := range lines {
			k := l[:strings.IndexByte(l, '\x1f')]
			if k <= prev {
				t.Fatalf("%s: %q after %q", name, k, prev)
			}
			prev = k
			if got, ok := find(data, k); !ok || got != l {
				t.Fatalf("%s: find(%q) = %q, %v", name, k, got, ok)
			}
		}
		if _, ok := find(data, prev+"x"); ok {
			t.Errorf("%s: found a key past the end", name)
		}
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{":tada:", "::", ":+1::skin-tone-2:", "👍🏽", "\xf0\x9f", ":\xff:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Fold(s)
		if Fold(got) != got && !strings.Contains(s, "::") {
			// "::tada:" folds to ":🎉"; only runs of colons may fold twice.
			t.Fatalf("Fold not idempotent on %q: %q → %q", s, got, Fold(got))
		}
		_, _, _ = Lookup(got)
	})
}
