package search

import (
	"bytes"
	"hash/maphash"
	"slices"
)

// interner numbers distinct strings 0, 1, 2, … in the order first seen.
// It keeps them in one byte arena with an open-addressing table of
// numbers, about a third of what a Go map of strings costs, which
// matters while a whole library is being indexed.
type interner struct {
	arena []byte
	off   []uint32 // string i is arena[off[i]:off[i+1]]
	slots []int32  // number+1 of the string in each slot; 0 is empty
	seed  maphash.Seed
}

func newInterner() *interner {
	return &interner{off: []uint32{0}, slots: make([]int32, 64), seed: maphash.MakeSeed()}
}

func (t *interner) len() int { return len(t.off) - 1 }

func (t *interner) bytes(i int32) []byte { return t.arena[t.off[i]:t.off[i+1]] }

// id returns s's number, giving it the next one if it is new.
func (t *interner) id(s string) (id int32, added bool) {
	if 2*(t.len()+1) > len(t.slots) {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	for h := maphash.String(t.seed, s) & mask; ; h = (h + 1) & mask {
		x := t.slots[h]
		if x == 0 {
			id := int32(t.len())
			t.arena = append(t.arena, s...)
			t.off = append(t.off, uint32(len(t.arena)))
			t.slots[h] = id + 1
			return id, true
		}
		if string(t.bytes(x-1)) == s {
			return x - 1, false
		}
	}
}

func (t *interner) grow() {
	slots := make([]int32, 2*len(t.slots))
	mask := uint64(len(slots) - 1)
	for i := range int32(t.len()) {
		h := maphash.Bytes(t.seed, t.bytes(i)) & mask
		for slots[h] != 0 {
			h = (h + 1) & mask
		}
		slots[h] = i + 1
	}
	t.slots = slots
}

// sorted returns the numbers in byte order of their strings, and for each
// number its place in that order.
func (t *interner) sorted() (order, place []int32) {
	order = make([]int32, t.len())
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return bytes.Compare(t.bytes(a), t.bytes(b)) })
	place = make([]int32, len(order))
	for p, i := range order {
		place[i] = int32(p)
	}
	return order, place
}
