package testdb

import (
	"context"
	"iter"
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
// Library(n, 1) for benchmarks, written with one COPY. It returns the
// vocabulary, for picking queries.
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
	next, stop := iter.Pull(rows)
	defer stop()
	var i int64
	stickers := pgx.CopyFromFunc(func() ([]any, error) {
		row, ok := next()
		if !ok {
			return nil, nil
		}
		i++
		return []any{i, row.Name, fold.Term(row.Name), row.Tags, row.ImageURL, row.Usage}, nil
	})
	if _, err := pool.Exec(ctx, `ALTER TABLE stickers ALTER COLUMN id RESTART WITH 1000000000`); err != nil {
		tb.Fatalf("testdb: generate: %v", err)
	}
	cols := []string{"id", "name", "name_key", "tags", "image_url", "usage_count"}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"stickers"}, cols, stickers); err != nil {
		tb.Fatalf("testdb: generate: copy stickers: %v", err)
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		tb.Fatalf("testdb: generate: %v", err)
	}
	return v
}
