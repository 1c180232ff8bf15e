package search

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/stickerbot/stickerbot/internal/emoji"
	"github.com/stickerbot/stickerbot/internal/fold"
)

// Doc is what the index knows of a sticker: what ranking needs, no more.
type Doc struct {
	ID    int64
	Name  string   // the folded name, as stickers.name_key holds it
	Tags  []string // as stored; the index folds them
	Usage int64
}

// segment is an immutable index of a set of stickers. Its documents are
// numbered 0…n-1 in name order (byte order of the folded name), so that
// a document's number breaks ties the way the name does, and the names
// starting with a prefix are a range of numbers.
//
// Rank order within a segment is: most used first, then by number; a
// document's key (key) packs both into one integer.
type segment struct {
	n      int
	names  dict   // document i's folded name
	ids    packed // document i's sticker id, less idBase
	idBase int64
	idMax  int64
	usage  packed
	best   rmq // over documents: for prefixes of names

	// Tags, folded, with emoji expanded to their names; each with a
	// posting list of the documents carrying it.
	tags    dict
	tagHead packed // each tag's first document in rank order
	tagBest rmq

	// Initial consonants (초성) of Korean names and tags: each distinct
	// key has a run of refs, a name (document<<1) or a tag (tag<<1 | 1).
	inits    dict // payload: uvarint(first ref)
	initRefs packed
	refs     int
	initBest rmq

	// The dictionary of ASCII words (fold.Key) of names and tags, for
	// typo-tolerant matching. Payload: uvarint(length) and the posting
	// list of the documents whose name has the word, then uvarint(count)
	// and the ascending deltas of the tags that have it.
	words   dict
	wordTri []uint8  // how many distinct trigrams each word has
	triCode []uint16 // the trigrams present, ascending
	triOff  []uint32 // where each trigram's words start in triData
	triData []byte   // ascending deltas of word numbers

	counts sync.Pool // *counting: scratch for nearWords
}

// key is document pos's place in rank order: most used first, then by
// number. Keys are unique within a segment.
func (s *segment) key(pos int32) uint64 {
	return uint64(^s.usageOf(pos))<<32 | uint64(uint32(pos))
}

func (s *segment) usageOf(pos int32) uint32 { return uint32(s.usage.get(int(pos))) }

func (s *segment) id(pos int32) int64 { return s.idBase + int64(s.ids.get(int(pos))) }

// size is the memory the segment holds, in bytes.
func (s *segment) size() int {
	return s.names.size() + s.ids.size() + s.usage.size() + s.best.size() +
		s.tags.size() + s.tagHead.size() + s.tagBest.size() +
		s.inits.size() + s.initRefs.size() + s.initBest.size() +
		s.words.size() + len(s.wordTri) + 2*len(s.triCode) + 4*len(s.triOff) + len(s.triData)
}

type docKeyer struct{ s *segment }

func (k docKeyer) entryKey(i int32) uint64 { return k.s.key(i) }

type tagKeyer struct{ s *segment }

func (k tagKeyer) entryKey(i int32) uint64 { return k.s.key(int32(k.s.tagHead.get(int(i)))) }

type refKeyer struct{ s *segment }

func (k refKeyer) entryKey(i int32) uint64 {
	ref := k.s.initRefs.get(int(i))
	if ref&1 == 0 {
		return k.s.key(int32(ref >> 1))
	}
	return k.s.key(int32(k.s.tagHead.get(int(ref >> 1))))
}

// errOrder is returned when documents do not come in name order.
var errOrder = errors.New("documents out of name order")

// builder builds a segment from documents given in name order, keeping
// only compact temporaries: the whole library passes through it at
// start-up.
type builder struct {
	names    *dictBuilder
	lastName string
	ids      []int64 // sticker ids, unless planned
	usage    []uint32

	// With a plan (reserve), ids and usage go straight into the
	// segment's packed arrays, and the big buffers are in arenas: out
	// for what the segment keeps, the others for what the build needs
	// for a while, each released as soon as it is done with.
	plan                 *LoadSize
	out, tagTmp, wordTmp *arena
	n                    int // documents added
	planned              int // of which in pIDs and pUsage
	pIDs                 packed
	pUsage               packed

	tags     *interner // folded tags, numbered in order of appearance
	tagWords []byte    // per tag: uvarint(count), then word numbers
	docTags  []byte    // per document: uvarint(count), then tag numbers

	words    *interner
	docWords []byte // per document: uvarint(count), then word numbers of its name

	inits    *interner
	initRefs []uint64 // temporary init number << 32 | ref

	scratch []int32
	terms   []string
}

func newBuilder() *builder {
	return &builder{names: newDictBuilder(false), tags: newInterner(), words: newInterner(), inits: newInterner()}
}

// reserve plans the build of a library of the given size: its arrays
// are laid out once, outside the heap, and filled in place.
func (b *builder) reserve(size LoadSize) {
	n := size.Stickers
	b.plan, b.out, b.tagTmp, b.wordTmp = &size, &arena{}, &arena{}, &arena{}
	b.pIDs = newPackedIn(b.out, n, uint64(max(size.MaxID-size.MinID, 0)))
	b.pUsage = newPackedIn(b.out, n, uint64(min(max(size.MaxUsage, 0), math.MaxUint32)))
	// Bounds: a varint of a length or number takes at most three bytes
	// here (names are short; documents and tags fewer than 2²¹), and
	// emoji add a few tags, which the slack covers.
	b.names.d.data = b.out.bytes(size.NameBytes + 4*n + 64)
	b.names.d.blocks = slices.Grow(b.names.d.blocks, n/dictBlock+1)
	b.docTags = b.tagTmp.bytes(n + 3*size.Tags + 1<<16)
	b.tags.arena = b.tagTmp.bytes(size.TagBytes + 1<<16)
	b.docWords = b.wordTmp.bytes(n + 3*(size.NameBytes/2+n) + 1<<16)
}

func (b *builder) add(d Doc) error {
	if b.n > 0 && d.Name <= b.lastName {
		return fmt.Errorf("index %q after %q: %w", d.Name, b.lastName, errOrder)
	}
	if d.Name == "" {
		return errors.New("index a sticker with an empty name")
	}
	b.lastName = d.Name
	pos := b.n
	b.n++
	b.names.add([]byte(d.Name), nil)
	usage := uint32(min(max(d.Usage, 0), math.MaxUint32))
	if p := b.plan; p != nil && pos < p.Stickers && d.ID >= p.MinID && d.ID <= p.MaxID && int64(usage) <= p.MaxUsage {
		b.pIDs.set(pos, uint64(d.ID-p.MinID))
		b.pUsage.set(pos, uint64(usage))
		b.planned++
	} else {
		b.unplan()
		b.ids = append(b.ids, d.ID)
		b.usage = append(b.usage, usage)
	}

	words := b.scratch[:0]
	for w := range strings.FieldsSeq(fold.Key(d.Name)) {
		words = append(words, b.word(w))
	}
	b.docWords = appendSet(b.docWords, words)
	if k, ok := fold.Initials(d.Name); ok {
		b.initRefs = append(b.initRefs, uint64(b.init(k))<<32|uint64(pos)<<1)
	}

	terms := b.terms[:0]
	for _, t := range d.Tags {
		terms = appendTerm(terms, foldTerm(t))
	}
	// A name written with an emoji code (or a variation selector) is
	// found by the emoji too, as a tag.
	if f := emoji.Fold(d.Name); f != d.Name {
		terms = appendTerm(terms, f)
	}
	tags := words[len(words):]
	for _, t := range terms {
		tags = append(tags, b.tag(t))
	}
	b.docTags = appendSet(b.docTags, tags)
	b.scratch, b.terms = words[:0], terms[:0]
	return nil
}

// foldTerm folds a tag (or a query) for comparison: fold.Term, and every
// way of writing an emoji written one way.
func foldTerm(s string) string { return emoji.Fold(fold.Term(s)) }

// unplan goes back to growing ids and usage on the heap, for a library
// that turned out other than planned (it changed between the count and
// the read, which one snapshot rules out, or a caller's plan was wrong).
func (b *builder) unplan() {
	if b.plan == nil {
		return
	}
	p := b.plan
	b.plan = nil
	for pos := range b.planned {
		b.ids = append(b.ids, p.MinID+int64(b.pIDs.get(pos)))
		b.usage = append(b.usage, uint32(b.pUsage.get(pos)))
	}
	b.pIDs, b.pUsage, b.planned = packed{}, packed{}, 0
}

// appendTerm adds a folded tag, and for a single emoji the names it goes
// by (🎉 is also tada and party popper).
func appendTerm(terms []string, t string) []string {
	if t == "" {
		return terms
	}
	if !slices.Contains(terms, t) {
		terms = append(terms, t)
	}
	if names, _, ok := emoji.Lookup(t); ok {
		for _, n := range names {
			if n = foldTerm(n); n != "" && !slices.Contains(terms, n) {
				terms = append(terms, n)
			}
		}
	}
	return terms
}

// appendSet appends the distinct numbers of xs (which it sorts) as a
// count and the numbers.
func appendSet(dst []byte, xs []int32) []byte {
	slices.Sort(xs)
	xs = slices.Compact(xs)
	dst = binary.AppendUvarint(dst, uint64(len(xs)))
	for _, x := range xs {
		dst = binary.AppendUvarint(dst, uint64(x))
	}
	return dst
}

func (b *builder) word(w string) int32 {
	id, _ := b.words.id(w)
	return id
}

func (b *builder) init(k string) int32 {
	id, _ := b.inits.id(k)
	return id
}

func (b *builder) tag(t string) int32 {
	id, added := b.tags.id(t)
	if !added {
		return id
	}
	var words []int32
	for w := range strings.FieldsSeq(fold.Key(t)) {
		words = append(words, b.word(w))
	}
	b.tagWords = appendSet(b.tagWords, words)
	if k, ok := fold.Initials(t); ok {
		b.initRefs = append(b.initRefs, uint64(b.init(k))<<32|uint64(id)<<1|1)
	}
	return id
}

// readSets calls fn with each set appendSet wrote, in order.
func readSets(data []byte, fn func(i int, xs []int32)) {
	var xs []int32
	for i, off := 0, 0; off < len(data); i++ {
		n, o := uvarint(data, off)
		off = o
		xs = xs[:0]
		for range n {
			var x uint64
			x, off = uvarint(data, off)
			xs = append(xs, int32(x))
		}
		fn(i, xs)
	}
}

// invert turns sets of numbers below m, one per owner, into, for each
// number, the ascending list of its owners: start[x]…start[x+1] of the
// returned owners, which are in a.
func invert(a *arena, data []byte, m int) (start []int32, owners []int32) {
	start = make([]int32, m+1)
	readSets(data, func(_ int, xs []int32) {
		for _, x := range xs {
			start[x+1]++
		}
	})
	for i := 1; i <= m; i++ {
		start[i] += start[i-1]
	}
	owners = ints[int32](a, int(start[m]))
	fill := slices.Clone(start[:m])
	readSets(data, func(owner int, xs []int32) {
		for _, x := range xs {
			owners[fill[x]] = int32(owner)
			fill[x]++
		}
	})
	return start, owners
}

func (b *builder) finish() *segment {
	n := b.n
	if b.out == nil {
		b.out, b.tagTmp, b.wordTmp = &arena{}, &arena{}, &arena{}
	}
	s := &segment{n: n, names: b.names.finish()}
	b.names = nil
	if p := b.plan; p != nil && n == p.Stickers {
		s.idBase, s.idMax = p.MinID, p.MaxID
		s.ids, s.usage = b.pIDs, b.pUsage
	} else {
		b.unplan()
		var lo, hi int64
		var maxUsage uint32
		for i, id := range b.ids {
			if i == 0 || id < lo {
				lo = id
			}
			if i == 0 || id > hi {
				hi = id
			}
		}
		for _, u := range b.usage {
			maxUsage = max(maxUsage, u)
		}
		s.idBase, s.idMax = lo, hi
		s.ids = newPacked(n, uint64(hi-lo))
		s.usage = newPacked(n, uint64(maxUsage))
		for i := range n {
			s.ids.set(i, uint64(b.ids[i]-lo))
			s.usage.set(i, uint64(b.usage[i]))
		}
	}
	b.ids, b.usage = nil, nil
	s.best = buildRMQ(n, docKeyer{s})
	s.moveOffHeap(s.docArrays)
	usage := s.usageOf

	tagOrder, tagPlace := b.tags.sorted()
	b.finishTags(s, tagOrder, usage)
	b.finishWords(s, tagPlace, usage)
	b.finishInits(s, tagPlace)
	if out := b.out; len(out.releases) > 0 {
		runtime.AddCleanup(s, func(a *arena) { a.release() }, out)
	}
	return s
}

// finishWords builds the word dictionary: the names and tags that have
// each word, and the trigram index over the words.
func (b *builder) finishWords(s *segment, tagPlace []int32, usage func(int32) uint32) {
	wordOrder, _ := b.words.sorted()
	tmp := &arena{}
	defer tmp.release()
	nameStart, nameDocs := invert(tmp, b.docWords, b.words.len())
	b.docWords = nil
	b.wordTmp.release()
	tagStart, tagsOf := invert(tmp, b.tagWords, b.words.len())
	b.tagWords = nil
	wb := newDictBuilder(true)
	// A posting entry takes at most four bytes, a word's header 16.
	wb.d.data = b.out.bytes(len(b.words.arena) + 16*b.words.len() + 4*(len(nameDocs)+len(tagsOf)))
	s.wordTri = make([]uint8, len(wordOrder))
	var buf, payload []byte
	for place, w := range wordOrder {
		var used []int32
		buf, used = appendPosting(buf[:0], nameDocs[nameStart[w]:nameStart[w+1]], usage, b.scratch)
		b.scratch = used[:0]
		payload = binary.AppendUvarint(payload[:0], uint64(len(buf)))
		payload = append(payload, buf...)
		ts := tagsOf[tagStart[w]:tagStart[w+1]]
		for i, t := range ts {
			ts[i] = tagPlace[t]
		}
		slices.Sort(ts)
		payload = binary.AppendUvarint(payload, uint64(len(ts)))
		prev := int32(-1)
		for _, t := range ts {
			payload = binary.AppendUvarint(payload, uint64(t-prev-1))
			prev = t
		}
		wb.add(b.words.bytes(w), payload)
		s.wordTri[place] = uint8(min(len(trigrams(nil, b.words.bytes(w))), math.MaxUint8))
	}
	nameStart, nameDocs, tagStart, tagsOf = nil, nil, nil, nil
	s.words = wb.finish()
	s.buildTrigrams(b.out, tmp, b.words, wordOrder)
	b.words = nil
	s.moveOffHeap(s.wordArrays)
}

// finishTags builds the tag dictionary with each tag's posting list.
func (b *builder) finishTags(s *segment, tagOrder []int32, usage func(int32) uint32) {
	tmp := &arena{}
	defer tmp.release()
	start, docs := invert(tmp, b.docTags, b.tags.len())
	b.docTags = nil
	tb := newDictBuilder(true)
	tb.d.data = b.out.bytes(len(b.tags.arena) + 16*b.tags.len() + 4*len(docs))
	s.tagHead = newPacked(len(tagOrder), uint64(max(s.n-1, 0)))
	var buf []byte
	for place, t := range tagOrder {
		ps := docs[start[t]:start[t+1]]
		var used []int32
		buf, used = appendPosting(buf[:0], ps, usage, b.scratch)
		b.scratch = used[:0]
		tb.add(b.tags.bytes(t), buf)
		head := ps[0]
		if len(used) > 0 {
			head = used[0]
		}
		s.tagHead.set(place, uint64(head))
	}
	start, docs = nil, nil
	b.tags = nil
	b.tagTmp.release()
	s.tags = tb.finish()
	s.tagBest = buildRMQ(len(tagOrder), tagKeyer{s})
	s.moveOffHeap(s.tagArrays)
}

// finishInits builds the index of Korean initial consonants.
func (b *builder) finishInits(s *segment, tagPlace []int32) {
	initOrder, initPlace := b.inits.sorted()
	for i, r := range b.initRefs {
		ref := r & (1<<32 - 1)
		if ref&1 == 1 {
			ref = uint64(tagPlace[ref>>1])<<1 | 1
		}
		b.initRefs[i] = uint64(initPlace[r>>32])<<32 | ref
	}
	slices.Sort(b.initRefs)
	ib := newDictBuilder(true)
	s.initRefs = newPacked(len(b.initRefs), uint64(max(s.n, len(tagPlace)))<<1|1)
	next := 0
	var buf []byte
	for place, k := range initOrder {
		ib.add(b.inits.bytes(k), binary.AppendUvarint(buf[:0], uint64(next)))
		for next < len(b.initRefs) && int(b.initRefs[next]>>32) == place {
			s.initRefs.set(next, b.initRefs[next]&(1<<32-1))
			next++
		}
	}
	s.inits = ib.finish()
	s.refs = len(b.initRefs)
	b.inits, b.initRefs = nil, nil
	s.initBest = buildRMQ(s.refs, refKeyer{s})
	s.moveOffHeap(s.initArrays)
}

// buildTrigrams indexes each word (numbered by its place in order) under
// each of its trigrams.
func (s *segment) buildTrigrams(out, tmp *arena, words *interner, order []int32) {
	counts := make([]int32, 1<<16)
	var tri []uint16
	for _, w := range order {
		tri = trigrams(tri[:0], words.bytes(w))
		for _, t := range tri {
			counts[t]++
		}
	}
	present := 0
	for _, c := range counts {
		if c > 0 {
			present++
		}
	}
	s.triCode = make([]uint16, 0, present)
	s.triOff = make([]uint32, 0, present+1)
	starts := make([]int32, 1<<16)
	total := int32(0)
	for t, c := range counts {
		if c > 0 {
			s.triCode = append(s.triCode, uint16(t))
			starts[t] = total
			total += c
		}
	}
	members := ints[int32](tmp, int(total))
	for place, w := range order {
		tri = trigrams(tri[:0], words.bytes(w))
		for _, t := range tri {
			members[starts[t]] = int32(place)
			starts[t]++
		}
	}
	data := out.bytes(4 * int(total))
	at := int32(0)
	for _, t := range s.triCode {
		s.triOff = append(s.triOff, uint32(len(data)))
		prev := int32(-1)
		for _, m := range members[at : at+counts[t]] {
			data = binary.AppendUvarint(data, uint64(m-prev-1))
			prev = m
		}
		at += counts[t]
	}
	s.triOff = append(s.triOff, uint32(len(data)))
	s.triData = data
}
