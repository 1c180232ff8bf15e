package migrations_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
	"github.com/stickerbot/stickerbot/migrations"
)

const activityVersion = 6

// Sends recorded before issue 14 stay valid and fill the rollups; the
// migration goes down and up again.
func TestActivityBackfill(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db := testdb.NewDatabase(t, testdb.Options{Empty: true})
	sqlDB := stdlib.OpenDBFromPool(db.Pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS, goose.WithGoMigrations(migrations.Go()...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, activityVersion-1); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Pool.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO stickers (name, name_key, image_url) VALUES ('cat', 'cat', 'https://x.example/c.png'),
		('dog', 'dog', 'https://x.example/d.png'), ('gone', 'gone', 'https://x.example/g.png')`)
	// The old RecordSend's rows: no key, ts or via. Two days, three people,
	// and a deleted sticker's sends (sticker_id NULL).
	exec(`INSERT INTO sends (sticker_id, sticker_name, user_id, channel_id, sent_at)
		SELECT s.id, s.name, u, 'C1', t::timestamptz FROM stickers s, (VALUES
			('cat', 'U1', '2026-03-01 10:00Z'), ('cat', 'U1', '2026-03-01 23:59Z'), ('cat', 'U1', '2026-03-02 00:01Z'),
			('dog', 'U2', '2026-03-02 12:00Z'), ('gone', 'U3', '2026-03-02 13:00Z')) v(n, u, t)
		WHERE s.name = v.n`)
	// The old RecordSend counted each use.
	exec(`UPDATE stickers s SET usage_count = (SELECT count(*) FROM sends e WHERE e.sticker_id = s.id)`)
	exec(`INSERT INTO stickers (name, name_key, image_url) VALUES ('owl', 'owl', 'https://x.example/o.png')`)
	exec(`DELETE FROM stickers WHERE name = 'gone'`)
	applied, err := store.Migrate(ctx, db.Pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 1 || applied[0] != "00006_activity.sql" {
		t.Errorf("applied %v", applied)
	}
	rollups := func() []string {
		t.Helper()
		rows, err := db.Pool.Query(ctx, `
			SELECT 'sd ' || d.day || ' ' || s.name || ' ' || d.sends FROM sticker_days d JOIN stickers s ON s.id = d.sticker_id
			UNION ALL SELECT 'day ' || day || ' ' || sum(sends) FROM send_days GROUP BY day
			UNION ALL SELECT 'lib ' || sum(showable) || ' ' || sum(never_sent) FROM library_counts
			UNION ALL SELECT 'ud ' || user_id || ' ' || day || ' ' || sends FROM user_days
			UNION ALL SELECT 'us ' || u.user_id || ' ' || s.name || ' ' || u.sends || ' ' || to_char(u.last_sent_at AT TIME ZONE 'UTC', 'MM-DD HH24:MI')
				FROM user_stickers u JOIN stickers s ON s.id = u.sticker_id
			ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	want := []string{
		"day 2026-03-01 2", "day 2026-03-02 3", "lib 3 1",
		"sd 2026-03-01 cat 2", "sd 2026-03-02 cat 1", "sd 2026-03-02 dog 1",
		"ud U1 2026-03-01 2", "ud U1 2026-03-02 1", "ud U2 2026-03-02 1", "ud U3 2026-03-02 1",
		"us U1 cat 3 03-02 00:01", "us U2 dog 1 03-02 12:00",
	}
	if got := rollups(); !slices.Equal(got, want) {
		t.Errorf("backfilled rollups:\n%q\nwant\n%q", got, want)
	}
	st := store.New(db.Pool)
	us, err := st.UserStats(ctx, "U1", time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC), 2, 5)
	if err != nil || us.AllSends != 3 || us.WeekSends != 3 || us.Days[0].Sends != 2 || us.Days[1].Sends != 1 {
		t.Errorf("U1's stats from the old history: %+v %v", us, err)
	}
	// Down and up again: the rollups come back the same.
	if _, err := p.DownTo(ctx, activityVersion-1); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rollups(); !slices.Equal(got, want) {
		t.Errorf("rollups after down and up:\n%q\nwant\n%q", got, want)
	}
}
