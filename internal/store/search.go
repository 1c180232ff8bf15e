package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// Search runs in the bot's memory (package search); the store is its
// Source: the whole library at start-up, what changed since, and the
// stickers of a page by id.

// TombstoneTTL is how long deletions are remembered for replicas that
// have not read the changes yet; a replica away for longer reloads.
const TombstoneTTL = 24 * time.Hour

// loadTimeout bounds reading the whole library into the index.
const loadTimeout = 20 * QueryTimeout

// searchable is the condition for a sticker to be found: it can be shown.
const searchable = `(s.image_url IS NOT NULL OR s.slack_file_id IS NOT NULL)`

// readSnapshot runs fn in a read-only REPEATABLE READ transaction, so
// that everything it reads, and the mark it returns, is of one moment.
func (s *Store) readSnapshot(ctx context.Context, fn func(pgx.Tx, search.Mark) error) (search.Mark, error) {
	var mark search.Mark
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		// In REPEATABLE READ both calls see the transaction's snapshot.
		const q = `SELECT pg_snapshot_xmax(pg_current_snapshot()), ARRAY(SELECT pg_snapshot_xip(pg_current_snapshot()))`
		if err := tx.QueryRow(ctx, q).Scan(&mark.XMax, &mark.Running); err != nil {
			return err
		}
		return fn(tx, mark)
	})
	return mark, translate(err)
}

// LoadStickers reads every searchable sticker into l, in name_key (byte)
// order, from one snapshot, and returns the mark to read changes from
// after it. An error from l stops it and is returned.
func (s *Store) LoadStickers(ctx context.Context, l search.Loader) (search.Mark, error) {
	ctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	mark, err := s.readSnapshot(ctx, func(tx pgx.Tx, mark search.Mark) error {
		const qSize = `SELECT count(*), coalesce(min(s.id), 0), coalesce(max(s.id), 0), coalesce(max(s.usage_count), 0),
				coalesce(sum(octet_length(s.name_key)), 0), coalesce(sum(cardinality(s.tags)), 0),
				coalesce(sum(octet_length(array_to_string(s.tags, ''))), 0)
			FROM stickers s WHERE ` + searchable
		var size search.LoadSize
		if err := tx.QueryRow(ctx, qSize).Scan(&size.Stickers, &size.MinID, &size.MaxID, &size.MaxUsage,
			&size.NameBytes, &size.Tags, &size.TagBytes); err != nil {
			return err
		}
		if err := l.Begin(mark, size); err != nil {
			return err
		}
		const q = `SELECT s.id, s.name_key, s.tags, s.usage_count, s.changed_xid
			FROM stickers s WHERE ` + searchable + ` ORDER BY s.name_key`
		rows, err := tx.Query(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		var d search.Doc
		var c search.Change
		for rows.Next() {
			if err := rows.Scan(&d.ID, &d.Name, &d.Tags, &d.Usage, &c.XID); err != nil {
				return err
			}
			c.ID, c.Doc = d.ID, &d
			if err := l.Add(c); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		return mark, fmt.Errorf("load stickers: %w", err)
	}
	return mark, nil
}

// Changes returns the stickers changed, hidden or deleted by the
// transactions since did not see, and the mark to read from next time.
func (s *Store) Changes(ctx context.Context, since search.Mark) ([]search.Change, search.Mark, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	var changes []search.Change
	mark, err := s.readSnapshot(ctx, func(tx pgx.Tx, _ search.Mark) error {
		changes = changes[:0]
		const qRows = `SELECT s.id, s.name_key, s.tags, s.usage_count, s.changed_xid, ` + searchable + `
			FROM stickers s WHERE s.changed_xid >= $1::xid8 OR s.changed_xid = ANY($2::xid8[])`
		rows, err := tx.Query(ctx, qRows, since.XMax, since.Running)
		if err != nil {
			return err
		}
		for rows.Next() {
			var d search.Doc
			var c search.Change
			var shown bool
			if err := rows.Scan(&d.ID, &d.Name, &d.Tags, &d.Usage, &c.XID, &shown); err != nil {
				rows.Close()
				return err
			}
			c.ID = d.ID
			if shown {
				c.Doc = &d
			} else {
				c.OldName = d.Name
			}
			changes = append(changes, c)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		const qGone = `SELECT sticker_id, name_key, deleted_xid FROM sticker_tombstones
			WHERE deleted_xid >= $1::xid8 OR deleted_xid = ANY($2::xid8[])`
		rows, err = tx.Query(ctx, qGone, since.XMax, since.Running)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c search.Change
			if err := rows.Scan(&c.ID, &c.OldName, &c.XID); err != nil {
				rows.Close()
				return err
			}
			c.Reset = c.ID == 0
			changes = append(changes, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, since, fmt.Errorf("read changes: %w", err)
	}
	return changes, mark, nil
}

// Stickers returns the stickers with the given ids, in any order; ids
// of stickers that no longer exist are left out.
func (s *Store) Stickers(ctx context.Context, ids []int64) ([]sticker.Sticker, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	const q = `SELECT ` + stickerColumns + ` FROM stickers s WHERE s.id = ANY($1)`
	rows, err := s.pool.Query(ctx, q, ids)
	if err != nil {
		return nil, fmt.Errorf("get stickers: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (sticker.Sticker, error) { return scanSticker(row) })
	if err != nil {
		return nil, fmt.Errorf("get stickers: %w", translate(err))
	}
	return out, nil
}

// Listen calls changed whenever a transaction that changed stickers
// commits (PostgreSQL's NOTIFY, on the schema's channel), until ctx ends.
// It holds a connection of its own, outside the pool. When that
// connection is lost it reconnects, with backoff, and calls changed once
// it listens again, since notifications sent meanwhile are lost; callers
// poll as well. It returns only when ctx ends.
func (s *Store) Listen(ctx context.Context, changed func(), onError func(error)) {
	delay := time.Second
	for ctx.Err() == nil {
		listened, err := s.listen(ctx, changed)
		if ctx.Err() != nil {
			return
		}
		if err != nil && onError != nil {
			onError(err)
		}
		if listened {
			delay = time.Second // it worked for a while: retry soon
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, 30*time.Second)
	}
}

// listen listens until the connection fails; listened says it got as far
// as listening.
func (s *Store) listen(ctx context.Context, changed func()) (listened bool, err error) {
	cctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	conn, err := pgx.ConnectConfig(cctx, s.pool.Config().ConnConfig.Copy())
	cancel()
	if err != nil {
		return false, fmt.Errorf("listen for changes: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), QueryTimeout)
		defer cancel()
		conn.Close(cctx)
	}()
	var channel string
	cctx, cancel = context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	if err := conn.QueryRow(cctx, `SELECT left('stickers_' || current_schema(), 63)`).Scan(&channel); err != nil {
		return false, fmt.Errorf("listen for changes: %w", err)
	}
	if _, err := conn.Exec(cctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return false, fmt.Errorf("listen for changes: %w", err)
	}
	changed() // whatever happened while not listening
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			if ctx.Err() != nil {
				return true, nil
			}
			return true, fmt.Errorf("listen for changes: %w", err)
		}
		changed()
	}
}

// PruneTombstones forgets deletions older than TombstoneTTL.
func (s *Store) PruneTombstones(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	const q = `DELETE FROM sticker_tombstones WHERE deleted_at < now() - make_interval(secs => $1)`
	tag, err := s.pool.Exec(ctx, q, TombstoneTTL.Seconds())
	if err != nil {
		return 0, fmt.Errorf("prune tombstones: %w", translate(err))
	}
	return tag.RowsAffected(), nil
}

var _ search.Source = (*Store)(nil)
