package store

import (
	"context"
	"fmt"

	"github.com/stickerbot/stickerbot/internal/search"
)

// Counting matches for "2 of 7": the search queries themselves, counted,
// up to search.TotalCap+1 rows. With query words the typo-tolerant query
// counts every tier at once; without, the cheap tiers are all there is.
const (
	countCheap = `SELECT count(*) FROM (` + searchCheap + `) c`
	countFuzzy = `SELECT count(*) FROM (` + searchFuzzy + `) c`
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
		err = s.pool.QueryRow(ctx, countCheap, term, prefixEnd(term), 0, search.TotalCap+1).Scan(&n)
	} else {
		err = s.pool.QueryRow(ctx, countFuzzy, term, prefixEnd(term), q.Words(), q.OwnWords(), minFuzzyScore,
			0, search.TotalCap+1).Scan(&n)
	}
	if err != nil {
		return search.Page{}, fmt.Errorf("count matches of %q: %w", term, translate(err))
	}
	return search.Page{Matches: matches, Total: min(n, search.TotalCap), Capped: n > search.TotalCap}, nil
}
