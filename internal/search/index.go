package search

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// index is the searchable library in memory. Searches read its current
// view without locks; a change builds the next view (a new delta
// segment, a longer list of dead base documents) and swaps it in, so a
// search never waits for a writer and never sees half a change.
type index struct {
	cur atomic.Pointer[view]

	mu    sync.Mutex    // writers, one at a time
	delta map[int64]Doc // what the current delta segment holds, by sticker id
}

// replace makes base (built from the whole library) the index, with no
// delta.
func (ix *index) replace(base *segment) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.delta = map[int64]Doc{}
	ix.cur.Store(&view{segs: []*segment{base}})
}

// apply brings the index up to date with changes: a Doc is the sticker
// as it now is, a nil Doc a sticker gone. It returns how many documents
// the delta and the dead list now hold, which is what each search pays
// extra until the base is rebuilt.
func (ix *index) apply(changes []Change) int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	v := ix.cur.Load()
	base := v.segs[0]
	dead := slices.Clone(v.dead)
	for _, c := range changes {
		if _, inDelta := ix.delta[c.ID]; !inDelta {
			// Not changed before: if the base has it, that copy is stale.
			name := ""
			if c.Doc != nil {
				name = c.Doc.Name
			}
			if pos := base.find(c.ID, name, c.OldName); pos >= 0 {
				if i, found := slices.BinarySearch(dead, pos); !found {
					dead = slices.Insert(dead, i, pos)
				}
			}
		}
		if c.Doc != nil {
			ix.delta[c.ID] = *c.Doc
		} else {
			delete(ix.delta, c.ID)
		}
	}
	next := &view{segs: []*segment{base}, dead: dead}
	if len(ix.delta) > 0 {
		docs := make([]Doc, 0, len(ix.delta))
		for _, d := range ix.delta {
			docs = append(docs, d)
		}
		slices.SortFunc(docs, func(a, b Doc) int { return strings.Compare(a.Name, b.Name) })
		b := newBuilder()
		for i, d := range docs {
			// Names are unique in the library; two in one delta means one
			// was renamed and its old copy not seen yet. Keep the first.
			if i > 0 && d.Name == docs[i-1].Name {
				continue
			}
			_ = b.add(d)
		}
		next.segs = append(next.segs, b.finish())
	}
	ix.cur.Store(next)
	return len(dead) + len(ix.delta)
}

// find returns the document of sticker id in s, or -1. It looks first
// where the sticker's name (or old name) would be, then, unless the id
// is newer than any in s, through every document.
func (s *segment) find(id int64, names ...string) int32 {
	var buf []byte
	for _, name := range names {
		if name == "" {
			continue
		}
		if pos, ok := s.names.seek([]byte(name), buf); ok && s.id(int32(pos)) == id {
			return int32(pos)
		}
	}
	if s.n == 0 || id < s.idBase || id > s.idMax {
		return -1
	}
	for pos := range s.n {
		if s.id(int32(pos)) == id {
			return int32(pos)
		}
	}
	return -1
}

// docs counts the searchable documents of the view.
func (v *view) docs() int {
	n := -len(v.dead)
	for _, s := range v.segs {
		n += s.n
	}
	return n
}
