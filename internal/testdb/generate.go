package testdb

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stickerbot/stickerbot/internal/fold"
)

// Vocabulary is the words a generated library is made of.
type Vocabulary struct {
	English, Korean []string
}

// Generate fills a migrated, empty database with n stickers for
// benchmarks: names of three words and five tags each, drawn half from
// English-like words and half from Korean ones (a few real words such as
// cat and 고양이 among them), written with COPY the way the store writes
// them. It returns the vocabulary, for picking queries.
func Generate(tb testing.TB, pool *pgxpool.Pool, n int) Vocabulary {
	tb.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	const latin = "abcdefghijklmnopqrstuvwxyz"
	var v Vocabulary
	for range 2500 {
		w := make([]byte, 4+rng.IntN(5))
		for i := range w {
			w[i] = latin[rng.IntN(len(latin))]
		}
		v.English = append(v.English, string(w))
		var k strings.Builder
		for range 2 + rng.IntN(3) {
			k.WriteRune(rune(0xAC00 + rng.IntN(11172)))
		}
		v.Korean = append(v.Korean, k.String())
	}
	v.English = append(v.English, "cat", "happy", "party", "thumbsup", "coffee", "deploy")
	v.Korean = append(v.Korean, "고양이", "강아지", "축하", "감사", "배포")
	word := func() string {
		if rng.IntN(2) == 0 {
			return v.English[rng.IntN(len(v.English))]
		}
		return v.Korean[rng.IntN(len(v.Korean))]
	}
	var stickers, terms, keys, dict [][]any
	names := make(map[string]bool, n)
	seen := make(map[string]bool)
	for i := int64(1); i <= int64(n); i++ {
		name := word() + " " + word() + " " + word()
		for names[fold.Term(name)] {
			name += " " + word()
		}
		names[fold.Term(name)] = true
		tags := []string{word(), word(), word(), word(), word()}
		slices.Sort(tags)
		tags = slices.Compact(tags)
		stickers = append(stickers, []any{i, name, fold.Term(name), tags,
			"https://img.example.com/" + strconv.FormatInt(i, 10) + ".png", int64(rng.IntN(100))})
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
