package handlers

import (
	"strings"
)

// command is a parsed /sticker invocation.
type command struct {
	Verb string // one of verbs, or verbUnknown (see routes.go)
	Arg  string // the rest: a query or a sticker name
}

// parseCommand reads the text after /sticker. No text opens the picker. A
// first word that is not a verb starts a search ("/sticker cat"), unless
// it looks like a mistyped verb or an option ("/sticker serach cat",
// "/sticker --help"), which gets the usage rather than a puzzling search.
func parseCommand(text string) command {
	text = strings.TrimSpace(unescape(text))
	if text == "" {
		return command{Verb: verbPick}
	}
	first, rest, _ := strings.Cut(text, " ")
	rest = strings.TrimSpace(rest)
	lower := strings.ToLower(first)
	for _, v := range verbs {
		if lower == v {
			if v == verbSearch && rest == "" {
				return command{Verb: verbHelp}
			}
			return command{Verb: v, Arg: rest}
		}
	}
	if strings.HasPrefix(first, "-") || (rest != "" && nearVerb(lower)) {
		return command{Verb: verbUnknown, Arg: first}
	}
	return command{Verb: verbSearch, Arg: text}
}

// nearVerb reports whether w is one edit away from a verb of four letters
// or more: a typo, not a search word.
func nearVerb(w string) bool {
	for _, v := range verbs {
		if len(v) >= 4 && editDistance(w, v) == 1 {
			return true
		}
	}
	return false
}

// editDistance is the Damerau-Levenshtein distance (with adjacent
// transpositions) between short ASCII words; longer input returns a large
// distance quickly.
func editDistance(a, b string) int {
	if len(a) > 32 || len(b) > 32 {
		return 99
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
