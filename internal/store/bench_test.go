package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

// percentiles reports p50 and p99 of ds as benchmark metrics.
func percentiles(b *testing.B, ds []time.Duration) {
	slices.Sort(ds)
	p := func(q float64) float64 { return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// naiveScan is what a plain bot does: a substring match over names and tags.
const naiveScan = `SELECT id, name FROM stickers
	WHERE name ILIKE '%' || $1 || '%' OR array_to_string(tags, ' ') ILIKE '%' || $1 || '%'
	ORDER BY usage_count DESC, name LIMIT 2 OFFSET 0`

// BenchmarkSearch measures search on 100,000 stickers for typical queries,
// and the naive substring scan for the same queries.
//
//	go test -run '^$' -bench BenchmarkSearch -benchtime 2000x ./internal/store/
func BenchmarkSearch(b *testing.B) {
	db := testdb.NewDatabase(b, testdb.Options{})
	vocab := testdb.Generate(b, db.Pool, 100_000)
	st, pool, en, ko := store.New(db.Pool), db.Pool, vocab.English, vocab.Korean
	ctx := context.Background()
	typo := func(w string) string { r := []rune(w); r[len(r)/2] = 'x'; return string(r) }
	queries := []struct{ name, q string }{
		{"common-tag", "cat"}, // an exact tag of ~160 stickers, a prefix of more
		{"tag", en[7]},
		{"prefix", en[11][:3]},
		{"typo", typo(en[13])},
		{"typo-common", "hapy"},
		{"korean-tag", "고양이"},
		{"korean-2char-prefix", string([]rune(ko[5])[:2])},
		{"korean-typo", "고앙이"},
		{"no-match", "zzqqzzqq"},
	}
	for _, qq := range queries {
		q, err := search.ParseQuery(qq.q)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("fast/"+qq.name, func(b *testing.B) {
			// Warm: plans cached and pages in memory, as in a running bot.
			for range 20 {
				_, _, _ = st.Nth(ctx, q, 0)
			}
			ds := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t := time.Now()
				if _, _, err := st.Nth(ctx, q, 0); err != nil && qq.name != "no-match" {
					b.Fatal(err)
				}
				ds = append(ds, time.Since(t))
			}
			percentiles(b, ds)
		})
		b.Run("naive-ilike/"+qq.name, func(b *testing.B) {
			ds := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t := time.Now()
				rows, err := pool.Query(ctx, naiveScan, qq.q)
				if err != nil {
					b.Fatal(err)
				}
				rows.Close()
				ds = append(ds, time.Since(t))
			}
			percentiles(b, ds)
		})
	}
}
