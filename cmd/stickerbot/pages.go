package main

import (
	"context"

	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/store"
)

// storePages pages through the store's searches for the picker. Counting
// every match would cost a scan, so it reads one match past the page:
// when there is one, Total is a lower bound ("21+") and Capped is set.
type storePages struct{ st *store.Store }

// Search returns the page of q's matches at offset; see handlers.Pager.
func (p storePages) Search(ctx context.Context, q search.Query, offset, limit int) (search.Page, error) {
	ms, err := p.st.Search(ctx, q, offset, limit+1)
	if err != nil {
		return search.Page{}, err
	}
	if len(ms) > limit {
		return search.Page{Matches: ms[:limit], Total: offset + limit + 1, Capped: true}, nil
	}
	return search.Page{Matches: ms, Total: offset + len(ms)}, nil
}
