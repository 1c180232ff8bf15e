//go:build nosearchimport

// TEMPORARY: an import without the search tables, for measuring what they
// cost (go build -tags nosearchimport); see import_search.go.

package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

type searchImport struct{}

func newSearchImport() *searchImport                                  { return &searchImport{} }
func (*searchImport) prepare(context.Context, pgx.Tx) error           { return nil }
func (*searchImport) followsAdded() bool                              { return false }
func (*searchImport) columns() []string                               { return nil }
func (*searchImport) values(v []any, _ sticker.Draft, _ string) []any { return v }
func (*searchImport) write(context.Context, pgx.Tx) error             { return nil }
