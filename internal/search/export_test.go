package search

import (
	"fmt"
	"iter"
)

// Test access to the index without a database.

// TestIndex is an index built from documents in name order.
type TestIndex struct{ v *view }

func BuildTestIndex(docs iter.Seq[Doc]) (*TestIndex, error) {
	b := newBuilder()
	for d := range docs {
		if err := b.add(d); err != nil {
			return nil, err
		}
	}
	return &TestIndex{v: &view{segs: []*segment{b.finish()}}}, nil
}

// Top returns the ids of the first n matches.
func (t *TestIndex) Top(q Query, n int) []int64 {
	e := newEnumerator(t.v, &q, n)
	var ids []int64
	for len(ids) < n {
		h, ok := e.next()
		if !ok {
			break
		}
		ids = append(ids, t.v.segs[h.seg].id(h.pos))
	}
	return ids
}

func (t *TestIndex) Bytes() int { return t.v.segs[0].size() }

func (t *TestIndex) Parts() map[string]int {
	s := t.v.segs[0]
	return map[string]int{
		"names": s.names.size(), "ids": s.ids.size(), "usage": s.usage.size(), "best": s.best.size(),
		"tags": s.tags.size(), "tagHead": s.tagHead.size(), "tagBest": s.tagBest.size(),
		"inits": s.inits.size(), "initRefs": s.initRefs.size(), "initBest": s.initBest.size(),
		"words": s.words.size(), "wordTri": len(s.wordTri), "triCode": 2 * len(s.triCode), "triOff": 4 * len(s.triOff), "triData": len(s.triData),
	}
}

func (t *TestIndex) Near(w string) []string {
	var out []string
	for _, n := range nearWords(t.v.segs, w) {
		out = append(out, fmt.Sprintf("%s:%.2f", n.word, n.sim))
	}
	return out
}
