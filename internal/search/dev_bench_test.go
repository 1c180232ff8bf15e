package search_test

import (
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/fold"
	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

func BenchmarkDevIndex(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		rows, tail := testdb.Library(n, 1)
		var docs []search.Doc
		i := int64(0)
		for r := range rows {
			i++
			docs = append(docs, search.Doc{ID: i, Name: fold.Term(r.Name), Tags: r.Tags, Usage: r.Usage})
		}
		slices.SortFunc(docs, func(a, b search.Doc) int { return strings.Compare(a.Name, b.Name) })
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		start := time.Now()
		ix, err := search.BuildTestIndex(slices.Values(docs))
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		runtime.ReadMemStats(&m1)
		b.Logf("n=%d build %v bytes=%d alloc=%dMB parts=%v", n, took, ix.Bytes(), (m1.TotalAlloc-m0.TotalAlloc)>>20, ix.Parts())

		var en, ko []string
		for _, w := range tail {
			if w[0] < 0x80 {
				en = append(en, w)
			} else if []rune(w)[0] >= 0xAC00 {
				ko = append(ko, w)
			}
		}
		typo := func(w string) string { r := []byte(w); r[len(r)/2] = 'x'; return string(r) }
		for _, qq := range []struct{ name, q string }{
			{"exact-name", docs[n/3].Name}, {"common-tag", "fire"}, {"rare-tag", en[len(en)/2]}, {"prefix1", "c"}, {"prefix2", "ca"}, {"prefix3", "cat"[:3]},
			{"typo", typo(en[13])}, {"typo-common", "hapy"}, {"korean", "고양이"}, {"korean-typo", "고앙이"}, {"initials", "ㄱㅇㅇ"}, {"no-match", "zzqqzzqq"}, {"multi", "hapy dgo"},
			{"emoji", "🎉"},
		} {
			q, _ := search.ParseQuery(qq.q)
			for _, k := range []int{2, 22} {
				start := time.Now()
				const reps = 200
				for range reps {
					ix.Top(q, k)
				}
				b.Logf("  %s k=%d: %v", qq.name, k, time.Since(start)/reps)
			}
		}
	}
}
