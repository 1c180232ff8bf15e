package search

import (
	"bytes"
	"math"
	"slices"
)

// view is one state of the index: a base segment, the documents of it
// that are gone (deleted, hidden, or superseded by the delta), and a
// delta segment of the stickers changed since the base was built. A view
// never changes; the index replaces it.
type view struct {
	segs []*segment // the base, then the delta if any
	dead []int32    // sorted document numbers of segs[0] no longer searchable
}

func (v *view) isDead(seg int8, pos int32) bool {
	if seg != 0 || len(v.dead) == 0 {
		return false
	}
	_, found := slices.BinarySearch(v.dead, pos)
	return found
}

// A stream yields the documents of one rank of one alternative of a
// query in one segment, in rank order (score, then the segment's key).
type stream interface {
	next() (pos int32, score float64, ok bool)
}

// entry is a stream's current document in the enumerator's heap, or a
// placeholder for a rank not opened yet (src nil): streams are opened
// only when the ranks before them have run out, so a query whose first
// page is filled by exact matches never computes its fuzzy ones.
type entry struct {
	rank  Rank
	score float64
	seg   int8
	pos   int32
	usage uint32
	alt   int
	src   stream
}

// enumerator yields a query's matches best first, each sticker once, at
// the best rank any alternative of the query gives it. Each match costs
// a few heap operations, whatever the number of matches: the first k
// matches cost O(k log k), not a walk over everything that matches.
type enumerator struct {
	v      *view
	q      *Query
	heap   []entry
	seen   map[uint64]struct{}
	near   map[int][][]nearWord // per alternative, per word
	na, nb []byte
}

func newEnumerator(v *view, q *Query) *enumerator {
	e := &enumerator{v: v, q: q, seen: map[uint64]struct{}{}}
	for i := range q.alts {
		e.push(entry{rank: RankExactName, score: math.Inf(1), alt: i})
	}
	return e
}

// hit is one match: a document of a segment.
type hit struct {
	seg   int8
	pos   int32
	rank  Rank
	score float64
}

// next returns the next match, or false after the last.
func (e *enumerator) next() (hit, bool) {
	for len(e.heap) > 0 {
		top := e.heap[0]
		if top.src == nil {
			e.pop()
			e.open(top.alt, top.rank)
			continue
		}
		if pos, score, ok := top.src.next(); ok {
			s := e.v.segs[top.seg]
			e.heap[0].pos, e.heap[0].score, e.heap[0].usage = pos, score, s.usageOf(pos)
			e.down(0)
		} else {
			e.pop()
		}
		if e.v.isDead(top.seg, top.pos) {
			continue
		}
		k := uint64(uint8(top.seg))<<32 | uint64(uint32(top.pos))
		if _, dup := e.seen[k]; dup {
			continue
		}
		e.seen[k] = struct{}{}
		return hit{seg: top.seg, pos: top.pos, rank: top.rank, score: top.score}, true
	}
	return hit{}, false
}

// open starts rank r of alternative i in every segment and leaves a
// placeholder for the rank after it.
func (e *enumerator) open(i int, r Rank) {
	a := &e.q.alts[i]
	for si, s := range e.v.segs {
		for _, st := range e.streams(s, a, i, r) {
			if pos, score, ok := st.next(); ok {
				e.push(entry{rank: r, score: score, seg: int8(si), pos: pos, usage: s.usageOf(pos), alt: i, src: st})
			}
		}
	}
	if r < RankFuzzy {
		e.push(entry{rank: r + 1, score: math.Inf(1), alt: i})
	}
}

func (e *enumerator) streams(s *segment, a *alt, i int, r Rank) []stream {
	term := []byte(a.term)
	switch r {
	case RankExactName:
		if pos, ok := s.names.seek(term, e.na); ok {
			return []stream{&single{pos: int32(pos)}}
		}
	case RankExactTag:
		if t, ok := s.tags.seek(term, e.na); ok {
			_, payload := s.tags.get(t, e.na)
			return []stream{&postingStream{c: openPosting(payload)}}
		}
	case RankPrefix:
		// Strictly longer names and tags: the equal ones ranked above.
		var out []stream
		lo, hi := s.names.prefixRange(term, e.na)
		if _, eq := s.names.seek(term, e.na); eq {
			lo++
		}
		if lo < hi {
			out = append(out, newRangeStream(s, srcNames, int32(lo), int32(hi)))
		}
		lo, hi = s.tags.prefixRange(term, e.na)
		if _, eq := s.tags.seek(term, e.na); eq {
			lo++
		}
		if lo < hi {
			out = append(out, newRangeStream(s, srcTags, int32(lo), int32(hi)))
		}
		return out
	case RankInitials:
		if a.initials == "" {
			return nil
		}
		lo, hi := s.inits.prefixRange([]byte(a.initials), e.na)
		if lo < hi {
			return []stream{newRangeStream(s, srcRefs, s.refStart(lo), s.refStart(hi))}
		}
	case RankFuzzy:
		if a.own == 0 {
			return nil
		}
		if e.near == nil {
			e.near = map[int][][]nearWord{}
		}
		near, ok := e.near[i]
		if !ok {
			for _, w := range a.words {
				near = append(near, nearWords(e.v.segs, w))
			}
			e.near[i] = near
		}
		if a.own == 1 {
			return []stream{newLevelStream(s, near[0])}
		}
		return []stream{newListStream(s, near, a.own)}
	}
	return nil
}

// refStart is where the refs of initials key number k start.
func (s *segment) refStart(k int) int32 {
	if k >= s.inits.n {
		return int32(s.refs)
	}
	_, payload := s.inits.get(k, nil)
	v, _ := uvarint(payload, 0)
	return int32(v)
}

func (e *enumerator) less(a, b *entry) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	if a.score != b.score {
		return a.score > b.score
	}
	if (a.src == nil) != (b.src == nil) {
		return a.src == nil
	}
	if a.src == nil {
		return a.alt < b.alt
	}
	if a.usage != b.usage {
		return a.usage > b.usage
	}
	if a.seg == b.seg {
		return a.pos < b.pos
	}
	e.na, _ = e.v.segs[a.seg].names.get(int(a.pos), e.na)
	e.nb, _ = e.v.segs[b.seg].names.get(int(b.pos), e.nb)
	if c := bytes.Compare(e.na, e.nb); c != 0 {
		return c < 0
	}
	return a.seg < b.seg
}

func (e *enumerator) push(x entry) {
	e.heap = append(e.heap, x)
	i := len(e.heap) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !e.less(&e.heap[i], &e.heap[p]) {
			break
		}
		e.heap[i], e.heap[p] = e.heap[p], e.heap[i]
		i = p
	}
}

func (e *enumerator) pop() {
	last := len(e.heap) - 1
	e.heap[0] = e.heap[last]
	e.heap = e.heap[:last]
	if last > 0 {
		e.down(0)
	}
}

func (e *enumerator) down(i int) {
	n := len(e.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && e.less(&e.heap[r], &e.heap[l]) {
			m = r
		}
		if !e.less(&e.heap[m], &e.heap[i]) {
			return
		}
		e.heap[i], e.heap[m] = e.heap[m], e.heap[i]
		i = m
	}
}

// single yields one document: the sticker with exactly the name.
type single struct {
	pos  int32
	done bool
}

func (s *single) next() (int32, float64, bool) {
	if s.done {
		return 0, 0, false
	}
	s.done = true
	return s.pos, 1, true
}

// postingStream yields a posting list: the stickers with exactly a tag.
type postingStream struct{ c cursor }

func (p *postingStream) next() (int32, float64, bool) {
	pos, ok := p.c.next()
	return pos, 1, ok
}

// What a range stream ranges over.
const (
	srcNames = iota // documents, by name
	srcTags         // tags, each with its posting list
	srcRefs         // initials refs: a name or a tag
)

// rangeStream yields, in rank order, the documents of a range of sorted
// entries (names or tags starting with a prefix, say), however many:
// a heap holds subranges, each keyed by its best entry's best document
// (found by the range-best tree), and the posting lists of the entries
// already reached; each document costs a pop and two range-best lookups.
type rangeStream struct {
	s    *segment
	kind int
	h    []rsItem
}

type rsItem struct {
	key          uint64
	lo, hi, best int32 // a subrange and its best entry
	pos          int32 // a posting list's current document
	c            cursor
	isCursor     bool
}

func newRangeStream(s *segment, kind int, lo, hi int32) *rangeStream {
	r := &rangeStream{s: s, kind: kind}
	r.pushRange(lo, hi)
	return r
}

func (r *rangeStream) keyer() (*rmq, keyer) {
	switch r.kind {
	case srcNames:
		return &r.s.best, docKeyer{r.s}
	case srcTags:
		return &r.s.tagBest, tagKeyer{r.s}
	}
	return &r.s.initBest, refKeyer{r.s}
}

func (r *rangeStream) pushRange(lo, hi int32) {
	if lo >= hi {
		return
	}
	t, k := r.keyer()
	b := t.best(lo, hi, k)
	r.push(rsItem{key: k.entryKey(b), lo: lo, hi: hi, best: b})
}

// source returns entry i's best document and, for a tag, its posting
// list.
func (r *rangeStream) source(i int32) (int32, []byte) {
	s := r.s
	switch r.kind {
	case srcNames:
		return i, nil
	case srcTags:
		_, p := s.tags.get(int(i), nil)
		return int32(s.tagHead.get(int(i))), p
	}
	ref := s.initRefs.get(int(i))
	if ref&1 == 0 {
		return int32(ref >> 1), nil
	}
	t := int(ref >> 1)
	_, p := s.tags.get(t, nil)
	return int32(s.tagHead.get(t)), p
}

func (r *rangeStream) next() (int32, float64, bool) {
	if len(r.h) == 0 {
		return 0, 0, false
	}
	top := r.h[0]
	r.pop()
	if top.isCursor {
		if pos, ok := top.c.next(); ok {
			r.push(rsItem{key: r.s.key(pos), pos: pos, c: top.c, isCursor: true})
		}
		return top.pos, 1, true
	}
	head, posting := r.source(top.best)
	r.pushRange(top.lo, top.best)
	r.pushRange(top.best+1, top.hi)
	if posting != nil {
		c := openPosting(posting)
		c.next() // the head
		if pos, ok := c.next(); ok {
			r.push(rsItem{key: r.s.key(pos), pos: pos, c: c, isCursor: true})
		}
	}
	return head, 1, true
}

func (r *rangeStream) push(x rsItem) {
	r.h = append(r.h, x)
	i := len(r.h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if r.h[i].key >= r.h[p].key {
			break
		}
		r.h[i], r.h[p] = r.h[p], r.h[i]
		i = p
	}
}

func (r *rangeStream) pop() {
	last := len(r.h) - 1
	r.h[0] = r.h[last]
	r.h = r.h[:last]
	for i := 0; ; {
		l := 2*i + 1
		if l >= last {
			return
		}
		m := l
		if l+1 < last && r.h[l+1].key < r.h[l].key {
			m = l + 1
		}
		if r.h[m].key >= r.h[i].key {
			return
		}
		r.h[i], r.h[m] = r.h[m], r.h[i]
		i = m
	}
}

// curHeap merges posting lists by key.
type curHeap []curItem

type curItem struct {
	key   uint64
	pos   int32
	c     cursor
	label int     // which query word (for multi-word queries)
	sim   float32 // the near word's similarity
}

func (h *curHeap) add(s *segment, c cursor, label int, sim float32) {
	if pos, ok := c.next(); ok {
		h.push(curItem{key: s.key(pos), pos: pos, c: c, label: label, sim: sim})
	}
}

func (h *curHeap) push(x curItem) {
	*h = append(*h, x)
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if a[i].key >= a[p].key {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

// take returns the smallest item and advances its cursor.
func (h *curHeap) take(s *segment) curItem {
	a := *h
	top := a[0]
	if pos, ok := a[0].c.next(); ok {
		a[0].pos, a[0].key = pos, s.key(pos)
	} else {
		last := len(a) - 1
		a[0] = a[last]
		a = a[:last]
		*h = a
	}
	for i := 0; ; {
		l := 2*i + 1
		if l >= len(a) {
			break
		}
		m := l
		if l+1 < len(a) && a[l+1].key < a[l].key {
			m = l + 1
		}
		if a[m].key >= a[i].key {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	return top
}

// wordPostings opens the posting lists of the documents that have word w
// of segment s: the names with it, then each tag with it.
func (s *segment) wordPostings(w int, fn func(cursor)) {
	_, payload := s.words.get(w, nil)
	n, off := uvarint(payload, 0)
	fn(openPosting(payload[off : off+int(n)]))
	off += int(n)
	count, off := uvarint(payload, off)
	t := int64(-1)
	for range count {
		var d uint64
		d, off = uvarint(payload, off)
		t += int64(d) + 1
		_, p := s.tags.get(int(t), nil)
		fn(openPosting(p))
	}
}

// levelStream yields the typo matches of a one-word query: the stickers
// with its nearest word first, and so on; each level (the near words of
// one similarity) is a merge of their posting lists in rank order.
type levelStream struct {
	s      *segment
	levels [][]int // word numbers in s, one level per similarity
	scores []float64
	li     int
	h      curHeap
}

func newLevelStream(s *segment, near []nearWord) *levelStream {
	l := &levelStream{s: s}
	var buf []byte
	for i, n := range near {
		w, ok := s.words.seek([]byte(n.word), buf)
		if !ok {
			continue
		}
		score := float64(n.sim)
		if i == 0 || len(l.scores) == 0 || l.scores[len(l.scores)-1] != score {
			l.levels = append(l.levels, nil)
			l.scores = append(l.scores, score)
		}
		l.levels[len(l.levels)-1] = append(l.levels[len(l.levels)-1], w)
	}
	return l
}

func (l *levelStream) next() (int32, float64, bool) {
	for len(l.h) == 0 {
		if l.li >= len(l.levels) {
			return 0, 0, false
		}
		for _, w := range l.levels[l.li] {
			l.s.wordPostings(w, func(c cursor) { l.h.add(l.s, c, 0, 0) })
		}
		l.li++
	}
	it := l.h.take(l.s)
	return it.pos, l.scores[l.li-1], true
}

// listStream yields the typo matches of a query of several words, whose
// score depends on all of them: every sticker with a near word of any is
// scored (in one merge of the posting lists in rank order, so a
// sticker's words all arrive together) and the ones that qualify sorted.
// Unlike the other ranks, this costs in proportion to the stickers the
// near words are on; it runs only when nothing before it fills the page.
type listStream struct {
	items []scored
	i     int
}

type scored struct {
	pos   int32
	key   uint64
	score float64
}

func newListStream(s *segment, near [][]nearWord, own int) *listStream {
	var h curHeap
	var buf []byte
	for label, ns := range near {
		for _, n := range ns {
			if w, ok := s.words.seek([]byte(n.word), buf); ok {
				s.wordPostings(w, func(c cursor) { h.add(s, c, label, n.sim) })
			}
		}
	}
	best := make([]float32, len(near))
	l := &listStream{}
	finish := func(pos int32) {
		var sum float32
		for _, b := range best[:own] {
			sum += b
		}
		score := float64(sum) / float64(own)
		if len(best) > own {
			score = max(score, float64(best[own]))
		}
		if score >= minFuzzyScore {
			l.items = append(l.items, scored{pos: pos, key: s.key(pos), score: score})
		}
		clear(best)
	}
	cur := int32(-1)
	for len(h) > 0 {
		it := h.take(s)
		if it.pos != cur && cur >= 0 {
			finish(cur)
		}
		cur = it.pos
		best[it.label] = max(best[it.label], it.sim)
	}
	if cur >= 0 {
		finish(cur)
	}
	slices.SortFunc(l.items, func(a, b scored) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		if a.key < b.key {
			return -1
		}
		return 1
	})
	return l
}

func (l *listStream) next() (int32, float64, bool) {
	if l.i >= len(l.items) {
		return 0, 0, false
	}
	it := l.items[l.i]
	l.i++
	return it.pos, it.score, true
}
