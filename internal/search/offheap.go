package search

import (
	"runtime"
	"unsafe"
)

// A base segment of a large library is moved out of the garbage-collected
// heap once built. It holds no pointers, so the collector has nothing to
// do with it, but on the heap it would count towards the heap's size: with
// the default GOGC the heap is allowed to grow to twice what is live, so
// every megabyte of index would cost two of memory. Outside, it costs
// what it is.

// offHeapMin is the size of segment worth moving: small ones (the delta)
// stay on the heap.
const offHeapMin = 64 << 10

type word interface {
	~uint8 | ~uint16 | ~uint32 | ~int32 | ~uint64
}

// relocation lays a segment's arrays out in one region: a first pass
// adds up their sizes, a second copies them.
type relocation struct {
	sizing bool
	total  int
	buf    []byte
	off    int
}

func move[T word](r *relocation, s *[]T) {
	if len(*s) == 0 {
		return
	}
	n := (len(*s)*int(unsafe.Sizeof((*s)[0])) + 7) &^ 7
	if r.sizing {
		r.total += n
		return
	}
	dst := unsafe.Slice((*T)(unsafe.Pointer(&r.buf[r.off])), len(*s))
	copy(dst, *s)
	*s = dst
	r.off += n
}

// Parts of a segment, moved as soon as each is built so that the build
// never holds two copies of much.

// The arrays built on the heap; the largest (names, ids, usage, the
// posting lists, the trigram lists) are built in the segment's arena.

func (s *segment) docArrays(r *relocation) {
	move(r, &s.names.blocks)
	moveRMQ(r, &s.best)
}

func (s *segment) tagArrays(r *relocation) {
	move(r, &s.tags.blocks)
	move(r, &s.tagHead.words)
	moveRMQ(r, &s.tagBest)
}

func (s *segment) wordArrays(r *relocation) {
	move(r, &s.words.blocks)
	move(r, &s.wordTri)
	move(r, &s.triCode)
	move(r, &s.triOff)
}

func (s *segment) initArrays(r *relocation) {
	move(r, &s.inits.data)
	move(r, &s.inits.blocks)
	move(r, &s.initRefs.words)
	moveRMQ(r, &s.initBest)
}

func moveRMQ(r *relocation, t *rmq) {
	for i := range t.levels {
		move(r, &t.levels[i])
	}
}

// moveOffHeap moves some of the segment's arrays (those arrays lists)
// into memory of their own, released when the segment is no longer
// reachable: a search holds the view (and so the segment) for as long as
// it reads it.
func (s *segment) moveOffHeap(arrays func(*relocation)) {
	r := &relocation{sizing: true}
	arrays(r)
	if r.total < offHeapMin {
		return
	}
	buf, release := mapMemory(r.total)
	if buf == nil {
		return
	}
	r.sizing, r.buf = false, buf
	arrays(r)
	runtime.AddCleanup(s, func(release func()) { release() }, release)
}

// arena hands out buffers outside the heap, each mapped at a bound on
// what it will hold: only the pages written to take memory, so a bound
// far above the need costs nothing, and nothing is copied as it fills.
// A buffer that overflows its bound is grown by append, onto the heap:
// slower, not wrong.
type arena struct {
	releases []func()
}

// bytes returns an empty buffer with room for n bytes.
func (a *arena) bytes(n int) []byte {
	if n < offHeapMin {
		return make([]byte, 0, n)
	}
	buf, release := mapMemory(n)
	if buf == nil {
		return make([]byte, 0, n)
	}
	a.releases = append(a.releases, release)
	return buf[:0]
}

// ints returns n zeroed integers.
func ints[T word](a *arena, n int) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	b := a.bytes(n * size)
	if n == 0 || cap(b) < n*size {
		return make([]T, n)
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// release unmaps every buffer; none may be used after.
func (a *arena) release() {
	for _, r := range a.releases {
		r()
	}
	a.releases = nil
}
