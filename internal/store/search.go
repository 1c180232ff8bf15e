package store

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/stickerbot/stickerbot/internal/fold"
	"github.com/stickerbot/stickerbot/internal/sticker"
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

// Trigram thresholds, set per connection by Open. A sticker is a fuzzy
// match when the whole query is similar enough to one of its terms, or the
// query is similar enough to part of one ("dance" in "happy dance").
const (
	similarityThreshold     = 0.3
	wordSimilarityThreshold = 0.5
)

// Match is a search result.
type Match struct {
	sticker.Sticker
	Rank  Rank
	Score float64 // trigram similarity for fuzzy matches, 1 otherwise
}

// Query is a search query, folded and checked.
type Query struct {
	term string // folded: exact and prefix matches compare against it
	key  string // ASCII: fuzzy matches compare against it
}

// ParseQuery folds q for searching. It returns ErrEmptyQuery for a query
// with nothing to search for and ErrQueryTooLong past sticker.MaxQueryLen
// characters.
func ParseQuery(q string) (Query, error) {
	term := fold.Term(q)
	switch {
	case term == "":
		return Query{}, ErrEmptyQuery
	case utf8.RuneCountInString(term) > sticker.MaxQueryLen:
		return Query{}, ErrQueryTooLong
	}
	return Query{term: term, key: fold.Key(term)}, nil
}

// String returns the folded query.
func (q Query) String() string { return q.term }

// prefixEnd is an upper bound, in byte order (the C collation of
// sticker_terms.term), of the strings that start with term: it appends the
// last code point, U+10FFFF, a noncharacter that no folded term holds.
func prefixEnd(term string) string { return term + "\U0010FFFF" }

// The cheap tiers (exact name, exact tag, prefix) come from one B-tree
// range scan. Fuzzy matching costs more, so Search runs it only when the
// cheap tiers cannot fill the page asked for.
const (
	searchCheap = `
		SELECT ` + stickerColumns + `, m.rank, 1::float8
		FROM (
			SELECT sticker_id, min(CASE WHEN term = $1 THEN kind ELSE 2 END) AS rank
			FROM sticker_terms
			WHERE term >= $1 AND term < $2
			GROUP BY sticker_id
		) m
		JOIN stickers s ON s.id = m.sticker_id
		ORDER BY m.rank, s.usage_count DESC, s.name_key, s.id
		OFFSET $3 LIMIT $4`

	// searchFuzzy ranks every tier at once. The operator forms (% and <%)
	// let the GIN trigram index find candidates; the functions score them.
	searchFuzzy = `
		SELECT ` + stickerColumns + `, m.rank, m.score
		FROM (
			SELECT sticker_id,
				min(CASE WHEN term = $1 THEN kind WHEN term >= $1 AND term < $2 THEN 2 ELSE 3 END) AS rank,
				max(greatest(similarity(skey, $3), word_similarity($3, skey))) AS score
			FROM sticker_terms
			WHERE (term >= $1 AND term < $2) OR skey % $3 OR $3 <% skey
			GROUP BY sticker_id
		) m
		JOIN stickers s ON s.id = m.sticker_id
		ORDER BY m.rank, CASE WHEN m.rank = 3 THEN m.score END DESC, s.usage_count DESC, s.name_key, s.id
		OFFSET $4 LIMIT $5`
)

// Search returns up to limit matches for q, best first, skipping the first
// offset: exact name, then exact tag, then prefix of a name or tag, then
// fuzzy matches by similarity; ties go to the most used, then by name.
func (s *Store) Search(ctx context.Context, q Query, offset, limit int) ([]Match, error) {
	if q.term == "" {
		return nil, ErrEmptyQuery
	}
	if offset < 0 || limit <= 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	end := prefixEnd(q.term)
	matches, err := s.collect(ctx, searchCheap, q.term, end, offset, limit)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", q.term, err)
	}
	if len(matches) == limit || q.key == "" {
		return matches, nil
	}
	matches, err = s.collect(ctx, searchFuzzy, q.term, end, q.key, offset, limit)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", q.term, err)
	}
	return matches, nil
}

// Nth returns the match at position n (from 0) and whether another comes
// after it, which is what the preview's Next button needs. It returns
// ErrNotFound when there are fewer than n+1 matches.
func (s *Store) Nth(ctx context.Context, q Query, n int) (Match, bool, error) {
	ms, err := s.Search(ctx, q, n, 2)
	if err != nil {
		return Match{}, false, err
	}
	if len(ms) == 0 {
		return Match{}, false, fmt.Errorf("search %q at %d: %w", q.term, n, ErrNotFound)
	}
	return ms[0], len(ms) > 1, nil
}

func (s *Store) collect(ctx context.Context, query string, args ...any) ([]Match, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, translate(err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Match, error) {
		var m Match
		var rank int
		st, err := scanSticker(row, &rank, &m.Score)
		m.Sticker, m.Rank = st, Rank(rank)
		return m, err
	})
}
