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

// TestKana covers how kana are romanised: small kana, the long-vowel
// mark and the small tsu change the sound before or after them.
func TestKana(t *testing.T) {
	tests := []struct{ in, want string }{
		{"にゃー", "nyaa"},
		{"ラーメン", "raamen"},
		{"らーめん", "raamen"},
		{"ｷｬｯﾄ", "kyatto"}, // half-width katakana
		{"きって", "kitte"},
		{"まっちゃ", "maccha"},
		{"あっ", "at"}, // small tsu at the end
		{"しゃしん", "shashin"},
		{"ちょこ", "choko"},
		{"じゅーす", "juusu"},
		{"ファイト", "faito"},
		{"パーティー", "paatii"},
		{"ウィキ", "wiki"},
		{"チェック", "chekku"},
		{"ヴァ", "va"},
		{"ー", ""}, // a long-vowel mark with nothing before it
		{"ゃ", "ya"},
		{"ねこ", "neko"},
	}
	for _, tt := range tests {
		if got := Key(Term(tt.in)); got != tt.want {
			t.Errorf("Key(Term(%q)) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestInitials(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"고양이", "ALL", true},
		{"ㄱㅇㅇ", "ALL", true},
		{"대박", "DH", true},
		{"수고하셨습니다", "JASJJCD", true},
		{"고양이 댄스", "ALLDJ", true},
		{"ㅋㅋ", "PP", true},
		{"까치", "BO", true},
		{"cat", "", false},
		{"고양이cat", "", false},
		{"ᅡ", "", false}, // a vowel on its own
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := Initials(Term(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("Initials(Term(%q)) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	for in, want := range map[string]bool{"ㄱㅇㅇ": true, "ㄷ ㅂ": true, "ㅋㅋ": true, "고양이": false, "ㄱa": false, " ": false, "ㅏ": false, "ㄳ": false} {
		if got := IsInitials(Term(in)); got != want {
			t.Errorf("IsInitials(Term(%q)) = %v, want %v", in, got, want)
		}
	}
}

// TestTermFastPath checks that skipping normalisation for simple strings
// gives what normalising them gives.
func TestTermFastPath(t *testing.T) {
	for _, s := range []string{"Cat", "  HAPPY   cat  ", "고양이 ねこ", "ラーメン", "a\tb", "x\x00y", "ヴ", "ー", "Thumbs Up!"} {
		if !simple(s) {
			t.Errorf("%q is not simple", s)
		}
		if got, want := Term(s), term(s, false); got != want {
			t.Errorf("Term(%q) = %q, normalised %q", s, got, want)
		}
	}
}

func FuzzKey(f *testing.F) {
	for _, s := range []string{"cat", "고양이", "ねこ", "猫", "Ｃａｔ", "a\x00b", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		term := Term(s)
		if folded(s) && termSlow(s) != s {
			t.Fatalf("%q counts as folded, but folds to %q", s, termSlow(s))
		}
		if simple(s) && term != termSlow(s) {
			t.Fatalf("Term(%q) = %q, normalised %q", s, term, termSlow(s))
		}
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

func termSlow(s string) string { return term(s, false) }
