// Package search is what a sticker search means and how it is answered:
// a query, folded and checked, the ranked matches it yields, and the
// in-process index (Library) that finds them, kept in step with the
// library in PostgreSQL. The handlers only ask.
package search

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/stickerbot/stickerbot/internal/emoji"
	"github.com/stickerbot/stickerbot/internal/fold"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// Errors ParseQuery returns, for errors.Is.
var (
	ErrEmptyQuery   = errors.New("empty search query")
	ErrQueryTooLong = fmt.Errorf("search query longer than %d characters", sticker.MaxQueryLen)
)

// Rank says why a sticker matched a query; lower ranks come first.
type Rank int

// The ranks, best first.
const (
	RankExactName Rank = iota
	RankExactTag
	RankPrefix   // a name or tag starts with the query
	RankInitials // the query is the initial consonants (초성) a Korean name or tag starts with
	RankFuzzy
)

// Match is a search result.
type Match struct {
	sticker.Sticker
	Rank  Rank
	Score float64 // trigram similarity for fuzzy matches, 1 otherwise
}

// Page is a page of matches, and how many there are in all.
type Page struct {
	Matches []Match
	// Total counts every match, exactly up to TotalCap; past it Total is
	// TotalCap and Capped is set ("1,000+").
	Total  int
	Capped bool
}

// TotalCap bounds the count Search returns, so that counting the
// matches of a one-letter query does not cost a walk over the library.
const TotalCap = 1000

// Query is a search query, folded and checked.
type Query struct {
	text string
	// alts are what the query stands for: itself, and for an emoji its
	// names and keywords too. A sticker ranks by the best it matches.
	alts []alt
}

type alt struct {
	term     string   // folded, emoji folded: exact and prefix matches compare against it
	initials string   // when the term is only initial consonants: their key (fold.Initials)
	words    []string // ASCII words of the key, then their concatenation if several
	own      int      // how many of words are the query's own words
}

// ParseQuery folds text for searching. It returns ErrEmptyQuery for a
// query with nothing to search for and ErrQueryTooLong past
// sticker.MaxQueryLen characters.
func ParseQuery(text string) (Query, error) {
	term := fold.Term(text)
	switch {
	case term == "":
		return Query{}, ErrEmptyQuery
	case utf8.RuneCountInString(term) > sticker.MaxQueryLen:
		return Query{}, ErrQueryTooLong
	}
	q := Query{text: term}
	folded := emoji.Fold(term)
	if folded != "" {
		q.add(folded)
	}
	// A name that holds the code or the variation selector as typed.
	q.add(term)
	if names, keywords, ok := emoji.Lookup(folded); ok {
		for _, w := range append(names, keywords...) {
			q.add(foldTerm(w))
		}
	}
	return q, nil
}

func (q *Query) add(term string) {
	if term == "" {
		return
	}
	for _, a := range q.alts {
		if a.term == term {
			return
		}
	}
	a := alt{term: term}
	if fold.IsInitials(term) {
		a.initials, _ = fold.Initials(term)
	}
	a.words = strings.Fields(fold.Key(term))
	a.own = len(a.words)
	if a.own > 1 {
		// "thumbs up" should find "thumbsup" too.
		a.words = append(a.words, strings.Join(a.words, ""))
	}
	q.alts = append(q.alts, a)
}

// String returns the folded query.
func (q Query) String() string { return q.text }
