package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// Source is the library the index follows: PostgreSQL (internal/store
// implements it).
type Source interface {
	// LoadStickers reads every searchable sticker (one that can be shown)
	// from one snapshot into l: first l.Begin with the snapshot's mark and
	// size, then l.Add for each sticker in byte order of its folded name.
	// It returns the mark, or the first error (l's included).
	LoadStickers(ctx context.Context, l Loader) (Mark, error)
	// Changes returns every change committed by the transactions since
	// did not see (those after it and those running then), and the mark
	// after them.
	Changes(ctx context.Context, since Mark) ([]Change, Mark, error)
	// Stickers returns the stickers with the given ids, in any order,
	// leaving out the ones that no longer exist.
	Stickers(ctx context.Context, ids []int64) ([]sticker.Sticker, error)
}

// Loader takes in a whole library (see Source.LoadStickers).
type Loader interface {
	Begin(Mark, LoadSize) error
	Add(Change) error
}

// LoadSize is how big the library about to be loaded is, so the index can
// size its arrays once.
type LoadSize struct {
	Stickers     int
	MinID, MaxID int64
	MaxUsage     int64
	NameBytes    int // of all folded names
	Tags         int // tags on all stickers
	TagBytes     int // of all tags
}

// Mark is a point in the library's history, from which changes are read:
// a snapshot's horizon, the first transaction it did not see, and the
// older ones it did not see either because they were still running. A
// transaction that commits late is read when it commits, and one that
// stays open long does not make every read start from it.
type Mark struct {
	XMax    uint64
	Running []uint64
}

// Change is a sticker as a committed transaction left it.
type Change struct {
	ID  int64
	XID uint64 // the transaction
	// Doc is the sticker now, or nil when it was deleted or cannot be
	// shown (and so not found).
	Doc *Doc
	// OldName is the deleted sticker's name, which finds it quickly.
	OldName string
	// Reset says the whole library changed at once (TRUNCATE): read it again.
	Reset bool
}

// Tuning of the Library.
const (
	// PollInterval is how often the Library asks for changes when it has
	// not been told of any (a fallback for a lost notification).
	PollInterval = 5 * time.Second
	// maxGap is how long the Library may go without reading changes
	// before it reloads instead: deleted stickers' tombstones are kept
	// for a day (store.TombstoneTTL).
	maxGap = 6 * time.Hour
	// rebuildAt is how many changed stickers the delta may hold, beyond
	// a share of the library, before the index is rebuilt from the source.
	rebuildAt = 2000
)

// ErrNotLoaded is returned by searches before Load has succeeded.
var ErrNotLoaded = errors.New("the search index is not loaded yet")

// Library answers searches from an in-process index of the sticker
// library, kept in step with the Source: the stickers a page shows are
// fetched from the Source by id. Its methods are safe for concurrent use.
type Library struct {
	src Source
	log *slog.Logger
	ix  index

	turn     chan struct{} // held by the one Load or Refresh running
	mark     Mark
	lastSync time.Time
	failing  bool
	wake     chan struct{}
}

// NewLibrary returns a Library over src; it answers once Load succeeds.
func NewLibrary(src Source, logger *slog.Logger) *Library {
	return &Library{src: src, log: logger, wake: make(chan struct{}, 1), turn: make(chan struct{}, 1)}
}

// Load reads the whole library into a new index and replaces the old one
// (searches go on meanwhile). It returns the source's error, wrapped, if
// the library cannot be read; the old index, if any, stays.
func (l *Library) Load(ctx context.Context) error {
	if err := l.acquire(ctx); err != nil {
		return fmt.Errorf("load the search index: %w", err)
	}
	defer l.release()
	return l.load(ctx)
}

// acquire waits for the turn to load or refresh, until ctx ends: a
// replica's write should not wait long behind a reload of the whole
// library, which will be followed by a refresh anyway.
func (l *Library) acquire(ctx context.Context) error {
	select {
	case l.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *Library) release() { <-l.turn }

func (l *Library) load(ctx context.Context) error {
	start := time.Now()
	ld := &loader{b: newBuilder()}
	mark, err := l.src.LoadStickers(ctx, ld)
	if err != nil {
		return fmt.Errorf("load the search index: %w", err)
	}
	base := ld.b.finish()
	l.ix.replace(base)
	l.mark, l.lastSync = mark, time.Now()
	l.log.Info("search index loaded", "stickers", base.n, "bytes", base.size(), "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// loader builds a base segment from a whole library.
type loader struct{ b *builder }

func (l *loader) Begin(_ Mark, size LoadSize) error {
	l.b.reserve(size)
	return nil
}

func (l *loader) Add(c Change) error {
	if c.Doc == nil {
		return nil
	}
	return l.b.add(*c.Doc)
}

// Refresh applies what changed in the source since the last Load or
// Refresh, or loads the library again when much has changed. A replica
// calls it after its own writes, so that they show at once. It waits for
// a Load or Refresh already running, until ctx ends.
func (l *Library) Refresh(ctx context.Context) error {
	if err := l.acquire(ctx); err != nil {
		return fmt.Errorf("refresh the search index: %w", err)
	}
	defer l.release()
	if l.ix.cur.Load() == nil || time.Since(l.lastSync) > maxGap {
		return l.load(ctx)
	}
	changes, mark, err := l.src.Changes(ctx, l.mark)
	if err != nil {
		return fmt.Errorf("refresh the search index: %w", err)
	}
	for _, c := range changes {
		if c.Reset {
			return l.load(ctx)
		}
	}
	v := l.ix.cur.Load()
	limit := rebuildAt + v.docs()/20
	if len(changes) > limit {
		return l.load(ctx)
	}
	if len(changes) > 0 && l.ix.apply(changes) > limit {
		return l.load(ctx)
	}
	l.mark, l.lastSync = mark, time.Now()
	return nil
}

// Changed tells the Library that the source has changed (a notification
// arrived); Run refreshes soon after. It never blocks.
func (l *Library) Changed() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Run keeps the index in step until ctx ends: it refreshes when told of a
// change and every PollInterval. A failing refresh is logged once, and
// retried.
func (l *Library) Run(ctx context.Context) {
	t := time.NewTicker(PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		case <-t.C:
		}
		err := l.Refresh(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil && !l.failing:
			l.failing = true
			l.log.Warn("cannot keep the search index in step; retrying", "err", err)
		case err == nil && l.failing:
			l.failing = false
			l.log.Info("search index in step again")
		}
	}
}

// Stats describes the index.
type Stats struct {
	Stickers int // searchable stickers
	Bytes    int // memory the index holds
	Changed  int // stickers changed since the index was last built
}

// Stats returns the index's size, or zeroes before Load.
func (l *Library) Stats() Stats {
	v := l.ix.cur.Load()
	if v == nil {
		return Stats{}
	}
	st := Stats{Stickers: v.docs(), Changed: len(v.dead)}
	for i, s := range v.segs {
		st.Bytes += s.size()
		if i > 0 {
			st.Changed += s.n
		}
	}
	return st
}

// Search returns up to limit matches for q, best first, skipping the
// first offset: exact name, then exact tag, then names and tags that start
// with the query, then (for a query of Korean initial consonants) names
// and tags whose syllables start with them, then typo-tolerant matches
// by similarity; ties go to the most used, then by name. Page.Total
// counts the matches up to TotalCap. It returns ErrNotLoaded before Load,
// or the source's error (wrapped) when the page's stickers cannot be read.
func (l *Library) Search(ctx context.Context, q Query, offset, limit int) (Page, error) {
	if len(q.alts) == 0 {
		return Page{}, ErrEmptyQuery
	}
	offset, limit = max(offset, 0), max(limit, 0)
	var page Page
	err := l.retry(ctx, func(v *view) (bool, error) {
		e := newEnumerator(v, &q, max(offset+limit, TotalCap+1))
		var hits []hit
		total := 0
		for total < offset+limit || total <= TotalCap {
			h, ok := e.next()
			if !ok {
				break
			}
			if total >= offset && total < offset+limit {
				hits = append(hits, h)
			}
			total++
		}
		ms, complete, err := l.fetch(ctx, v, hits)
		page = Page{Matches: ms, Total: min(total, TotalCap), Capped: total > TotalCap}
		return complete, err
	})
	if err != nil {
		return Page{}, fmt.Errorf("search %q: %w", q.String(), err)
	}
	return page, nil
}

// Nth returns the match at position n (from 0) and whether another comes
// after it, which is what the preview's Next button needs. It returns an
// error wrapping sticker.ErrNotFound when there are fewer than n+1
// matches, ErrNotLoaded before Load, or the source's error (wrapped).
func (l *Library) Nth(ctx context.Context, q Query, n int) (Match, bool, error) {
	if len(q.alts) == 0 {
		return Match{}, false, ErrEmptyQuery
	}
	var m Match
	var more bool
	err := l.retry(ctx, func(v *view) (bool, error) {
		e := newEnumerator(v, &q, n+2)
		var h hit
		for i := 0; i <= n; i++ {
			var ok bool
			if h, ok = e.next(); !ok {
				return true, fmt.Errorf("search %q at %d: %w", q.String(), n, sticker.ErrNotFound)
			}
		}
		more = e.more()
		ms, complete, err := l.fetch(ctx, v, []hit{h})
		if len(ms) == 1 {
			m = ms[0]
		}
		return complete, err
	})
	return m, more, err
}

// retry runs a search on the current view and, if a sticker it found has
// gone from the source meanwhile, refreshes the index and runs it again.
func (l *Library) retry(ctx context.Context, search func(*view) (complete bool, err error)) error {
	for attempt := 0; ; attempt++ {
		v := l.ix.cur.Load()
		if v == nil {
			return ErrNotLoaded
		}
		complete, err := search(v)
		if err != nil || complete || attempt > 0 {
			return err
		}
		if err := l.Refresh(ctx); err != nil {
			return err
		}
	}
}

// fetch reads the stickers of hits from the source, in order. complete is
// false when some are gone.
func (l *Library) fetch(ctx context.Context, v *view, hits []hit) ([]Match, bool, error) {
	if len(hits) == 0 {
		return nil, true, nil
	}
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = v.segs[h.seg].id(h.pos)
	}
	sts, err := l.src.Stickers(ctx, ids)
	if err != nil {
		return nil, false, err
	}
	byID := make(map[int64]sticker.Sticker, len(sts))
	for _, s := range sts {
		byID[s.ID] = s
	}
	ms := make([]Match, 0, len(hits))
	for i, h := range hits {
		s, ok := byID[ids[i]]
		if !ok || s.ImageURL == "" && s.SlackFileID == "" {
			continue
		}
		ms = append(ms, Match{Sticker: s, Rank: h.rank, Score: h.score})
	}
	return ms, len(ms) == len(hits), nil
}
