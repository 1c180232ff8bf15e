package testdb

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stickerbot/stickerbot/internal/fold"
)

// Vocabulary is the words a generated library is made of.
type Vocabulary struct {
	// Head is HeadTags: tags on thousands of stickers.
	Head []string
	// Tail is the made-up tail vocabulary, most frequent first; English
	// and Korean are its Latin and Hangul words, in the same order.
	Tail, English, Korean []string
}

// Generate fills a migrated, empty database with n stickers from
// Library(n, 1) for benchmarks, written with COPY the way the store
// writes them. It returns the vocabulary, for picking queries.
func Generate(tb testing.TB, pool *pgxpool.Pool, n int) Vocabulary {
	tb.Helper()
	ctx := context.Background()
	rows, tail := Library(n, 1)
	v := Vocabulary{Head: HeadTags, Tail: tail}
	for _, w := range tail {
		switch r := []rune(w)[0]; {
		case r < 0x80:
			v.English = append(v.English, w)
		case r >= 0xAC00:
			v.Korean = append(v.Korean, w)
		}
	}
	var stickers, terms, keys, dict [][]any
	seen := make(map[string]bool)
	var i int64
	for row := range rows {
		i++
		name, tags := row.Name, row.Tags
		stickers = append(stickers, []any{i, name, fold.Term(name), tags, row.ImageURL, row.Usage})
		terms = append(terms, []any{i, int16(0), fold.Term(name)})
		words := strings.Fields(fold.Key(fold.Term(name)))
		for _, t := range tags {
			terms = append(terms, []any{i, int16(1), fold.Term(t)})
			words = append(words, strings.Fields(fold.Key(fold.Term(t)))...)
		}
		slices.Sort(words)
		for _, w := range slices.Compact(words) {
			keys = append(keys, []any{w, i})
			if !seen[w] {
				seen[w] = true
				dict = append(dict, []any{w})
			}
		}
	}
	copies := []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"stickers", []string{"id", "name", "name_key", "tags", "image_url", "usage_count"}, stickers},
		{"sticker_terms", []string{"sticker_id", "kind", "term"}, terms},
		{"search_keys", []string{"key"}, dict},
		{"sticker_keys", []string{"key", "sticker_id"}, keys},
	}
	if _, err := pool.Exec(ctx, `ALTER TABLE stickers ALTER COLUMN id RESTART WITH 1000000000`); err != nil {
		tb.Fatalf("testdb: generate: %v", err)
	}
	for _, c := range copies {
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
			tb.Fatalf("testdb: generate: copy %s: %v", c.table, err)
		}
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		tb.Fatalf("testdb: generate: %v", err)
	}
	return v
}
