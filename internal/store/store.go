// Package store keeps the sticker library in PostgreSQL. All SQL lives here.
package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/stickerbot/stickerbot/internal/fold"
	"github.com/stickerbot/stickerbot/internal/sticker"
	"github.com/stickerbot/stickerbot/migrations"
)

// QueryTimeout bounds every statement, so a slow or unreachable database
// gives the user an answer instead of a hung request.
const QueryTimeout = 3 * time.Second

// statementCacheCapacity is how many prepared statements (and, in the
// cache_describe query mode, descriptions) each connection keeps.
const statementCacheCapacity = 128

// Store is the sticker library. Its methods are safe for concurrent use.
type Store struct {
	pool  *pgxpool.Pool
	stall time.Duration // bulkStall, shorter in tests
}

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool, stall: bulkStall} }

// Open connects a pool to databaseURL. It does not wait for the
// database: the first query does ([Check] says why it fails). A
// connection to this machine does not try TLS unless the URL requires it
// (sslmode=require or stricter).
func Open(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, errors.New("open database: DATABASE_URL is not a valid PostgreSQL URL")
	}
	// The bot's 16 workers, modal checks, the image sync and /readyz share
	// the pool; waiting for a connection counts against QueryTimeout.
	// pool_max_conns in the URL still wins.
	if !strings.Contains(databaseURL, "pool_max_conns") {
		cfg.MaxConns = 20
	}
	// pgx gives every connection a statement cache and a description
	// cache of 512 entries each, maps allocated at full size up front:
	// 50 kB a connection, a quarter of the bot's live heap with the pool
	// full. The bot has a few dozen statements, so 128 keeps every one
	// prepared; the URL's statement_cache_capacity and
	// description_cache_capacity still win.
	if !strings.Contains(databaseURL, "statement_cache_capacity") {
		cfg.ConnConfig.StatementCacheCapacity = statementCacheCapacity
	}
	if !strings.Contains(databaseURL, "description_cache_capacity") {
		cfg.ConnConfig.DescriptionCacheCapacity = statementCacheCapacity
	}
	// JIT compiles a query the planner thinks costly, taking tens to
	// hundreds of milliseconds; the bot's queries run in a few, and the
	// planner overestimates those over small CTEs (the stats' tops) past
	// jit_above_cost. options=-c jit=on in the URL still wins.
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set && !strings.Contains(cfg.ConnConfig.RuntimeParams["options"], "jit") {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	skipOptionalTLS(&cfg.ConnConfig.Config)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return pool, nil
}

// Migrate applies every pending migration, under a PostgreSQL advisory
// lock so replicas starting together don't race, and returns the names of
// the migrations it applied. A database that will not let the migrations
// do their work (the user may not create tables, pg_trgm is not
// installed) is a *RefusedError with Migrating set.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) ([]string, error) {
	// The lock is per schema: replicas of one deployment share it, while
	// deployments (or tests) in other schemas of the database don't wait.
	var schema string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte(schema))
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(lock.DefaultLockID^int64(h.Sum64()>>1)),
		lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS,
		goose.WithSessionLocker(locker), goose.WithSlog(logger), goose.WithGoMigrations(migrations.Go()...))
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	results, err := p.Up(ctx)
	var applied []string
	for _, r := range results {
		if r.Error == nil {
			applied = append(applied, r.Source.Path)
		}
	}
	if err != nil {
		if re := setupRefusal(pool, err); re != nil {
			return applied, re
		}
		return applied, fmt.Errorf("migrate: %w", err)
	}
	return applied, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

const stickerColumns = `s.id, s.name, s.tags, coalesce(s.image_url, ''), coalesce(s.slack_file_id, ''),
	s.added_by, s.created_at, s.updated_at, s.usage_count`

func scanSticker(row pgx.Row, extra ...any) (sticker.Sticker, error) {
	var st sticker.Sticker
	dest := append([]any{&st.ID, &st.Name, &st.Tags, &st.ImageURL, &st.SlackFileID,
		&st.AddedBy, &st.CreatedAt, &st.UpdatedAt, &st.UsageCount}, extra...)
	err := row.Scan(dest...)
	return st, err
}

// Get returns the sticker with the given id, or sticker.ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (sticker.Sticker, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	const q = `SELECT ` + stickerColumns + ` FROM stickers s WHERE s.id = $1`
	st, err := scanSticker(s.pool.QueryRow(ctx, q, id))
	if err != nil {
		return st, fmt.Errorf("get sticker %d: %w", id, translate(err))
	}
	return st, nil
}

// GetByName returns the sticker whose name folds to the same term as name
// (case, width and white space do not matter), or sticker.ErrNotFound.
func (s *Store) GetByName(ctx context.Context, name string) (sticker.Sticker, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	const q = `SELECT ` + stickerColumns + ` FROM stickers s WHERE s.name_key = $1`
	st, err := scanSticker(s.pool.QueryRow(ctx, q, fold.Term(name)))
	if err != nil {
		return st, fmt.Errorf("get sticker by name: %w", translate(err))
	}
	return st, nil
}

// Count returns how many stickers the library holds.
func (s *Store) Count(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM stickers`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count stickers: %w", translate(err))
	}
	return n, nil
}

// Delete removes sticker id and returns what it was. The send history
// stays, with the sticker's name. It returns sticker.ErrNotFound if there is none.
func (s *Store) Delete(ctx context.Context, id int64) (sticker.Sticker, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	const q = `DELETE FROM stickers s WHERE s.id = $1 RETURNING ` + stickerColumns
	st, err := scanSticker(s.pool.QueryRow(ctx, q, id))
	if err != nil {
		return st, fmt.Errorf("delete sticker %d: %w", id, translate(err))
	}
	return st, nil
}

// Unclaim forgets key, so that the request it names may be made again: a
// Send that failed and that the user was asked to retry. A key never
// claimed is no error.
func (s *Store) Unclaim(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM handled_requests WHERE key = $1`, key); err != nil {
		return fmt.Errorf("unclaim request: %w", translate(err))
	}
	return nil
}

// Claim records key as handled and reports whether this call was the first
// to do so. Redelivered envelopes and events, on any connection or replica,
// find their key taken and must not do their work again.
func (s *Store) Claim(ctx context.Context, key string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	const q = `INSERT INTO handled_requests (key) VALUES ($1) ON CONFLICT (key) DO NOTHING`
	tag, err := s.pool.Exec(ctx, q, key)
	if err != nil {
		return false, fmt.Errorf("claim request: %w", translate(err))
	}
	return tag.RowsAffected() == 1, nil
}

// ExpireClaims forgets claims older than age, which must outlast Slack's
// last redelivery (about five minutes after the first delivery).
func (s *Store) ExpireClaims(ctx context.Context, age time.Duration) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	const q = `DELETE FROM handled_requests WHERE handled_at < now() - make_interval(secs => $1)`
	tag, err := s.pool.Exec(ctx, q, age.Seconds())
	if err != nil {
		return 0, fmt.Errorf("expire claims: %w", translate(err))
	}
	return tag.RowsAffected(), nil
}

// translate maps driver errors to the package's errors, once, here.
func translate(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return sticker.ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "stickers_name_key_unique" {
		return sticker.ErrDuplicateName
	}
	// A favourite of a sticker deleted while it was being added.
	if errors.As(err, &pgErr) && pgErr.Code == "23503" && pgErr.ConstraintName == "favourites_sticker_id_fkey" {
		return sticker.ErrNotFound
	}
	return err
}

// Exclusive runs fn while holding a PostgreSQL advisory lock named name,
// so only one of several replicas sharing the database does a piece of
// housekeeping at a time. It returns false, without running fn, when
// another session holds the lock. The lock is per schema, like the
// migration lock: deployments in other schemas of the database have their
// own. It returns an error, without running fn, when the database is
// unreachable.
func (s *Store) Exclusive(ctx context.Context, name string, fn func(context.Context) error) (bool, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", name, err)
	}
	defer conn.Release()
	// Advisory locks are database-wide; the schema in the key keeps one
	// deployment's lock from skipping another's work.
	const q = `SELECT key, pg_try_advisory_lock(key)
		FROM (SELECT hashtextextended('stickerbot:' || current_schema() || ':' || $1, 0) AS key) k`
	var key int64
	var got bool
	if err := conn.QueryRow(ctx, q, name).Scan(&key, &got); err != nil {
		return false, fmt.Errorf("lock %s: %w", name, err)
	}
	if !got {
		return false, nil
	}
	defer func() {
		// A fresh context: the lock must go even when ctx has ended.
		uctx, cancel := context.WithTimeout(context.Background(), QueryTimeout)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
			conn.Conn().Close(uctx) // closing the session drops its locks
		}
	}()
	return true, fn(ctx)
}
