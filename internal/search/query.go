// Package search is what a sticker search means: a query, folded and
// checked, and the ranked matches it yields. The store answers queries;
// the handlers only ask.
package search

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

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
	RankPrefix
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
	term  string   // folded: exact and prefix matches compare against it
	words []string // ASCII words of the key, then their concatenation if several
	n     int      // how many of words are the query's own words
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
	q := Query{term: term, words: strings.Fields(fold.Key(term))}
	q.n = len(q.words)
	if q.n > 1 {
		// "thumbs up" should find "thumbsup" too.
		q.words = append(q.words, strings.Join(q.words, ""))
	}
	return q, nil
}

// String returns the folded query.
func (q Query) String() string { return q.term }

// Words returns the query's ASCII key words, then, when there are
// several, their concatenation.
func (q Query) Words() []string { return q.words }

// OwnWords returns how many of Words are the query's own words (the rest
// is their concatenation).
func (q Query) OwnWords() int { return q.n }
