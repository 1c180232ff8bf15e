package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// bulkStall bounds the work of an import or export, which reads or
// writes the whole library: no deadline fits both ten stickers and a
// million on a busy machine, yet a hung database must not hang the command
// for ever. So nothing has a deadline, but the database may not take
// longer than this to accept more rows of a COPY or send the next row of
// an export (stallGuard), nor stop answering, nor leave the import waiting
// on a lock, for longer (watchSession).
const bulkStall = 60 * time.Second

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

// watchSession returns a context that ends when the database session pid,
// running an import's statements, can no longer be seen to work: the
// database does not answer a look at the session (on another connection)
// for longer than limit, or the session waits that long on a lock another
// session holds. A statement that is merely slow, a million rows on a busy
// machine, runs as long as it takes. Call stop when done.
func (s *Store) watchSession(ctx context.Context, pid uint32, limit time.Duration) (_ context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(max(limit/6, 10*time.Millisecond))
		defer t.Stop()
		answered := time.Now()
		var waiting time.Time // since when the session waits on a lock
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case now := <-t.C:
				qctx, qcancel := context.WithTimeout(ctx, min(QueryTimeout, limit))
				var waitType string
				var blockers []int32
				err := s.pool.QueryRow(qctx, `SELECT coalesce(wait_event_type, ''), pg_blocking_pids(pid)
					FROM pg_stat_activity WHERE pid = $1`, int32(pid)).Scan(&waitType, &blockers)
				qcancel()
				switch {
				case err != nil && !errors.Is(err, pgx.ErrNoRows):
					if now.Sub(answered) > limit {
						cancel(fmt.Errorf("the database has not answered for more than %s", limit))
						return
					}
					continue
				case waitType != "Lock":
					waiting = time.Time{}
				case waiting.IsZero():
					waiting = now
				case now.Sub(waiting) > limit:
					cancel(fmt.Errorf("the import waited more than %s for a lock on the library held by another database session (pid %v)", limit, blockers))
					return
				}
				answered = now
			}
		}
	}()
	return ctx, func() { close(done); <-finished; cancel(nil) }
}

// cause is why ctx ended, when a guard or a bulk deadline ended it, or
// err.
func cause(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && ctx.Err() != nil && c != ctx.Err() {
		return fmt.Errorf("%w (%w)", c, err)
	}
	return err
}
