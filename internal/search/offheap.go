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

func (s *segment) docArrays(r *relocation) {
	move(r, &s.names.data)
	move(r, &s.names.blocks)
	move(r, &s.ids.words)
	move(r, &s.usage.words)
	moveRMQ(r, &s.best)
}

func (s *segment) tagArrays(r *relocation) {
	move(r, &s.tags.data)
	move(r, &s.tags.blocks)
	move(r, &s.tagHead.words)
	moveRMQ(r, &s.tagBest)
}

func (s *segment) wordArrays(r *relocation) {
	move(r, &s.words.data)
	move(r, &s.words.blocks)
	move(r, &s.wordTri)
	move(r, &s.triCode)
	move(r, &s.triOff)
	move(r, &s.triData)
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
