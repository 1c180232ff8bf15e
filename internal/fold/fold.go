// Package fold turns sticker names, tags and search queries into the two
// forms search compares: a folded term for exact and prefix matches, and an
// ASCII key for fuzzy trigram matches.
//
// Both forms are computed here, in Go, rather than in SQL because
// PostgreSQL's lower() and pg_trgm's idea of a "letter" depend on the
// cluster's LC_CTYPE: under the C locale pg_trgm sees no trigrams in Hangul
// at all. The key is pure ASCII ([a-z0-9 ]), which every locale classifies
// the same way, so search behaves identically whatever the database locale.
package fold

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Term folds s for equality and prefix comparison: compatibility
// normalisation (full-width Latin becomes ASCII, half-width katakana becomes
// full-width, decomposed Hangul from macOS is composed), case folding,
// katakana folded to hiragana, control characters dropped, and runs of white
// space collapsed to one space with none at either end.
func Term(s string) string {
	s = norm.NFKC.String(cases.Fold().String(norm.NFKC.String(s)))
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r) || r == utf8.RuneError:
			continue
		case r >= 0x30A1 && r <= 0x30F6: // katakana → hiragana
			r -= 0x60
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Key maps a folded term (the output of Term) to an ASCII string of
// lower-case letters, digits and single spaces for trigram comparison.
//
// Latin letters lose their diacritics; Hangul syllables are split into
// their letters (jamo) and romanised, so a one-syllable typo changes a
// few trigrams instead of all of them (고앙이 vs 고양이); kana are romanised;
// any other letter or digit (kanji, Cyrillic, …) becomes a five-character
// word of its own, so a character matches only itself. Punctuation becomes
// a word boundary.
func Key(term string) string {
	var b strings.Builder
	b.Grow(len(term) * 2)
	pendingSpace := false
	word := func(s string) {
		if s == "" {
			return
		}
		if pendingSpace && b.Len() > 0 {
			b.WriteByte(' ')
		}
		pendingSpace = false
		b.WriteString(s)
	}
	for _, r := range term {
		switch {
		case r < utf8.RuneSelf:
			if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
				word(string(r))
			} else if 'A' <= r && r <= 'Z' {
				word(string(r + 'a' - 'A'))
			} else {
				pendingSpace = true
			}
		case r >= hangulBase && r <= hangulLast:
			word(romanizeSyllable(r))
		case r >= 0x1100 && r <= 0x11FF && romanizeJamo(r) != "":
			word(romanizeJamo(r))
		case r >= 0x3041 && r <= 0x3096:
			word(kana[r])
		case r == 0x30FC: // prolonged sound mark: a long vowel, not a new word
		case unicode.Is(unicode.Mn, r):
		case unicode.Is(unicode.Latin, r):
			word(stripLatin(r))
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			// Its own word, so it neither joins nor splits a romanised run.
			pendingSpace = true
			word(runeToken(r))
			pendingSpace = true
		default:
			pendingSpace = true
		}
	}
	return b.String()
}

// stripLatin removes diacritics from a Latin letter (é → e, ß stays as the
// fold already made it ss); letters with no ASCII base become a token.
func stripLatin(r rune) string {
	var out []byte
	for _, d := range norm.NFKD.String(string(r)) {
		if d < utf8.RuneSelf {
			if 'A' <= d && d <= 'Z' {
				d += 'a' - 'A'
			}
			if 'a' <= d && d <= 'z' {
				out = append(out, byte(d))
			}
		}
	}
	if len(out) == 0 {
		return runeToken(r)
	}
	return string(out)
}

const tokenAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// runeToken encodes r as five base-32 characters. Multiplying by an odd
// constant is a bijection modulo 2^25, so every code point gets its own
// token, and neighbouring code points (猫 U+732B, 猬 U+732C) get tokens that
// share no trigrams.
func runeToken(r rune) string {
	x := (uint32(r) * 0x9E3779B1) & (1<<25 - 1)
	var t [5]byte
	for i := 4; i >= 0; i-- {
		t[i] = tokenAlphabet[x&31]
		x >>= 5
	}
	return string(t[:])
}
