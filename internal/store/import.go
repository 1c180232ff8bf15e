package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/stickerbot/stickerbot/internal/fold"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// ImportResult counts what an import did.
type ImportResult struct {
	Added, Updated, Unchanged int
}

// ImportSource is what ImportFrom reads: rows numbered as in their file
// and already checked, such as sticker.FileReader or sticker.DraftReader
// give.
type ImportSource interface {
	// Next moves to the next row; false at the end.
	Next() bool
	// Row is the current row: a good one, or one with problems (Bad)
	// whose name still counts for finding repeated names.
	Row() sticker.Row
	// Err, once Next has returned false, is nil if every row was good;
	// a *sticker.FileErrors listing bad rows (and, in Syntax, where the
	// file stopped making sense); or why reading failed.
	Err() error
}

// ImportProgress tells how far an import has got. Its methods are safe to
// call while the import runs; the zero value is ready to use.
type ImportProgress struct {
	written atomic.Int64
	phase   atomic.Pointer[string]
}

// Written is how many rows have been sent to the database.
func (p *ImportProgress) Written() int64 { return p.written.Load() }

// Phase says what the import is doing after it has sent the rows ("" while
// it sends them).
func (p *ImportProgress) Phase() string {
	if s := p.phase.Load(); s != nil {
		return *s
	}
	return ""
}

func (p *ImportProgress) setPhase(s string) { p.phase.Store(&s) }

// Import adds or updates drafts, as ImportFrom does; the drafts are not
// changed. Bad drafts, and drafts whose names repeat, are reported as a
// *sticker.FileErrors with rows numbered from 1.
func (s *Store) Import(ctx context.Context, drafts []sticker.Draft) (ImportResult, error) {
	return s.ImportFrom(ctx, sticker.NewDraftReader(drafts), nil)
}

// The import's staging tables live in the transaction: rows are copied into
// import_rows as they are read, checked there (repeated names) and merged
// into the library with a few set-based statements.
const (
	importCreate = `CREATE TEMP TABLE import_rows (
			n int NOT NULL,     -- row of the file, from 1
			line int NOT NULL,  -- where it starts, 0 if unknown
			name text NOT NULL,
			name_key text COLLATE "C" NOT NULL,
			tags text[] NOT NULL,
			image_url text,
			slack_file_id text,
			added_by text NOT NULL,
			content_type text,
			data bytea,
			sha256 bytea
		) ON COMMIT DROP;
		CREATE TEMP TABLE import_changed (
			id bigint NOT NULL, -- the sticker added or updated
			n int NOT NULL,     -- from row n
			added bool NOT NULL
		) ON COMMIT DROP`

	// importRepeats finds rows whose names fold to the name of an earlier
	// row: each later one is reported with the first.
	importRepeats = `WITH dup AS (
			SELECT name_key, min(n) AS first FROM import_rows GROUP BY name_key HAVING count(*) > 1
		)
		SELECT r.n, r.line, r.name, f.n, f.line, count(*) OVER ()
		FROM dup
		JOIN import_rows r ON r.name_key = dup.name_key AND r.n > dup.first
		JOIN import_rows f ON f.name_key = dup.name_key AND f.n = dup.first
		ORDER BY r.n
		LIMIT $1`

	// importUpdate updates the stickers whose row differs from them; the
	// merge statements below go on from it. One statement sees one
	// snapshot, so a row is either new or matched.
	importUpdate = `WITH cur AS (
			SELECT r.n, r.name, r.tags, r.image_url, r.slack_file_id, s.id,
				s.name = r.name AND s.tags = r.tags
				AND s.image_url IS NOT DISTINCT FROM r.image_url
				AND s.slack_file_id IS NOT DISTINCT FROM r.slack_file_id
				AND i.sha256 IS NOT DISTINCT FROM r.sha256
				AND i.content_type IS NOT DISTINCT FROM r.content_type AS same
			FROM import_rows r
			JOIN stickers s ON s.name_key = r.name_key
			LEFT JOIN sticker_images i ON i.sticker_id = s.id
		), upd AS (
			UPDATE stickers s
			SET name = cur.name, tags = cur.tags, image_url = cur.image_url,
				slack_file_id = cur.slack_file_id, updated_at = now()
			FROM cur
			WHERE s.id = cur.id AND NOT cur.same
			RETURNING s.id, cur.n
		)`

	// importMergeAll adds the new rows too, and records every sticker
	// added or updated in import_changed for the steps that follow (stored
	// images); it returns how many were added and updated.
	importMergeAll = importUpdate + `, new AS (
			-- Ids drawn here, so that import_changed needs no join back.
			SELECT nextval(pg_get_serial_sequence('stickers', 'id')) AS id,
				r.n, r.name, r.name_key, r.tags, r.image_url, r.slack_file_id, r.added_by
			FROM import_rows r
			WHERE NOT EXISTS (SELECT 1 FROM stickers s WHERE s.name_key = r.name_key)
		), ins AS (
			INSERT INTO stickers (id, name, name_key, tags, image_url, slack_file_id, added_by)
			OVERRIDING SYSTEM VALUE
			SELECT id, name, name_key, tags, image_url, slack_file_id, added_by FROM new
		), changed AS (
			INSERT INTO import_changed (id, n, added)
			SELECT id, n, false FROM upd
			UNION ALL
			SELECT id, n, true FROM new
		)
		SELECT (SELECT count(*) FROM new), (SELECT count(*) FROM upd)`

	// importMergeUpdated is importMergeAll for when nothing follows for
	// the stickers added (no row has a stored image): only the updated
	// ones are recorded, and new rows go straight in.
	importMergeUpdated = importUpdate + `, ins AS (
			INSERT INTO stickers (name, name_key, tags, image_url, slack_file_id, added_by)
			SELECT r.name, r.name_key, r.tags, r.image_url, r.slack_file_id, r.added_by
			FROM import_rows r
			WHERE NOT EXISTS (SELECT 1 FROM stickers s WHERE s.name_key = r.name_key)
			RETURNING 1
		), changed AS (
			INSERT INTO import_changed (id, n, added) SELECT id, n, false FROM upd
		)
		SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM upd)`

	// importImages stores the images of changed rows that carry one.
	importImages = `INSERT INTO sticker_images (sticker_id, content_type, data, sha256)
		SELECT c.id, r.content_type, r.data, r.sha256
		FROM import_changed c JOIN import_rows r ON r.n = c.n
		WHERE r.data IS NOT NULL
		ON CONFLICT (sticker_id) DO UPDATE
		SET content_type = excluded.content_type, data = excluded.data, sha256 = excluded.sha256, created_at = now()
		WHERE sticker_images.sha256 <> excluded.sha256 OR sticker_images.content_type <> excluded.content_type`

	// importDropImages removes the stored images of updated stickers whose
	// row has none (an image URL now).
	importDropImages = `DELETE FROM sticker_images i
		USING import_changed c JOIN import_rows r ON r.n = c.n
		WHERE i.sticker_id = c.id AND NOT c.added AND r.data IS NULL`
)

var importColumns = []string{"n", "line", "name", "name_key", "tags", "image_url", "slack_file_id", "added_by", "content_type", "data", "sha256"}

// ImportFrom adds or updates every row of src in one transaction, matching
// existing stickers by folded name: either all rows are stored or none,
// and a row equal to its sticker counts as unchanged, so importing twice
// changes nothing. Rows are copied to the database as src gives them, so
// memory does not grow with the number of rows. p, if not nil, is kept up
// to date for a progress display.
//
// When any row is bad, or a name repeats the name of an earlier row,
// nothing is stored and the error is a *sticker.FileErrors naming each
// problem by row and field. A file that stops being readable (src's error)
// stops the import with that error. There is no deadline on the whole, so
// a million rows have the time they need; but a database that takes more
// than a minute to accept more rows, stops answering for a minute, or
// keeps the import waiting a minute on a lock someone else holds, ends it
// with an error that says so. A sticker of the same name added by someone
// else while the import runs makes it fail with sticker.ErrDuplicateName.
func (s *Store) ImportFrom(ctx context.Context, src ImportSource, p *ImportProgress) (ImportResult, error) {
	if p == nil {
		p = &ImportProgress{}
	}
	res, err := s.importFrom(ctx, src, p)
	if err != nil {
		return ImportResult{}, fmt.Errorf("import: %w", err)
	}
	return res, nil
}

func (s *Store) importFrom(ctx context.Context, src ImportSource, p *ImportProgress) (ImportResult, error) {
	qctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	conn, err := s.pool.Acquire(qctx)
	if err != nil {
		return ImportResult{}, err
	}
	defer conn.Release()
	ctx, stopWatch := s.watchSession(ctx, conn.Conn().PgConn().PID(), s.stall)
	defer stopWatch()
	tx, err := conn.Begin(qctx)
	if err != nil {
		return ImportResult{}, translate(err)
	}
	defer func() {
		// A fresh context: the rollback must happen even when ctx ended.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), QueryTimeout)
		defer cancel()
		_ = tx.Rollback(rctx) // a no-op after Commit
	}()
	if _, err := tx.Exec(qctx, importCreate); err != nil {
		return ImportResult{}, translate(err)
	}
	cs := &copySource{src: src, p: p}
	cctx, guard := newStallGuard(ctx, s.stall, "take more rows")
	cs.guard = guard
	_, err = tx.CopyFrom(cctx, pgx.Identifier{"import_rows"}, importColumns, cs)
	guard.close()
	switch {
	case cs.err != nil:
		return ImportResult{}, cs.err // the file's fault, not the database's
	case err != nil:
		return ImportResult{}, cause(cctx, translate(err))
	}
	rows := cs.n

	// step runs statements over all rows: no deadline (see bulkStall).
	step := func(phase string, fn func(ctx context.Context) error) error {
		p.setPhase(phase)
		if err := fn(ctx); err != nil {
			return cause(ctx, translate(err))
		}
		return nil
	}

	problems := cs.problems
	err = step("checking names", func(ctx context.Context) error {
		repeats, total, err := findRepeats(ctx, tx)
		if err != nil {
			return err
		}
		if total > 0 {
			if problems == nil {
				problems = &sticker.FileErrors{}
			}
			problems.Add(repeats...)
			problems.Total += total - len(repeats)
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	if problems != nil {
		return ImportResult{}, problems
	}

	var res ImportResult
	err = step("writing the library", func(ctx context.Context) error {
		merge := importMergeUpdated
		if cs.images {
			merge = importMergeAll
		}
		if err := tx.QueryRow(ctx, merge).Scan(&res.Added, &res.Updated); err != nil {
			return err
		}
		res.Unchanged = int(rows) - res.Added - res.Updated
		if cs.images {
			if _, err := tx.Exec(ctx, importImages); err != nil {
				return err
			}
		}
		if res.Updated > 0 {
			if _, err := tx.Exec(ctx, importDropImages); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	// The commit runs the deferred check that every sticker has an image,
	// for the rows without an image URL or Slack file.
	err = step("committing", func(ctx context.Context) error { return tx.Commit(ctx) })
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// findRepeats returns the first sticker.MaxListed rows whose name repeats
// an earlier row's, and how many there are in all.
func findRepeats(ctx context.Context, tx pgx.Tx) ([]sticker.RowError, int, error) {
	rows, err := tx.Query(ctx, importRepeats, sticker.MaxListed)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []sticker.RowError
	var total int
	for rows.Next() {
		var re sticker.RowError
		var name string
		var first, firstLine int
		if err := rows.Scan(&re.Row, &re.Line, &name, &first, &firstLine, &total); err != nil {
			return nil, 0, err
		}
		msg := fmt.Sprintf("%q repeats the name of row %d", name, first)
		if firstLine > 0 {
			msg += fmt.Sprintf(" (line %d)", firstLine)
		}
		re.FieldError = sticker.FieldError{Field: "name", Message: msg}
		out = append(out, re)
	}
	return out, total, rows.Err()
}

// copySource feeds src's rows to COPY. It tells the stall guard whose
// turn it is: while it reads the next row, ours; after it has handed a
// row to pgx, the database's.
type copySource struct {
	src    ImportSource
	p      *ImportProgress
	guard  *stallGuard
	vals   []any
	n      int64
	images bool // some row carries an image
	// problems are the bad rows src reported at its end; err is why it
	// could not read on.
	problems *sticker.FileErrors
	err      error
}

func (c *copySource) Next() bool {
	c.guard.ours()
	defer c.guard.theirs()
	if c.src.Next() {
		c.n++
		c.p.written.Store(c.n)
		return true
	}
	if err := c.src.Err(); err != nil {
		var fe *sticker.FileErrors
		if errors.As(err, &fe) && fe.Syntax == nil {
			// Bad rows: the COPY completes, so that repeated names are
			// found too; nothing is committed.
			c.problems = fe
		} else {
			c.err = err
		}
	}
	return false
}

func (c *copySource) Values() ([]any, error) {
	r := c.src.Row()
	d := r.Draft
	if r.Bad {
		d = sticker.Draft{Name: d.Name, Tags: []string{}} // only its name counts
	}
	nameKey := r.NameKey
	if nameKey == "" {
		nameKey = fold.Term(d.Name)
	}
	v := append(c.vals[:0], int32(r.N), int32(r.Line), d.Name, nameKey, d.Tags,
		nullable(d.ImageURL), nullable(d.SlackFileID), d.AddedBy)
	if d.Image != nil {
		c.images = true
		v = append(v, d.Image.ContentType, d.Image.Data, d.Image.SHA256())
	} else {
		v = append(v, nil, nil, nil)
	}
	c.vals = v
	return v, nil
}

// Err stops the COPY when the file cannot be read on.
func (c *copySource) Err() error { return c.err }

// nullable is NULL for "".
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
