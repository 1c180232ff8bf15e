package search_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stickerbot/stickerbot/internal/fold"
	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

func BenchmarkDevMulti(b *testing.B) {
	rows, _ := testdb.Library(100_000, 1)
	var docs []search.Doc
	i := int64(0)
	for r := range rows {
		i++
		docs = append(docs, search.Doc{ID: i, Name: fold.Term(r.Name), Tags: r.Tags, Usage: r.Usage})
	}
	slices.SortFunc(docs, func(a, b search.Doc) int { return strings.Compare(a.Name, b.Name) })
	ix, _ := search.BuildTestIndex(slices.Values(docs))
	q, _ := search.ParseQuery(docs[len(docs)/3].Name)
	b.Log(docs[len(docs)/3].Name, ix.Near("ibdj"), ix.Near("cat"), ix.Near("6"), ix.Near("ibdjcat6"))
	for b.Loop() {
		ix.Top(q, 2)
	}
}
