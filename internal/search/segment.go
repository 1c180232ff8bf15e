package search

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

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
	ids      []int64
	usage    []uint32

	tagID    map[string]int32 // folded tag → temporary number
	tagTerms []string
	tagWords []byte // per tag: uvarint(count), then word numbers
	docTags  []byte // per document: uvarint(count), then tag numbers

	wordID   map[string]int32
	wordList []string
	docWords []byte // per document: uvarint(count), then word numbers of its name

	initID   map[string]int32
	initList []string
	initRefs []uint64 // temporary init number << 32 | ref

	scratch []int32
	terms   []string
}

func newBuilder() *builder {
	return &builder{
		names:  newDictBuilder(false),
		tagID:  map[string]int32{},
		wordID: map[string]int32{},
		initID: map[string]int32{},
	}
}

func (b *builder) add(d Doc) error {
	if len(b.ids) > 0 && d.Name <= b.lastName {
		return fmt.Errorf("index %q after %q: %w", d.Name, b.lastName, errOrder)
	}
	if d.Name == "" {
		return errors.New("index a sticker with an empty name")
	}
	b.lastName = d.Name
	pos := len(b.ids)
	b.names.add([]byte(d.Name), nil)
	b.ids = append(b.ids, d.ID)
	b.usage = append(b.usage, uint32(min(max(d.Usage, 0), math.MaxUint32)))

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
	if id, ok := b.wordID[w]; ok {
		return id
	}
	id := int32(len(b.wordList))
	b.wordID[w] = id
	b.wordList = append(b.wordList, w)
	return id
}

func (b *builder) init(k string) int32 {
	if id, ok := b.initID[k]; ok {
		return id
	}
	id := int32(len(b.initList))
	b.initID[k] = id
	b.initList = append(b.initList, k)
	return id
}

func (b *builder) tag(t string) int32 {
	if id, ok := b.tagID[t]; ok {
		return id
	}
	id := int32(len(b.tagTerms))
	b.tagID[t] = id
	b.tagTerms = append(b.tagTerms, t)
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
// returned owners.
func invert(data []byte, m int) (start []int32, owners []int32) {
	start = make([]int32, m+1)
	readSets(data, func(_ int, xs []int32) {
		for _, x := range xs {
			start[x+1]++
		}
	})
	for i := 1; i <= m; i++ {
		start[i] += start[i-1]
	}
	owners = make([]int32, start[m])
	fill := slices.Clone(start[:m])
	readSets(data, func(owner int, xs []int32) {
		for _, x := range xs {
			owners[fill[x]] = int32(owner)
			fill[x]++
		}
	})
	return start, owners
}

// sortedOrder returns the numbers of list in the byte order of their
// strings, and for each number its place in that order.
func sortedOrder(list []string) (order, place []int32) {
	order = make([]int32, len(list))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(list[a], list[b]) })
	place = make([]int32, len(list))
	for p, i := range order {
		place[i] = int32(p)
	}
	return order, place
}

func (b *builder) finish() *segment {
	n := len(b.ids)
	s := &segment{n: n, names: b.names.finish()}
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
	b.ids = nil
	s.best = buildRMQ(n, docKeyer{s})
	usage := func(p int32) uint32 { return b.usage[p] }

	// Tags, in byte order, with their posting lists.
	tagOrder, tagPlace := sortedOrder(b.tagTerms)
	start, docs := invert(b.docTags, len(b.tagTerms))
	b.docTags = nil
	tb := newDictBuilder(true)
	s.tagHead = newPacked(len(tagOrder), uint64(max(n-1, 0)))
	var buf []byte
	for place, t := range tagOrder {
		ps := docs[start[t]:start[t+1]]
		var used []int32
		buf, used = appendPosting(buf[:0], ps, usage, b.scratch)
		b.scratch = used[:0]
		tb.add([]byte(b.tagTerms[t]), buf)
		head := ps[0]
		if len(used) > 0 {
			head = used[0]
		}
		s.tagHead.set(place, uint64(head))
	}
	s.tags = tb.finish()
	s.tagBest = buildRMQ(len(tagOrder), tagKeyer{s})
	start, docs = nil, nil

	// Words: the names and tags that have each.
	wordOrder, _ := sortedOrder(b.wordList)
	nameStart, nameDocs := invert(b.docWords, len(b.wordList))
	b.docWords = nil
	tagStart, tagsOf := invert(b.tagWords, len(b.wordList))
	b.tagWords = nil
	wb := newDictBuilder(true)
	s.wordTri = make([]uint8, len(wordOrder))
	var payload []byte
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
		wb.add([]byte(b.wordList[w]), payload)
		s.wordTri[place] = uint8(min(len(trigrams(nil, b.wordList[w])), math.MaxUint8))
	}
	s.words = wb.finish()
	nameStart, nameDocs, tagStart, tagsOf = nil, nil, nil, nil
	s.buildTrigrams(b.wordList, wordOrder)

	// Initial consonants.
	initOrder, initPlace := sortedOrder(b.initList)
	for i, r := range b.initRefs {
		ref := r & (1<<32 - 1)
		if ref&1 == 1 {
			ref = uint64(tagPlace[ref>>1])<<1 | 1
		}
		b.initRefs[i] = uint64(initPlace[r>>32])<<32 | ref
	}
	slices.Sort(b.initRefs)
	ib := newDictBuilder(true)
	s.initRefs = newPacked(len(b.initRefs), uint64(max(n, len(tagOrder)))<<1|1)
	next := 0
	for place, k := range initOrder {
		ib.add([]byte(b.initList[k]), binary.AppendUvarint(buf[:0], uint64(next)))
		for next < len(b.initRefs) && int(b.initRefs[next]>>32) == place {
			s.initRefs.set(next, b.initRefs[next]&(1<<32-1))
			next++
		}
	}
	s.inits = ib.finish()
	s.refs = len(b.initRefs)
	s.initBest = buildRMQ(len(b.initRefs), refKeyer{s})
	return s
}

// buildTrigrams indexes each word (numbered by its place in order) under
// each of its trigrams.
func (s *segment) buildTrigrams(list []string, order []int32) {
	counts := make([]int32, 1<<16)
	var tri []uint16
	for _, w := range order {
		tri = trigrams(tri[:0], list[w])
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
	members := make([]int32, total)
	for place, w := range order {
		tri = trigrams(tri[:0], list[w])
		for _, t := range tri {
			members[starts[t]] = int32(place)
			starts[t]++
		}
	}
	var data []byte
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
	s.triData = slices.Clip(data)
}
