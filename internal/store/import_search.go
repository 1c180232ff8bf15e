//go:build !nosearchimport

// TEMPORARY. This file fills the search tables (sticker_terms, search_keys,
// sticker_keys) for an import. Once search runs from the in-process index
// instead, delete it and import_search_off.go, and in import.go the code
// on the lines marked "TEMPORARY: search tables" (the search step, its
// variable, its column and value hooks; the merge choice keeps only
// cs.images); nothing else depends on them.
// (Building with -tags nosearchimport leaves it out, so its cost can be
// measured: see docs/benchmarks.md.)

package store

import (
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/stickerbot/stickerbot/internal/fold"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// searchImport computes each row's search terms and keys in Go (folding
// lives in Go, see package fold) while the rows stream, copies them with
// the row, and writes them set-based for the stickers the import changed.
type searchImport struct {
	// folded remembers the term and key words of recent tags: tags repeat
	// across a library (a few on thousands of stickers), folding costs.
	folded map[string]foldedTag
}

type foldedTag struct {
	term  string
	words []string
}

func newSearchImport() *searchImport { return &searchImport{folded: map[string]foldedTag{}} }

func (*searchImport) prepare(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `ALTER TABLE import_rows ADD COLUMN terms text[] NOT NULL, ADD COLUMN keys text[] NOT NULL`)
	return err
}

func (*searchImport) columns() []string { return []string{"terms", "keys"} }

// followsAdded: write needs the stickers added recorded in import_changed.
func (*searchImport) followsAdded() bool { return true }

// values appends the row's tag terms and its distinct keys, as writeTerms
// computes them for one sticker.
func (si *searchImport) values(v []any, d sticker.Draft, nameKey string) []any {
	terms := make([]string, 0, len(d.Tags))
	words := strings.Fields(fold.Key(nameKey))
	for _, t := range d.Tags {
		f, ok := si.folded[t]
		if !ok {
			if len(si.folded) == 100_000 {
				clear(si.folded) // memory stays bounded
			}
			f.term = fold.Term(t)
			f.words = strings.Fields(fold.Key(f.term))
			si.folded[t] = f
		}
		terms = append(terms, f.term)
		words = append(words, f.words...)
	}
	slices.Sort(words)
	return append(v, terms, slices.Compact(words))
}

// Only stickers that can be shown are searchable (see Save).
const searchImportSQL = `
	DELETE FROM sticker_terms t USING import_changed c WHERE t.sticker_id = c.id AND NOT c.added;
	DELETE FROM sticker_keys k USING import_changed c WHERE k.sticker_id = c.id AND NOT c.added;
	CREATE TEMP TABLE import_shown ON COMMIT DROP AS
		SELECT c.id, r.name_key, r.terms, r.keys
		FROM import_changed c JOIN import_rows r ON r.n = c.n
		WHERE r.image_url IS NOT NULL OR r.slack_file_id IS NOT NULL;
	INSERT INTO sticker_terms (sticker_id, kind, term)
		SELECT id, 0, name_key FROM import_shown
		UNION ALL
		SELECT id, 1, t FROM import_shown, unnest(terms) t;
	-- Sorted keys lock dictionary rows in one order, as writeTerms does.
	INSERT INTO search_keys (key)
		SELECT DISTINCT k FROM import_shown, unnest(keys) k ORDER BY k
		ON CONFLICT (key) DO UPDATE SET touched_at = now();
	INSERT INTO sticker_keys (key, sticker_id)
		SELECT k, id FROM import_shown, unnest(keys) k`

func (*searchImport) write(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, searchImportSQL)
	return err
}
