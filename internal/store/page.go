package store

import (
	"context"
	"fmt"

	"github.com/stickerbot/stickerbot/internal/search"
)

// Counting matches for "2 of 7", up to search.TotalCap+1: with query
// words, the matches of every tier (fuzzyMatches' m); without, the cheap
// tiers are all there is. Neither needs the stickers themselves.
const (
	countCheap = `SELECT count(*) FROM (SELECT DISTINCT sticker_id FROM sticker_terms
		WHERE term >= $1 AND term < $2 LIMIT $3) c`
	countFuzzy = fuzzyMatches + ` SELECT count(*) FROM (SELECT 1 FROM m LIMIT $6) c`
)

// Page returns up to limit matches for q after skipping offset, as Search
// does, and how many match in all, counted up to search.TotalCap (Capped
// past it). Past the last match the page is empty.
func (s *Store) Page(ctx context.Context, q search.Query, offset, limit int) (search.Page, error) {
	matches, err := s.Search(ctx, q, offset, limit)
	if err != nil {
		return search.Page{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	term := q.String()
	var n int
	if q.OwnWords() == 0 {
		err = s.pool.QueryRow(ctx, countCheap, term, prefixEnd(term), search.TotalCap+1).Scan(&n)
	} else {
		err = s.pool.QueryRow(ctx, countFuzzy, term, prefixEnd(term), q.Words(), q.OwnWords(), minFuzzyScore,
			search.TotalCap+1).Scan(&n)
	}
	if err != nil {
		return search.Page{}, fmt.Errorf("count matches of %q: %w", term, translate(err))
	}
	return search.Page{Matches: matches, Total: min(n, search.TotalCap), Capped: n > search.TotalCap}, nil
}
