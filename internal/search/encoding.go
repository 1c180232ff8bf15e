package search

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"
)

// The index keeps everything in a few flat, pointer-free arrays so that a
// library of 100,000 stickers costs a few megabytes and the garbage
// collector has nothing to scan: bit-packed integers, front-coded sorted
// dictionaries and varint-coded posting lists.

// packed is an array of unsigned integers of a fixed bit width.
type packed struct {
	width uint8
	words []uint64
}

func newPacked(n int, max uint64) packed {
	return newPackedIn(nil, n, max)
}

// newPackedIn is newPacked in a (nil: on the heap).
func newPackedIn(a *arena, n int, max uint64) packed {
	w := uint8(bits.Len64(max))
	size := (n*int(w)+63)/64 + 1
	if a == nil {
		return packed{width: w, words: make([]uint64, size)}
	}
	return packed{width: w, words: ints[uint64](a, size)}
}

func (p packed) get(i int) uint64 {
	if p.width == 0 {
		return 0
	}
	bit := uint(i) * uint(p.width)
	w, off := bit/64, bit%64
	v := p.words[w] >> off
	if off+uint(p.width) > 64 {
		v |= p.words[w+1] << (64 - off)
	}
	return v & (1<<p.width - 1)
}

func (p packed) set(i int, v uint64) {
	if p.width == 0 {
		return
	}
	bit := uint(i) * uint(p.width)
	w, off := bit/64, bit%64
	mask := uint64(1)<<p.width - 1
	p.words[w] = p.words[w]&^(mask<<off) | v<<off
	if off+uint(p.width) > 64 {
		rest := off + uint(p.width) - 64
		p.words[w+1] = p.words[w+1]&^(1<<rest-1) | v>>(64-off)
	}
}

func (p packed) size() int { return len(p.words) * 8 }

// uvarint decodes a varint at b[off:] and returns it and the offset after it.
func uvarint(b []byte, off int) (uint64, int) {
	if c := b[off]; c < 0x80 {
		return uint64(c), off + 1
	}
	v, n := binary.Uvarint(b[off:])
	return v, off + n
}

// dictBlock is how many entries of a dictionary share a restart point:
// a lookup decodes at most this many keys.
const dictBlock = 16

// dict is a sorted list of distinct byte strings, front-coded (each key
// stores only what differs from the one before it), each optionally with
// a payload.
type dict struct {
	n          int
	hasPayload bool
	blocks     []uint32 // where each block of dictBlock entries starts in data
	data       []byte
}

type dictBuilder struct {
	d    dict
	prev []byte
}

func newDictBuilder(payload bool) *dictBuilder {
	return &dictBuilder{d: dict{hasPayload: payload}}
}

// add appends key, which must sort after the previous one.
func (b *dictBuilder) add(key, payload []byte) {
	d := &b.d
	if d.n%dictBlock == 0 {
		d.blocks = append(d.blocks, uint32(len(d.data)))
		d.data = binary.AppendUvarint(d.data, uint64(len(key)))
		d.data = append(d.data, key...)
	} else {
		shared := 0
		for shared < len(key) && shared < len(b.prev) && key[shared] == b.prev[shared] {
			shared++
		}
		d.data = binary.AppendUvarint(d.data, uint64(shared))
		d.data = binary.AppendUvarint(d.data, uint64(len(key)-shared))
		d.data = append(d.data, key[shared:]...)
	}
	if d.hasPayload {
		d.data = binary.AppendUvarint(d.data, uint64(len(payload)))
		d.data = append(d.data, payload...)
	}
	b.prev = append(b.prev[:0], key...)
	d.n++
}

func (b *dictBuilder) finish() dict {
	b.d.blocks = slices.Clip(b.d.blocks)
	return b.d
}

func (d *dict) size() int { return len(d.data) + 4*len(d.blocks) }

// head returns the first key of block blk, without copying.
func (d *dict) head(blk int) []byte {
	off := int(d.blocks[blk])
	n, off := uvarint(d.data, off)
	return d.data[off : off+int(n)]
}

// dictCursor walks the entries of a dictionary from the start of a block.
type dictCursor struct {
	d       *dict
	i, off  int
	key     []byte
	payload []byte
}

func (d *dict) cursorAt(blk int, buf []byte) dictCursor {
	return dictCursor{d: d, i: blk * dictBlock, off: int(d.blocks[blk]), key: buf[:0]}
}

// next decodes the entry at c.i into c.key and c.payload and moves on.
func (c *dictCursor) next() {
	d := c.d
	if c.i%dictBlock == 0 {
		n, off := uvarint(d.data, c.off)
		c.key = append(c.key[:0], d.data[off:off+int(n)]...)
		c.off = off + int(n)
	} else {
		shared, off := uvarint(d.data, c.off)
		n, off := uvarint(d.data, off)
		c.key = append(c.key[:shared], d.data[off:off+int(n)]...)
		c.off = off + int(n)
	}
	if d.hasPayload {
		n, off := uvarint(d.data, c.off)
		c.payload = d.data[off : off+int(n)]
		c.off = off + int(n)
	}
	c.i++
}

// get returns entry i's key (in buf, which it may grow) and payload.
func (d *dict) get(i int, buf []byte) (key, payload []byte) {
	c := d.cursorAt(i/dictBlock, buf)
	for {
		c.next()
		if c.i > i {
			return c.key, c.payload
		}
	}
}

// seek returns the index of the first key ≥ key, and whether it is equal.
func (d *dict) seek(key []byte, buf []byte) (int, bool) {
	if d.n == 0 {
		return 0, false
	}
	// The last block whose first key is ≤ key holds the answer, or the
	// next block's first entry does.
	blk := max(0, sortSearch(len(d.blocks), func(b int) bool { return bytes.Compare(d.head(b), key) > 0 })-1)
	c := d.cursorAt(blk, buf)
	end := min(d.n, (blk+1)*dictBlock)
	for c.i < end {
		i := c.i
		c.next()
		switch cmp := bytes.Compare(c.key, key); {
		case cmp == 0:
			return i, true
		case cmp > 0:
			return i, false
		}
	}
	return end, false
}

// prefixRange returns the entries that start with prefix: [lo, hi).
func (d *dict) prefixRange(prefix []byte, buf []byte) (lo, hi int) {
	lo, _ = d.seek(prefix, buf)
	// No UTF-8 string holds 0xFF, so prefix+0xFF sorts after every key
	// that starts with prefix and before every other greater key.
	hi, _ = d.seek(append(slices.Clip(prefix), 0xFF), buf)
	return lo, hi
}

// sortSearch is sort.Search without the import's closure cost mattering.
func sortSearch(n int, f func(int) bool) int {
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !f(m) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// A posting list holds documents (positions in a segment) in rank order:
// most used first, then by position (which is name order). It is stored
// as its count, how many of the documents were ever used, the used ones
// as zig-zag deltas (their order is by use, so positions jump both ways)
// and the never used ones, most documents, as ascending deltas: one byte
// or two each.
func appendPosting(dst []byte, pos []int32, usage func(int32) uint32, scratch []int32) ([]byte, []int32) {
	used := scratch[:0]
	for _, p := range pos {
		if usage(p) > 0 {
			used = append(used, p)
		}
	}
	slices.SortFunc(used, func(a, b int32) int {
		if ua, ub := usage(a), usage(b); ua != ub {
			if ua > ub {
				return -1
			}
			return 1
		}
		return int(a - b)
	})
	dst = binary.AppendUvarint(dst, uint64(len(pos)))
	dst = binary.AppendUvarint(dst, uint64(len(used)))
	prev := int64(0)
	for _, p := range used {
		d := int64(p) - prev
		dst = binary.AppendUvarint(dst, uint64(d<<1^d>>63))
		prev = int64(p)
	}
	prev = -1
	for _, p := range pos {
		if usage(p) == 0 {
			dst = binary.AppendUvarint(dst, uint64(int64(p)-prev-1))
			prev = int64(p)
		}
	}
	return dst, used
}

// cursor reads a posting list in order.
type cursor struct {
	b             []byte
	off           int
	used, unused  int
	prev          int64
	unusedStarted bool
}

func openPosting(b []byte) cursor {
	n, off := uvarint(b, 0)
	u, off := uvarint(b, off)
	return cursor{b: b, off: off, used: int(u), unused: int(n - u)}
}

func (c *cursor) next() (int32, bool) {
	if c.used > 0 {
		z, off := uvarint(c.b, c.off)
		c.off = off
		c.used--
		c.prev += int64(z>>1) ^ -int64(z&1)
		return int32(c.prev), true
	}
	if c.unused == 0 {
		return 0, false
	}
	if !c.unusedStarted {
		c.unusedStarted, c.prev = true, -1
	}
	d, off := uvarint(c.b, c.off)
	c.off = off
	c.unused--
	c.prev += int64(d) + 1
	return int32(c.prev), true
}

// rmqFanout is the fan-out of the range-best tree.
const rmqFanout = 16

// rmq finds, among entries lo..hi-1 of a sorted list, the one whose best
// document comes first in rank order, in O(fan-out × depth) steps, with
// about one int32 per 15 entries: levels[0] holds the best entry of each
// run of 16, levels[1] the best of each 16 of those, and so on.
type rmq struct {
	levels [][]int32
}

// keyer gives the rank key of an entry's best document: smaller first.
type keyer interface {
	entryKey(i int32) uint64
}

func buildRMQ(n int, k keyer) rmq {
	var r rmq
	prev := int32(n)
	node := func(level int, x int32) int32 {
		if level < 0 {
			return x
		}
		return r.levels[level][x]
	}
	for level := -1; prev > rmqFanout; level++ {
		next := make([]int32, (prev+rmqFanout-1)/rmqFanout)
		for i := range next {
			best := node(level, int32(i*rmqFanout))
			for x := int32(i*rmqFanout) + 1; x < min(prev, int32((i+1)*rmqFanout)); x++ {
				if c := node(level, x); k.entryKey(c) < k.entryKey(best) {
					best = c
				}
			}
			next[i] = best
		}
		r.levels = append(r.levels, next)
		prev = int32(len(next))
	}
	return r
}

func (r *rmq) size() int {
	n := 0
	for _, l := range r.levels {
		n += 4 * len(l)
	}
	return n
}

// best returns the entry in [lo, hi) with the smallest key, or -1.
func (r *rmq) best(lo, hi int32, k keyer) int32 {
	best, bestKey := int32(-1), uint64(0)
	consider := func(e int32) {
		if key := k.entryKey(e); best < 0 || key < bestKey || key == bestKey && e < best {
			best, bestKey = e, key
		}
	}
	level := -1
	for lo < hi {
		node := func(x int32) int32 {
			if level < 0 {
				return x
			}
			return r.levels[level][x]
		}
		if hi-lo <= 2*rmqFanout || level+1 >= len(r.levels) {
			for x := lo; x < hi; x++ {
				consider(node(x))
			}
			break
		}
		for lo%rmqFanout != 0 {
			consider(node(lo))
			lo++
		}
		for hi%rmqFanout != 0 {
			hi--
			consider(node(hi))
		}
		lo, hi = lo/rmqFanout, hi/rmqFanout
		level++
	}
	return best
}
