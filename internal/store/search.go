package store

import (
	"context"
	"fmt"
	"strings"
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

// Trigram thresholds, set per connection by Open: a dictionary word is
// near a query word when their similarity reaches similarityThreshold.
// minFuzzyScore is the least average similarity, over the query's words,
// that makes a sticker a fuzzy match.
const (
	similarityThreshold = 0.3
	minFuzzyScore       = 0.3
)

// Match is a search result.
type Match struct {
	sticker.Sticker
	Rank  Rank
	Score float64 // trigram similarity for fuzzy matches, 1 otherwise
}

// Query is a search query, folded and checked.
type Query struct {
	term  string   // folded: exact and prefix matches compare against it
	words []string // ASCII words of the key, then their concatenation if several
	n     int      // how many of words are the query's own words
}

// ParseQuery folds q for searching. It returns ErrEmptyQuery for a query
// with nothing to search for and ErrQueryTooLong past sticker.MaxQueryLen
// characters.
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

	// searchFuzzy ranks every tier at once. Each query word finds its
	// nearest dictionary words through the trigram index ("near"); a
	// sticker scores the average, over the query's words, of its best
	// match for each, or the match of the words run together when better.
	searchFuzzy = `
		WITH words AS (
			SELECT w, i FROM unnest($3::text[]) WITH ORDINALITY AS t(w, i)
		), near AS (
			SELECT words.i, k.key, k.score
			FROM words CROSS JOIN LATERAL (
				SELECT key, similarity(key, words.w) AS score
				FROM search_keys
				WHERE key % words.w
				ORDER BY score DESC, key
				LIMIT 20
			) k
		), per_word AS (
			SELECT sk.sticker_id, near.i, max(near.score) AS score
			FROM near JOIN sticker_keys sk ON sk.key = near.key
			GROUP BY sk.sticker_id, near.i
		), fuzzy AS (
			SELECT sticker_id, greatest(
				coalesce(sum(score) FILTER (WHERE i <= $4), 0) / $4,
				coalesce(max(score) FILTER (WHERE i > $4), 0)) AS score
			FROM per_word
			GROUP BY sticker_id
		), cheap AS (
			SELECT sticker_id, min(CASE WHEN term = $1 THEN kind ELSE 2 END) AS rank
			FROM sticker_terms
			WHERE term >= $1 AND term < $2
			GROUP BY sticker_id
		), m AS (
			SELECT coalesce(c.sticker_id, f.sticker_id) AS sticker_id,
				coalesce(c.rank, 3) AS rank, coalesce(f.score, 1) AS score
			FROM cheap c FULL JOIN fuzzy f ON f.sticker_id = c.sticker_id
			WHERE c.rank IS NOT NULL OR f.score >= $5
		)
		SELECT ` + stickerColumns + `, m.rank, m.score
		FROM m JOIN stickers s ON s.id = m.sticker_id
		ORDER BY m.rank, CASE WHEN m.rank = 3 THEN m.score END DESC, s.usage_count DESC, s.name_key, s.id
		OFFSET $6 LIMIT $7`
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
	if len(matches) == limit || q.n == 0 {
		return matches, nil
	}
	matches, err = s.collect(ctx, searchFuzzy, q.term, end, q.words, q.n, minFuzzyScore, offset, limit)
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
