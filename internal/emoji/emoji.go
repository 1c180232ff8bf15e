// Package emoji knows the emoji Slack users type: Slack's short names and
// aliases (:tada:, :+1: = :thumbsup:) from iamcal's emoji-datasource, and
// each emoji's names and keywords in English, Korean and Japanese from
// Unicode CLDR's annotations, so search can treat an emoji like the words
// it stands for. The table is generated from those npm packages (go
// generate; see gen) and read in place: nothing is decoded at start-up.
// NOTICE holds the data's licences.
package emoji

import (
	"strings"
	"unicode/utf8"
)

//go:generate go run ./gen -o table.go -notice NOTICE

// Fold replaces the Slack codes in s that name an emoji (":tada:",
// ":+1:", ":thumbsup:") with the emoji, and drops variation selectors and
// skin tones (":+1::skin-tone-3:" and "👍🏽" fold to "👍"), so every way of
// writing an emoji compares equal. Other text, unknown codes included, is
// left as it is, but for invalid UTF-8, which goes. s is expected to be
// folded already (lower case).
func Fold(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	if !needsFold(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] == ':' {
			if end := strings.IndexByte(s[i+1:], ':'); end > 0 {
				if e, ok := code(s[i+1 : i+1+end]); ok {
					b.WriteString(e)
					i += end + 2
					continue
				}
			}
			b.WriteByte(':')
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !dropped(r) {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// needsFold reports whether s may hold a code or a character Fold drops,
// so that plain text costs no copy.
func needsFold(s string) bool {
	for i := 0; i < len(s); i++ {
		// ':' starts a code; 0xEF starts U+FE0E/U+FE0F; 0xF0 starts the
		// skin tones (and most emoji).
		if c := s[i]; c == ':' || c == 0xEF || c == 0xF0 {
			return true
		}
	}
	return false
}

func dropped(r rune) bool {
	return r == 0xFE0E || r == 0xFE0F || r >= 0x1F3FB && r <= 0x1F3FF
}

// code returns the emoji a Slack short name (without colons) stands for;
// a skin tone's is empty.
func code(name string) (string, bool) {
	if name == "" || strings.ContainsAny(name, " \n\x1e\x1f") {
		return "", false
	}
	line, ok := find(codes, name)
	if !ok {
		return "", false
	}
	return line[len(name)+1:], true
}

// Lookup returns what the single emoji e (as Fold leaves it) is called:
// its Slack short names and CLDR names (en, ko, ja), then its CLDR
// keywords. ok is false when e is not exactly one emoji of the table.
func Lookup(e string) (names, keywords []string, ok bool) {
	if !mayBeEmoji(e) {
		return nil, nil, false
	}
	line, ok := find(table, e)
	if !ok {
		return nil, nil, false
	}
	fields := strings.Split(line[len(e)+1:], "\x1f")
	names = strings.Split(fields[0], "\x1e")
	if len(fields) > 1 && fields[1] != "" {
		keywords = strings.Split(fields[1], "\x1e")
	}
	return names, keywords, true
}

// mayBeEmoji rules out, from its first bytes, text that cannot start an
// emoji (every emoji starts with one of these), so looking up ordinary
// words (the index looks up every tag) does not touch the table.
func mayBeEmoji(e string) bool {
	if len(e) < 2 {
		return false
	}
	switch c := e[0]; {
	case c == '#' || c == '*' || c >= '0' && c <= '9': // keycaps
		return len(e) > 1
	case c == 0xC2: // © ®
		return e[1] == 0xA9 || e[1] == 0xAE
	case c == 0xE2 || c == 0xF0: // U+2000–U+2FFF, U+1F000–
		return true
	case c == 0xE3: // 〰 〽 ㊗ ㊙, not kana
		return e[1] == 0x80 || e[1] == 0x8A
	}
	return false
}

// find returns the line of data (sorted lines, "key\x1f…\n") whose key
// is key, without its newline, by binary search over the bytes.
func find(data, key string) (string, bool) {
	lo, hi := 0, len(data) // lines starting in [lo, hi) are candidates
	for lo < hi {
		mid := lo + (hi-lo)/2
		start := strings.LastIndexByte(data[:mid], '\n') + 1
		if start < lo {
			start = lo
		}
		end := start + strings.IndexByte(data[start:], '\n')
		line := data[start:end]
		k := line[:strings.IndexByte(line, '\x1f')]
		switch {
		case k == key:
			return line, true
		case k < key:
			lo = end + 1
		default:
			hi = start
		}
	}
	return "", false
}
