package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// Trigram thresholds, set per connection by Open: a dictionary word is
// near a query word when their similarity reaches similarityThreshold.
// minFuzzyScore is the least average similarity, over the query's words,
// that makes a sticker a fuzzy match.
const (
	similarityThreshold = 0.3
	minFuzzyScore       = 0.3
)

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

	// fuzzyMatches ranks every tier at once. Each query word finds its
	// nearest dictionary words through the trigram index ("near"); a
	// sticker scores the average, over the query's words, of its best
	// match for each, or the match of the words run together when better.
	// searchFuzzy pages through m; countFuzzy (page.go) counts it.
	fuzzyMatches = `
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
		)`
	searchFuzzy = fuzzyMatches + `
		SELECT ` + stickerColumns + `, m.rank, m.score
		FROM m JOIN stickers s ON s.id = m.sticker_id
		ORDER BY m.rank, CASE WHEN m.rank = 3 THEN m.score END DESC, s.usage_count DESC, s.name_key, s.id
		OFFSET $6 LIMIT $7`
)

// Search returns up to limit matches for q, best first, skipping the first
// offset: exact name, then exact tag, then prefix of a name or tag, then
// fuzzy matches by similarity; ties go to the most used, then by name.
func (s *Store) Search(ctx context.Context, q search.Query, offset, limit int) ([]search.Match, error) {
	term := q.String()
	if term == "" {
		return nil, search.ErrEmptyQuery
	}
	if offset < 0 || limit <= 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	end := prefixEnd(term)
	matches, err := s.collect(ctx, searchCheap, term, end, offset, limit)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", term, err)
	}
	if len(matches) == limit || q.OwnWords() == 0 {
		return matches, nil
	}
	matches, err = s.collect(ctx, searchFuzzy, term, end, q.Words(), q.OwnWords(), minFuzzyScore, offset, limit)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", term, err)
	}
	return matches, nil
}

// Nth returns the match at position n (from 0) and whether another comes
// after it, which is what the preview's Next button needs. It returns
// sticker.ErrNotFound when there are fewer than n+1 matches.
func (s *Store) Nth(ctx context.Context, q search.Query, n int) (search.Match, bool, error) {
	ms, err := s.Search(ctx, q, n, 2)
	if err != nil {
		return search.Match{}, false, err
	}
	if len(ms) == 0 {
		return search.Match{}, false, fmt.Errorf("search %q at %d: %w", q.String(), n, sticker.ErrNotFound)
	}
	return ms[0], len(ms) > 1, nil
}

func (s *Store) collect(ctx context.Context, query string, args ...any) ([]search.Match, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, translate(err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (search.Match, error) {
		var m search.Match
		var rank int
		st, err := scanSticker(row, &rank, &m.Score)
		m.Sticker, m.Rank = st, search.Rank(rank)
		return m, err
	})
}
