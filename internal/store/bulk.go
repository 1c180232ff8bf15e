package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// bulkLimits bound the work of an import or export, which reads or writes
// the whole library: no fixed deadline fits both ten stickers and a
// million, yet a hung database must not hang the command for ever.
type bulkLimits struct {
	// stall is how long the database may take to accept more of the rows
	// being copied in, or to send the next row of an export.
	stall time.Duration
	// base + perRow × rows bounds each statement over the imported rows,
	// and the commit.
	base, perRow time.Duration
}

// defaultBulkLimits: the slowest statement of an import, writing the
// search tables, costs about 100 µs a row on a small machine, the others
// 10 µs or less (docs/benchmarks.md); these leave room for a loaded
// machine, and still end an import of 100,000 rows within 90 s of a
// database that stopped answering.
var defaultBulkLimits = bulkLimits{stall: 60 * time.Second, base: 60 * time.Second, perRow: 250 * time.Microsecond}

// statement bounds one statement over n rows.
func (l bulkLimits) statement(n int64) time.Duration {
	return l.base + time.Duration(n)*l.perRow
}

// stallGuard cancels its context when the database has had the turn for
// longer than limit: while it is copying rows we send, or while we wait
// for the next row it sends. Time spent on our side (reading the import
// file, writing the export) does not count, so a slow file or a slow
// reader of the export is not mistaken for a hung database.
type stallGuard struct {
	cancel  context.CancelCauseFunc
	limit   time.Duration
	what    string
	since   atomic.Int64 // when the database's turn began (UnixNano); 0 on ours
	stopped chan struct{}
}

// newStallGuard returns a context that ends when the database stalls in
// doing what, and its guard, on the database's turn. Close it when done.
func newStallGuard(ctx context.Context, limit time.Duration, what string) (context.Context, *stallGuard) {
	ctx, cancel := context.WithCancelCause(ctx)
	g := &stallGuard{cancel: cancel, limit: limit, what: what, stopped: make(chan struct{})}
	g.theirs()
	go g.watch()
	return ctx, g
}

func (g *stallGuard) watch() {
	t := time.NewTicker(max(g.limit/10, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-g.stopped:
			return
		case now := <-t.C:
			if s := g.since.Load(); s != 0 && now.Sub(time.Unix(0, s)) > g.limit {
				g.cancel(fmt.Errorf("the database took more than %s to %s", g.limit, g.what))
				return
			}
		}
	}
}

// theirs starts the database's turn; ours ends it.
func (g *stallGuard) theirs() { g.since.Store(time.Now().UnixNano()) }
func (g *stallGuard) ours()   { g.since.Store(0) }

// close stops the guard; the context stays as it is.
func (g *stallGuard) close() {
	close(g.stopped)
}

// cause is why ctx ended, when a guard or a bulk deadline ended it, or
// err.
func cause(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && ctx.Err() != nil && c != ctx.Err() {
		return fmt.Errorf("%w (%w)", c, err)
	}
	return err
}
