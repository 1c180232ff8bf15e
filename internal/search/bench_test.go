package search_test

import (
	"context"
	"fmt"
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

// BenchmarkSearch measures what a /sticker command or a Next click costs
// (Library.Nth: the index, then the page's sticker read from PostgreSQL
// by id) per query class, on libraries of 100,000 and 1,000,000 stickers
// from testdb.Library (heavy-tailed tags, names of repeated words), and
// how long the index takes to load and what it holds in memory. Each
// class cycles through several queries of its kind.
//
//	go test -run '^$' -bench 'BenchmarkSearch' -benchtime 2000x -timeout 30m ./internal/search/
func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchmarkSearch(b, n) })
	}
}

func benchmarkSearch(b *testing.B, n int) {
	ctx := context.Background()
	db := testdb.NewDatabase(b, testdb.Options{})
	vocab := testdb.Generate(b, db.Pool, n)
	st := store.New(db.Pool)
	lib := search.NewLibrary(st, quiet())
	b.Run("load", func(b *testing.B) {
		// Once, whatever b.N: a start-up.
		start := time.Now()
		if err := lib.Load(ctx); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		stats := lib.Stats()
		b.ReportMetric(float64(took.Milliseconds()), "load-ms")
		b.ReportMetric(float64(stats.Bytes), "index-bytes")
		b.ReportMetric(float64(stats.Bytes)/float64(stats.Stickers)*100_000, "bytes-per-100k")
		b.ReportMetric(0, "ns/op")
	})
	// Tags as they are in the library: rare ones (on one to three
	// stickers) and Latin ones long enough for a typo to be a typo.
	column := func(q string) []string {
		rows, err := db.Pool.Query(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			out = append(out, s)
		}
		return out
	}
	rare := column(`SELECT t FROM stickers, unnest(tags) t GROUP BY t HAVING count(*) <= 3 ORDER BY t LIMIT 40`)
	long := column(`SELECT t FROM stickers, unnest(tags) t WHERE t ~ '^[a-z]{6,}$' GROUP BY t ORDER BY count(*) DESC, t LIMIT 40`)
	var typos, prefix3, korean []string
	for i := range 40 {
		r := []byte(long[i%len(long)])
		r[len(r)/2] = 'x'
		typos = append(typos, string(r))
		prefix3 = append(prefix3, vocab.English[i*3][:3])
		korean = append(korean, vocab.Korean[i])
	}
	classes := []struct {
		name    string
		queries []string
		nth     int
	}{
		{"exact-name", column(`SELECT name FROM stickers ORDER BY id LIMIT 40 OFFSET ` + fmt.Sprint(n/3)), 0},
		{"common-tag", vocab.Head[:24], 0},
		{"rare-tag", rare, 0},
		{"prefix-1", []string{"c", "h", "d", "s", "a", "m", "고", "ね"}, 0},
		{"prefix-2", []string{"ca", "ha", "do", "fi", "pa", "lo", "sa", "co"}, 0},
		{"prefix-3", prefix3, 0},
		{"typo", typos, 0},
		{"typo-common", []string{"hapy", "fier", "coffe", "thnks", "prty", "sory"}, 0},
		{"korean", append(korean, "고양이", "강아지", "축하", "대박"), 0},
		{"korean-typo", []string{"고앙이", "강아쥐", "츅하", "대빡"}, 0},
		{"initials", []string{"ㄱㅇㅇ", "ㄷㅂ", "ㄱㅇㅈ", "ㅊㅎ"}, 0},
		{"emoji", []string{"🎉", ":tada:", "🔥", ":+1:"}, 0},
		{"no-match", []string{"zzqqzzqq", "qqxxv", "xyzzy42", "ㅉㅉㅉㅉ"}, 0},
		{"next-20", append(append([]string{}, vocab.Head[:12]...), "ca", "ha", "c", "고"), 20},
	}
	for _, c := range classes {
		qs := make([]search.Query, len(c.queries))
		for i, s := range c.queries {
			var err error
			if qs[i], err = search.ParseQuery(s); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(c.name, func(b *testing.B) {
			for _, q := range qs { // warm: plans cached, pages in memory
				_, _, _ = lib.Nth(ctx, q, c.nth)
			}
			ds := make([]time.Duration, 0, b.N)
			i := 0
			for b.Loop() {
				q := qs[i%len(qs)]
				i++
				t := time.Now()
				if _, _, err := lib.Nth(ctx, q, c.nth); err != nil && c.name != "no-match" {
					b.Fatalf("%s: %v", q, err)
				}
				ds = append(ds, time.Since(t))
			}
			percentiles(b, ds)
		})
	}
}
