package fold

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTerm(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  Cat  ", "cat"},
		{"Thumbs   Up", "thumbs up"},
		{"ＣＡＴ", "cat"}, // full width
		{"ﾈｺ", "ねこ"},   // half-width katakana → hiragana
		{"ネコ", "ねこ"},   // katakana → hiragana
		{"\u1100\u1169\u110B\u1163\u11BC\u110B\u1175", "고양이"}, // NFD jamo from macOS
		{"고양이", "고양이"},
		{"猫", "猫"},
		{"Straße", "strasse"},
		{"a\tb\nc\x00", "a b c"},
	}
	for _, tt := range tests {
		if got := Term(tt.in); got != tt.want {
			t.Errorf("Term(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"cat", "cat"},
		{"thumbs up", "thumbs up"},
		{"café", "cafe"},
		{"고양이", "goyangi"},
		{"고앙이", "goangi"},
		{"ㅋㅋ", "kk"},
		{"ねこ", "neko"},
		{"happy-dance!", "happy dance"},
		{"고양이 cat", "goyangi cat"},
	}
	for _, tt := range tests {
		if got := Key(Term(tt.in)); got != tt.want {
			t.Errorf("Key(Term(%q)) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// A kanji is a word of its own, and neighbouring code points differ.
	cat, hedgehog := Key("猫"), Key("猬")
	if len(cat) != 5 || cat == hedgehog {
		t.Errorf("Key(猫) = %q, Key(猬) = %q", cat, hedgehog)
	}
	if got := Key("黒猫"); !strings.HasSuffix(got, " "+cat) {
		t.Errorf("Key(黒猫) = %q, want a word %q", got, cat)
	}
}

func FuzzKey(f *testing.F) {
	for _, s := range []string{"cat", "고양이", "ねこ", "猫", "Ｃａｔ", "a\x00b", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		term := Term(s)
		if !utf8.ValidString(term) {
			t.Fatalf("Term(%q) not valid UTF-8", s)
		}
		if Term(term) != term {
			t.Fatalf("Term not idempotent on %q: %q → %q", s, term, Term(term))
		}
		k := Key(term)
		for i := 0; i < len(k); i++ {
			c := k[i]
			if !(c == ' ' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
				t.Fatalf("Key(%q) = %q has byte %q", term, k, c)
			}
		}
		if strings.HasPrefix(k, " ") || strings.HasSuffix(k, " ") || strings.Contains(k, "  ") {
			t.Fatalf("Key(%q) = %q has stray spaces", term, k)
		}
	})
}
