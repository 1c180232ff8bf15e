package search

import (
	"bytes"
	"math"
	"math/bits"
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
	seen   seenSet
	near   map[int][][]nearWord // per alternative, per word
	want   int                  // how many matches the caller will take, at most (a hint)
	na, nb []byte
}

func newEnumerator(v *view, q *Query, want int) *enumerator {
	e := &enumerator{v: v, q: q, want: want}
	for i := range q.alts {
		e.push(entry{rank: RankExactName, score: math.Inf(1), alt: i})
	}
	return e
}

// seenSet holds the documents an enumerator has returned: a few (a page)
// in a slice, more in a map.
type seenSet struct {
	few  []uint64
	many map[uint64]struct{}
}

func (s *seenSet) has(k uint64) bool {
	if s.many != nil {
		_, ok := s.many[k]
		return ok
	}
	return slices.Contains(s.few, k)
}

// add adds k and reports whether it was new.
func (s *seenSet) add(k uint64) bool {
	if s.has(k) {
		return false
	}
	if s.many == nil && len(s.few) < 32 {
		s.few = append(s.few, k)
		return true
	}
	if s.many == nil {
		s.many = make(map[uint64]struct{}, 64)
		for _, x := range s.few {
			s.many[x] = struct{}{}
		}
	}
	s.many[k] = struct{}{}
	return true
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
		if !e.seen.add(k) {
			continue
		}
		return hit{seg: top.seg, pos: top.pos, rank: top.rank, score: top.score}, true
	}
	return hit{}, false
}

// more reports whether next would return another match, cheaply: it
// decides a query of several words has typo matches without scoring them
// all, when one near word alone scores enough.
func (e *enumerator) more() bool {
	for len(e.heap) > 0 {
		top := e.heap[0]
		if top.src != nil {
			if !e.v.isDead(top.seg, top.pos) {
				if !e.seen.has(uint64(uint8(top.seg))<<32 | uint64(uint32(top.pos))) {
					return true
				}
			}
			if pos, score, ok := top.src.next(); ok {
				e.heap[0].pos, e.heap[0].score, e.heap[0].usage = pos, score, e.v.segs[top.seg].usageOf(pos)
				e.down(0)
			} else {
				e.pop()
			}
			continue
		}
		if a := &e.q.alts[top.alt]; top.rank == RankFuzzy && a.own > 1 && e.surelyFuzzy(top.alt) {
			return true
		}
		e.pop()
		e.open(top.alt, top.rank)
	}
	return false
}

// surelyFuzzy reports that alternative i (of several words) has a typo
// match not yet returned, when that is easy to tell: a near word that
// scores enough on its own is on a sticker not returned yet. False means
// the matches must be scored to tell.
func (e *enumerator) surelyFuzzy(i int) bool {
	a := &e.q.alts[i]
	var buf []byte
	for label := range a.words {
		ns := e.nearWord(i, a, label)
		for _, n := range ns {
			score := float64(n.sim) / float64(a.own)
			if label == a.own {
				score = float64(n.sim)
			}
			if score < minFuzzyScore {
				continue
			}
			for si, s := range e.v.segs {
				w, ok := s.words.seek([]byte(n.word), buf)
				if !ok {
					continue
				}
				found := false
				s.wordPostings(w, func(c cursor) {
					for pos, ok := c.next(); ok && !found; pos, ok = c.next() {
						found = !e.seen.has(uint64(uint8(si))<<32|uint64(uint32(pos))) && !e.v.isDead(int8(si), pos)
					}
				})
				if found {
					return true
				}
			}
		}
	}
	return false
}

// nearFor returns the near words of each word of alternative i.
func (e *enumerator) nearFor(i int, a *alt) [][]nearWord {
	near := make([][]nearWord, len(a.words))
	for label := range a.words {
		near[label] = e.nearWord(i, a, label)
	}
	return near
}

// nearWord returns the near words of word label of alternative i,
// looked up once: it is the costly part of a typo match.
func (e *enumerator) nearWord(i int, a *alt, label int) []nearWord {
	if e.near == nil {
		e.near = map[int][][]nearWord{}
	}
	near := e.near[i]
	if near == nil {
		near = make([][]nearWord, len(a.words))
		e.near[i] = near
	}
	if near[label] == nil {
		near[label] = nearWords(e.v.segs, a.words[label])
		if near[label] == nil {
			near[label] = []nearWord{}
		}
	}
	return near[label]
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
		near := e.nearFor(i, a)
		if a.own == 1 {
			return []stream{newLevelStream(s, near[0])}
		}
		return []stream{newListStream(s, near, a.own, e.want)}
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
	buf  []byte
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
		var p []byte
		r.buf, p = s.tags.get(int(i), r.buf)
		return int32(s.tagHead.get(int(i))), p
	}
	ref := s.initRefs.get(int(i))
	if ref&1 == 0 {
		return int32(ref >> 1), nil
	}
	t := int(ref >> 1)
	var p []byte
	r.buf, p = s.tags.get(t, r.buf)
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
	var buf [64]byte
	key, payload := s.words.get(w, buf[:0])
	n, off := uvarint(payload, 0)
	fn(openPosting(payload[off : off+int(n)]))
	off += int(n)
	count, off := uvarint(payload, off)
	t := int64(-1)
	for range count {
		var d uint64
		d, off = uvarint(payload, off)
		t += int64(d) + 1
		var p []byte
		key, p = s.tags.get(int(t), key)
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
// scored and the best want kept. Unlike the other ranks this costs in
// proportion to the stickers the near words are on (a few nanoseconds
// each: their posting lists are decoded into one array, sorted by
// document with a radix sort and scored in one pass); it runs only when
// nothing before it fills the page, and Nth's "is there another?" does
// not run it (see enumerator.more). A caller wanting more than it kept
// gets them from a second, larger selection.
type listStream struct {
	s     *segment
	near  [][]nearWord
	own   int
	want  int
	items []scored // the best, best first
	taken int      // of items already yielded
	short bool     // more qualified than items holds
}

type scored struct {
	key   uint64
	pos   int32
	score float64
}

func (a scored) before(b scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.key < b.key
}

func newListStream(s *segment, near [][]nearWord, own, want int) *listStream {
	// Stickers returned by earlier ranks come again here and are skipped:
	// fewer than want of them.
	l := &listStream{s: s, near: near, own: own, want: 2*want + 8}
	l.pick()
	return l
}

// pick keeps the best l.want matches in l.items.
func (l *listStream) pick() {
	s, near, own := l.s, l.near, l.own
	// One entry per posting: document << 16 | label (the query word) << 8
	// | the near word's place in its list.
	var words [][2]int
	total := 0
	var buf []byte
	for label, ns := range near {
		for j, n := range ns {
			if w, ok := s.words.seek([]byte(n.word), buf); ok {
				words = append(words, [2]int{w, label<<8 | j})
				s.wordPostings(w, func(c cursor) { total += c.used + c.unused })
			}
		}
	}
	entries := make([]uint64, 0, total)
	for _, w := range words {
		s.wordPostings(w[0], func(c cursor) {
			for pos, ok := c.next(); ok; pos, ok = c.next() {
				entries = append(entries, uint64(pos)<<16|uint64(w[1]))
			}
		})
	}
	entries = radixSort(entries, 16, s.n)
	// A bounded heap, worst on top, of the best so far.
	h := make([]scored, 0, min(l.want, 1024))
	worse := func(a, b scored) bool { return b.before(a) }
	best := make([]float32, len(near))
	l.short = false
	for i := 0; i < len(entries); {
		pos := int32(entries[i] >> 16)
		clear(best)
		for ; i < len(entries) && int32(entries[i]>>16) == pos; i++ {
			label, j := int(entries[i]>>8&0xFF), int(entries[i]&0xFF)
			best[label] = max(best[label], near[label][j].sim)
		}
		var sum float32
		for _, b := range best[:own] {
			sum += b
		}
		score := float64(sum) / float64(own)
		if len(best) > own {
			score = max(score, float64(best[own]))
		}
		if score < minFuzzyScore {
			continue
		}
		c := scored{key: s.key(pos), pos: pos, score: score}
		if len(h) < l.want {
			h = append(h, c)
			heapUp(h, len(h)-1, worse)
			continue
		}
		l.short = true
		if c.before(h[0]) {
			h[0] = c
			heapDown(h, 0, worse)
		}
	}
	slices.SortFunc(h, func(a, b scored) int {
		if a.before(b) {
			return -1
		}
		return 1
	})
	l.items = h
}

func (l *listStream) next() (int32, float64, bool) {
	if l.taken == len(l.items) {
		if !l.short {
			return 0, 0, false
		}
		l.want *= 8
		l.pick()
		if l.taken >= len(l.items) {
			return 0, 0, false
		}
	}
	it := l.items[l.taken]
	l.taken++
	return it.pos, it.score, true
}

func heapUp(h []scored, i int, less func(a, b scored) bool) {
	for i > 0 {
		p := (i - 1) / 2
		if !less(h[i], h[p]) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func heapDown(h []scored, i int, less func(a, b scored) bool) {
	for {
		c := 2*i + 1
		if c >= len(h) {
			return
		}
		if c+1 < len(h) && less(h[c+1], h[c]) {
			c++
		}
		if !less(h[c], h[i]) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// radixSort sorts xs by their bits from shift up, which hold numbers
// below n, least significant digit first.
func radixSort(xs []uint64, shift uint, n int) []uint64 {
	const digit = 11
	tmp := make([]uint64, len(xs))
	for lo := shift; lo < shift+uint(bits.Len(uint(n))); lo += digit {
		var count [1<<digit + 1]int
		for _, x := range xs {
			count[(x>>lo)&(1<<digit-1)+1]++
		}
		for i := 1; i < len(count); i++ {
			count[i] += count[i-1]
		}
		for _, x := range xs {
			d := (x >> lo) & (1<<digit - 1)
			tmp[count[d]] = x
			count[d]++
		}
		xs, tmp = tmp, xs
	}
	return xs
}
