package search

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stickerbot/stickerbot/internal/fold"
)

// The index is checked against a reference that scores every sticker
// for every query the slow, obvious way, by the same rules.

type refHit struct {
	id    int64
	rank  Rank
	score float64
}

type refDoc struct {
	Doc
	tags  []string
	words []string
	inits []string
}

func refPrepare(docs []Doc) []refDoc {
	out := make([]refDoc, len(docs))
	for i, d := range docs {
		r := refDoc{Doc: d}
		var terms []string
		for _, t := range d.Tags {
			terms = appendTerm(terms, foldTag(t))
		}
		if f := foldTag(d.Name); f != d.Name {
			terms = appendTerm(terms, f)
		}
		r.tags = terms
		r.words = strings.Fields(fold.Key(d.Name))
		if k, ok := fold.Initials(d.Name); ok {
			r.inits = append(r.inits, k)
		}
		for _, t := range terms {
			r.words = append(r.words, strings.Fields(fold.Key(t))...)
			if k, ok := fold.Initials(t); ok {
				r.inits = append(r.inits, k)
			}
		}
		out[i] = r
	}
	return out
}

// refTrigrams is an independent spelling of pg_trgm's trigrams.
func refTrigrams(w string) map[string]bool {
	p := "  " + w + " "
	set := map[string]bool{}
	for i := 0; i+3 <= len(p); i++ {
		set[p[i:i+3]] = true
	}
	return set
}

func refSimilarity(a, b string) float32 {
	ta, tb := refTrigrams(a), refTrigrams(b)
	common := 0
	for t := range ta {
		if tb[t] {
			common++
		}
	}
	return float32(common) / float32(len(ta)+len(tb)-common)
}

func refSearch(docs []refDoc, q Query) []refHit {
	dict := map[string]bool{}
	for _, d := range docs {
		for _, w := range d.words {
			dict[w] = true
		}
	}
	best := map[int64]refHit{}
	for _, a := range q.alts {
		var near []map[string]float32
		for _, w := range a.words {
			var ns []nearWord
			for k := range dict {
				if s := refSimilarity(w, k); float64(s) >= similarityThreshold {
					ns = append(ns, nearWord{k, s})
				}
			}
			slices.SortFunc(ns, func(x, y nearWord) int {
				if x.sim != y.sim {
					return cmp.Compare(y.sim, x.sim)
				}
				return strings.Compare(x.word, y.word)
			})
			m := map[string]float32{}
			for _, n := range ns[:min(len(ns), maxNear)] {
				m[n.word] = n.sim
			}
			near = append(near, m)
		}
		for _, d := range docs {
			h := refHit{id: d.ID, rank: -1, score: 1}
			switch {
			case d.Name == a.term:
				h.rank = RankExactName
			case slices.Contains(d.tags, a.term):
				h.rank = RankExactTag
			case strings.HasPrefix(d.Name, a.term) || slices.ContainsFunc(d.tags, func(t string) bool { return strings.HasPrefix(t, a.term) }):
				h.rank = RankPrefix
			case a.initials != "" && slices.ContainsFunc(d.inits, func(k string) bool { return strings.HasPrefix(k, a.initials) }):
				h.rank = RankInitials
			case a.own > 0:
				bests := make([]float32, len(near))
				for j, m := range near {
					for _, w := range d.words {
						bests[j] = max(bests[j], m[w])
					}
				}
				var sum float32
				for _, b := range bests[:a.own] {
					sum += b
				}
				score := float64(sum) / float64(a.own)
				if len(bests) > a.own {
					score = max(score, float64(bests[a.own]))
				}
				if score >= minFuzzyScore {
					h.rank, h.score = RankFuzzy, score
				}
			}
			if h.rank < 0 {
				continue
			}
			if b, ok := best[d.ID]; !ok || h.rank < b.rank || h.rank == b.rank && h.score > b.score {
				best[d.ID] = h
			}
		}
	}
	byID := map[int64]refDoc{}
	for _, d := range docs {
		byID[d.ID] = d
	}
	var out []refHit
	for _, h := range best {
		out = append(out, h)
	}
	slices.SortFunc(out, func(x, y refHit) int {
		if x.rank != y.rank {
			return cmp.Compare(x.rank, y.rank)
		}
		if x.score != y.score {
			return cmp.Compare(y.score, x.score)
		}
		dx, dy := byID[x.id], byID[y.id]
		if dx.Usage != dy.Usage {
			return cmp.Compare(dy.Usage, dx.Usage)
		}
		return strings.Compare(dx.Name, dy.Name)
	})
	return out
}

func foldTag(t string) string { return foldTerm(t) }

// randomLibrary makes n stickers of repeated words in several scripts,
// with emoji, codes and skewed usage.
func randomLibrary(rng *rand.Rand, n int) []Doc {
	vocab := []string{"cat", "cats", "catalog", "happy", "hapy", "dog", "party", "thumbs up", "thumbsup", "coffee",
		"고양이", "고양", "강아지", "대박", "수고하셨습니다", "ㅋㅋ", "ねこ", "にゃー", "ラーメン", "らーめん",
		"🎉", ":tada:", "👍🏽", ":+1:", "❤️", "fire", "deploy", "ship it", "hello", "hallo", "x"}
	for range 40 {
		var b strings.Builder
		for range 3 + rng.IntN(5) {
			b.WriteByte(byte('a' + rng.IntN(6)))
		}
		vocab = append(vocab, b.String())
	}
	pick := func() string { return vocab[min(int(rng.ExpFloat64()*8), len(vocab)-1)] }
	seen := map[string]bool{}
	var docs []Doc
	for len(docs) < n {
		name := pick()
		if rng.IntN(2) == 0 {
			name += " " + pick()
		}
		if seen[fold.Term(name)] {
			name += " " + strconv.Itoa(len(docs))
		}
		key := fold.Term(name)
		seen[key] = true
		d := Doc{ID: int64(1000 + len(docs)*3), Name: key}
		for range rng.IntN(4) {
			d.Tags = append(d.Tags, pick())
		}
		if rng.IntN(3) == 0 {
			d.Usage = int64(rng.IntN(5))
		}
		docs = append(docs, d)
	}
	return docs
}

func build(t testing.TB, docs []Doc) *segment {
	t.Helper()
	sorted := slices.Clone(docs)
	slices.SortFunc(sorted, func(a, b Doc) int { return strings.Compare(a.Name, b.Name) })
	b := newBuilder()
	for _, d := range sorted {
		if err := b.add(d); err != nil {
			t.Fatal(err)
		}
	}
	return b.finish()
}

func all(v *view, q Query) []refHit {
	e := newEnumerator(v, &q, 3)
	var out []refHit
	for {
		h, ok := e.next()
		if !ok {
			return out
		}
		out = append(out, refHit{id: v.segs[h.seg].id(h.pos), rank: h.rank, score: h.score})
	}
}

func queries(docs []Doc) []string {
	qs := []string{"cat", "ca", "c", "cta", "catt", "hapy", "happy cat", "thumbs up", "thumb sup", "고양이", "고", "고앙이",
		"ㄱㅇㅇ", "ㄱ", "ㄷㅂ", "ㅅㄱㅎㅅㅅㄴㄷ", "ㅋㅋ", "nyaa", "ra-men", "raamen", "🎉", ":tada:", "tada", "👍", ":thumbsup:",
		"party popper", "❤", "❤️", "heart", "zzqqzzqq", "%", "x", "a", "ab", "abc"}
	for _, d := range docs[:min(len(docs), 30)] {
		qs = append(qs, d.Name, d.Name[:len(d.Name)/2+1])
	}
	return qs
}

func compare(t *testing.T, v *view, ref []refDoc, query string) {
	t.Helper()
	q, err := ParseQuery(query)
	if err != nil {
		return
	}
	got, want := all(v, q), refSearch(ref, q)
	if len(got) != len(want) {
		t.Errorf("%q: %d matches, want %d\n got %v\nwant %v", query, len(got), len(want), got[:min(len(got), 10)], want[:min(len(want), 10)])
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%q: match %d is %+v, want %+v", query, i, got[i], want[i])
			return
		}
	}
	// more, which may skip scoring, agrees with counting.
	for n := range min(len(want), 4) + 1 {
		e := newEnumerator(v, &q, 3)
		for range n {
			e.next()
		}
		if got := e.more(); got != (len(want) > n) {
			t.Errorf("%q: more after %d is %v, with %d matches", query, n, got, len(want))
		}
	}
}

func TestIndexAgainstReference(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			docs := randomLibrary(rand.New(rand.NewPCG(seed, 9)), 300+int(seed)*200)
			v := &view{segs: []*segment{build(t, docs)}}
			ref := refPrepare(docs)
			for _, q := range queries(docs) {
				compare(t, v, ref, q)
			}
		})
	}
}

// TestIndexChanges changes, adds and removes stickers through the delta
// and checks the result against the reference over the library as it is
// now.
func TestIndexChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	docs := randomLibrary(rng, 600)
	var ix index
	ix.replace(build(t, docs[:500]))
	live := slices.Clone(docs[:500])
	added := 500
	for round := range 5 {
		var changes []Change
		for range 20 {
			i := rng.IntN(len(live))
			switch rng.IntN(4) {
			case 0: // deleted
				changes = append(changes, Change{ID: live[i].ID, OldName: live[i].Name})
				live = slices.Delete(live, i, i+1)
			case 1: // used
				live[i].Usage += int64(1 + rng.IntN(3))
				d := live[i]
				changes = append(changes, Change{ID: d.ID, Doc: &d})
			case 2: // renamed and retagged
				live[i].Name = fold.Term(live[i].Name + " v" + strconv.Itoa(round) + "." + strconv.FormatInt(live[i].ID, 10))
				live[i].Tags = append(slices.Clone(live[i].Tags), "new", "🎉")
				d := live[i]
				changes = append(changes, Change{ID: d.ID, Doc: &d})
			default: // added
				if added < len(docs) {
					d := docs[added]
					added++
					live = append(live, d)
					changes = append(changes, Change{ID: d.ID, Doc: &d})
				}
			}
		}
		ix.apply(changes)
		v := ix.cur.Load()
		ref := refPrepare(live)
		if v.docs() != len(live) {
			t.Fatalf("round %d: %d documents, want %d", round, v.docs(), len(live))
		}
		for _, q := range append(queries(live), "new", "v1") {
			compare(t, v, ref, q)
		}
	}
}

// TestPlannedBuild: a build planned from the library's size gives the
// same index as an unplanned one, and one whose plan turns out wrong
// still builds right.
func TestPlannedBuild(t *testing.T) {
	docs := randomLibrary(rand.New(rand.NewPCG(3, 3)), 400)
	slices.SortFunc(docs, func(a, b Doc) int { return strings.Compare(a.Name, b.Name) })
	size := LoadSize{Stickers: len(docs), MinID: docs[0].ID, MaxID: docs[0].ID}
	for _, d := range docs {
		size.MinID, size.MaxID = min(size.MinID, d.ID), max(size.MaxID, d.ID)
		size.MaxUsage = max(size.MaxUsage, d.Usage)
		size.NameBytes += len(d.Name)
		size.Tags += len(d.Tags)
		for _, t := range d.Tags {
			size.TagBytes += len(t)
		}
	}
	wrong := size
	wrong.Stickers, wrong.MaxID = 300, docs[0].ID+500
	ref := refPrepare(docs)
	for name, plan := range map[string]*LoadSize{"exact": &size, "wrong": &wrong} {
		b := newBuilder()
		b.reserve(*plan)
		for _, d := range docs {
			if err := b.add(d); err != nil {
				t.Fatal(err)
			}
		}
		v := &view{segs: []*segment{b.finish()}}
		for _, q := range queries(docs) {
			t.Run(name, func(t *testing.T) { compare(t, v, ref, q) })
		}
	}
}

// FuzzQuery searches a small library for anything: no query panics, and
// the index agrees with the reference.
func FuzzQuery(f *testing.F) {
	docs := randomLibrary(rand.New(rand.NewPCG(5, 5)), 200)
	for _, q := range queries(docs) {
		f.Add(q)
	}
	for _, q := range []string{":", "::", ":+1::skin-tone-2:", "\xff", "ㄱ\x00ㅇ", "  ", "a b c d e f g", "ー", "っ"} {
		f.Add(q)
	}
	seg := build(f, docs)
	v := &view{segs: []*segment{seg}}
	ref := refPrepare(docs)
	f.Fuzz(func(t *testing.T, query string) {
		if _, err := ParseQuery(query); err != nil {
			return
		}
		compare(t, v, ref, query)
	})
}
