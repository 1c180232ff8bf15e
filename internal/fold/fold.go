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
	if folded(s) {
		return s // most names and tags, when the index folds a library
	}
	return term(s, simple(s))
}

// folded reports whether Term(s) is s: s is simple, with no capitals,
// katakana, controls or stray spaces.
func folded(s string) bool {
	prevSpace := true // no space at the start
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			if prevSpace {
				return false
			}
			prevSpace = true
			continue
		case c < 0x20 || c == 0x7F || 'A' <= c && c <= 'Z':
			return false
		case c >= 0x80:
			r, n := utf8.DecodeRuneInString(s[i:])
			if !(r >= hangulBase && r <= hangulLast || r >= 0x3041 && r <= 0x3096 || r == 0x30FC) {
				return false
			}
			i += n - 1
		}
		prevSpace = false
	}
	return !prevSpace || s == ""
}

func term(s string, simple bool) string {
	if !simple {
		// What the loop below drops goes first, so that normalisation
		// composes what it would have separated (a, \x00, ◌̀ gives à).
		s = strings.Map(func(r rune) rune {
			if r == utf8.RuneError || unicode.IsControl(r) && !unicode.IsSpace(r) {
				return -1
			}
			return r
		}, strings.ToValidUTF8(s, ""))
		s = norm.NFKC.String(cases.Fold().String(norm.NFKC.String(s)))
	}
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
		case 'A' <= r && r <= 'Z': // what case folding does, for simple strings
			r += 'a' - 'A'
		case r >= 0xAB70 && r <= 0xABBF:
			// Cherokee folds to its capitals; x/text/cases maps the two
			// cases onto each other instead, so Term would not be
			// idempotent.
			r += 0x13A0 - 0xAB70
		case r >= 0x13F8 && r <= 0x13FD:
			r -= 8
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// simple reports whether s holds only characters that normalisation and
// case folding leave alone, but for ASCII capitals: ASCII, Hangul
// syllables, hiragana and full-width katakana, which is what almost every
// name and tag is made of. Term skips the costly normalisation for them,
// which matters when the search index folds a whole library at start-up.
func simple(s string) bool {
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
		case r >= hangulBase && r <= hangulLast:
		case r >= 0x3041 && r <= 0x3096, r >= 0x30A1 && r <= 0x30F6, r == 0x30FC:
		default:
			return false
		}
	}
	return true
}

// Key maps a folded term (the output of Term) to an ASCII string of
// lower-case letters, digits and single spaces for trigram comparison.
//
// Latin letters lose their diacritics; Hangul syllables are split into
// their letters (jamo) and romanised, so a one-syllable typo changes a
// few trigrams instead of all of them (고앙이 vs 고양이); kana are romanised
// the way people type them (にゃー → nyaa, ラーメン → raamen, きって →
// kitte); any other letter or digit (kanji, Cyrillic, …) becomes a
// five-character word of its own, so a character matches only itself.
// Punctuation becomes a word boundary.
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
	for i := 0; i < len(term); {
		r, size := utf8.DecodeRuneInString(term[i:])
		switch {
		case r < utf8.RuneSelf:
			if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
				word(term[i : i+1])
			} else if 'A' <= r && r <= 'Z' {
				word(string(r + 'a' - 'A'))
			} else {
				pendingSpace = true
			}
		case r >= hangulBase && r <= hangulLast:
			word(romanizeSyllable(r))
		case r >= 0x1100 && r <= 0x11FF && romanizeJamo(r) != "":
			word(romanizeJamo(r))
		case isKana(r):
			// A run of kana is romanised as a whole: small kana and the
			// long-vowel mark change the sound before them.
			end := i
			for end < len(term) {
				k, n := utf8.DecodeRuneInString(term[end:])
				if !isKana(k) {
					break
				}
				end += n
			}
			word(romanizeKana(term[i:end]))
			size = end - i
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
		i += size
	}
	return b.String()
}

// Initials returns the initial consonants (초성) of a term made only of
// Hangul syllables, stand-alone initial consonants and spaces, one byte a
// syllable ('A' for ㄱ, 'B' for ㄲ, … 'S' for ㅎ; spaces dropped), so
// 고양이 and ㄱㅇㅇ both give "ALL". It returns false for any other term,
// and for one with no syllable at all.
func Initials(term string) (string, bool) {
	var out []byte
	for _, r := range term {
		switch {
		case r >= hangulBase && r <= hangulLast:
			out = append(out, 'A'+byte((r-hangulBase)/(21*28)))
		case r >= 0x1100 && r <= 0x1112:
			out = append(out, 'A'+byte(r-0x1100))
		case r == ' ':
		default:
			return "", false
		}
	}
	return string(out), len(out) > 0
}

// IsInitials reports whether a folded term is made only of initial
// consonants (ㄱ … ㅎ, which Term has turned into conjoining jamo) and
// spaces: what Korean users type to search by 초성, ㄱㅇㅇ for 고양이.
func IsInitials(term string) bool {
	n := 0
	for _, r := range term {
		switch {
		case r >= 0x1100 && r <= 0x1112:
			n++
		case r == ' ':
		default:
			return false
		}
	}
	return n > 0
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
