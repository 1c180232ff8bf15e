package testdb

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stickerbot/stickerbot/internal/sticker"
	"github.com/stickerbot/stickerbot/internal/store"
)

// SendUsers is how many people Sends makes send stickers.
const SendUsers = 500

// Sends fills a library (Generate's, say) with a history of n sends
// shaped like a real one, the same for the same n, seed and library:
//   - 500 people whose activity follows a Zipf law: the most active sends
//     about a tenth of everything, the least a few hundred in n = 1M;
//   - stickers drawn by a Zipf law over the library ordered by its usage
//     counts: the first few are sent tens of thousands of times, a few
//     hundred more than a thousand, and most never;
//   - times over the last 90 days, more of them recently (a quarter more
//     in the last week than if they were spread evenly);
//   - 3 % taken back, a few minutes later; a tenth posted through a
//     response_url (no ts);
//   - each person's favourites: their 30 most sent stickers.
//
// It writes the sends with one COPY, then fills the rollups with
// store.RebuildActivity (the migration's backfill), sets each sticker's
// usage count to its sends not taken back, as RecordSend and MarkRemoved
// keep it, and analyses. It returns the people, most active first.
func Sends(tb testing.TB, pool *pgxpool.Pool, n int, seed uint64) []string {
	tb.Helper()
	ctx := context.Background()
	fail := func(what string, err error) {
		tb.Helper()
		tb.Fatalf("testdb: sends: %s: %v", what, err)
	}
	rows, err := pool.Query(ctx, `SELECT id, name FROM stickers
		WHERE image_url IS NOT NULL OR slack_file_id IS NOT NULL ORDER BY usage_count DESC, id`)
	if err != nil {
		fail("read stickers", err)
	}
	type row struct {
		ID   int64
		Name string
	}
	lib, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		fail("read stickers", err)
	}
	if len(lib) < 2 {
		tb.Fatalf("testdb: sends: a library of %d stickers", len(lib))
	}
	users := make([]string, SendUsers)
	for i := range users {
		users[i] = fmt.Sprintf("UBENCH%04d", i)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5e4d5))
	userZipf := rand.NewZipf(rng, 1.1, 2, SendUsers-1)
	stickerZipf := rand.NewZipf(rng, 1.3, 10, uint64(len(lib)-1))
	now := time.Now().UTC()
	const span = 90 * 24 * time.Hour
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		i++
		st := lib[stickerZipf.Uint64()]
		user := users[userZipf.Uint64()]
		// age = span·u^1.25: denser towards now.
		at := now.Add(-time.Duration(float64(span) * math.Pow(rng.Float64(), 1.25))).Truncate(time.Microsecond)
		via, ts := sticker.ViaPostMessage, any(fmt.Sprintf("%d.%06d", at.Unix(), i%1_000_000))
		if rng.IntN(10) == 0 {
			via, ts = sticker.ViaResponseURL, nil
		}
		var removedAt, removedBy any
		if rng.IntN(100) < 3 {
			removedAt, removedBy = at.Add(time.Duration(1+rng.IntN(10))*time.Minute), user
		}
		channel := fmt.Sprintf("CBENCH%03d", rng.IntN(200))
		return []any{st.ID, st.Name, user, channel, at, fmt.Sprintf("bench-%d", i), ts, via, removedAt, removedBy}, nil
	})
	cols := []string{"sticker_id", "sticker_name", "user_id", "channel_id", "sent_at",
		"message_key", "message_ts", "via", "removed_at", "removed_by"}
	// Loaded as a restore loads a table: its secondary indexes, unique
	// and foreign keys are made again after the rows are in, each in one
	// pass, instead of row by row (a minute and more for a million).
	var drop, remake []string
	rows, err = pool.Query(ctx, `SELECT format('ALTER TABLE sends DROP CONSTRAINT %I', conname),
			format('ALTER TABLE sends ADD CONSTRAINT %I %s', conname, pg_get_constraintdef(oid))
		FROM pg_constraint WHERE conrelid = 'sends'::regclass AND contype IN ('u', 'f')
		UNION ALL
		SELECT format('DROP INDEX %I', c.relname), pg_get_indexdef(i.indexrelid)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE i.indrelid = 'sends'::regclass AND NOT i.indisprimary
			AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`)
	if err != nil {
		fail("read the indexes of sends", err)
	}
	for rows.Next() {
		var d, r string
		if err := rows.Scan(&d, &r); err != nil {
			fail("read the indexes of sends", err)
		}
		drop, remake = append(drop, d), append(remake, r)
	}
	if err := rows.Err(); err != nil {
		fail("read the indexes of sends", err)
	}
	for _, q := range drop {
		if _, err := pool.Exec(ctx, q); err != nil {
			fail(q, err)
		}
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"sends"}, cols, src); err != nil {
		fail("copy", err)
	}
	for _, q := range remake {
		if _, err := pool.Exec(ctx, q); err != nil {
			fail(q, err)
		}
	}
	if err := store.New(pool).RebuildActivity(ctx); err != nil {
		fail("rollups", err)
	}
	for _, q := range []string{
		`UPDATE stickers s SET usage_count = x.n FROM (
			SELECT st.id, coalesce(c.n, 0) AS n FROM stickers st
			LEFT JOIN (SELECT sticker_id, sum(sends) AS n FROM user_stickers GROUP BY sticker_id) c ON c.sticker_id = st.id
		) x WHERE s.id = x.id AND s.usage_count <> x.n`,
		`INSERT INTO favourites (user_id, sticker_id, created_at)
		SELECT user_id, sticker_id, last_sent_at FROM (
			SELECT u.*, row_number() OVER (PARTITION BY user_id ORDER BY sends DESC, sticker_id) AS r FROM user_stickers u
		) x WHERE r <= 30
		ON CONFLICT DO NOTHING`,
		`VACUUM ANALYZE stickers, sends, favourites, sticker_days, user_days, user_stickers`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			fail(q, err)
		}
	}
	// Most active first, as the database counts them.
	rows, err = pool.Query(ctx, `SELECT user_id FROM user_days GROUP BY user_id ORDER BY sum(sends) DESC, user_id`)
	if err != nil {
		fail("read people", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		fail("read people", err)
	}
	return out
}
