package store_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stickerbot/stickerbot/internal/testdb"
)

// BenchmarkImportChangeTracking measures what keeping replicas' search
// indexes in step costs a bulk write: 100,000 rows written with COPY into
// a staging table and one upsert (as the import command writes; half of
// them change existing stickers, half are new), into a library of 100,000,
// with the change tracking (the changed_xid column, its index and
// trigger, the notification) and without any of it. It also counts the
// notifications a listener gets per import: one.
//
//	go test -run '^$' -bench BenchmarkImportChangeTracking -benchtime 5x ./internal/store/
func BenchmarkImportChangeTracking(b *testing.B) {
	for _, tracked := range []bool{true, false} {
		b.Run(map[bool]string{true: "tracked", false: "untracked"}[tracked], func(b *testing.B) {
			ctx := context.Background()
			db := testdb.New(b)
			testdb.Generate(b, db.Pool, 100_000)
			if !tracked {
				// Everything the change tracking adds to a write goes: the
				// triggers, the column's default and its index.
				for _, q := range []string{
					`ALTER TABLE stickers DISABLE TRIGGER stickers_touch, DISABLE TRIGGER stickers_notify,
						ALTER COLUMN changed_xid DROP NOT NULL, ALTER COLUMN changed_xid DROP DEFAULT`,
					`DROP INDEX stickers_changed_xid`,
				} {
					if _, err := db.Pool.Exec(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
			}
			var names, keys []string
			rows, err := db.Pool.Query(ctx, `SELECT name, name_key FROM stickers ORDER BY id LIMIT 50000`)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
				var n, k string
				_ = rows.Scan(&n, &k)
				names, keys = append(names, n), append(keys, k)
			}
			rows.Close()
			listener, err := pgx.Connect(ctx, db.URL)
			if err != nil {
				b.Fatal(err)
			}
			defer listener.Close(ctx)
			var channel string
			if err := listener.QueryRow(ctx, `SELECT left('stickers_' || current_schema(), 63)`).Scan(&channel); err != nil {
				b.Fatal(err)
			}
			if _, err := listener.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
				b.Fatal(err)
			}
			var took time.Duration
			notified := 0
			round := 0
			for b.Loop() {
				round++
				batch := make([][]any, 0, 100_000)
				for i := range 100_000 {
					name := "new " + strconv.Itoa(round) + " " + strconv.Itoa(i)
					key := name
					if i < len(names) {
						name, key = names[i], keys[i]
					}
					batch = append(batch, []any{name, key, []string{"imported", "round " + strconv.Itoa(round)}, "https://img.example.com/i.png"})
				}
				start := time.Now()
				err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
					if _, err := tx.Exec(ctx, `CREATE TEMP TABLE staging (name text, name_key text, tags text[], image_url text) ON COMMIT DROP`); err != nil {
						return err
					}
					if _, err := tx.CopyFrom(ctx, pgx.Identifier{"staging"}, []string{"name", "name_key", "tags", "image_url"}, pgx.CopyFromRows(batch)); err != nil {
						return err
					}
					_, err := tx.Exec(ctx, `INSERT INTO stickers (name, name_key, tags, image_url)
						SELECT name, name_key, tags, image_url FROM staging
						ON CONFLICT (name_key) DO UPDATE SET tags = excluded.tags, image_url = excluded.image_url, updated_at = now()
						WHERE (stickers.tags, stickers.image_url) IS DISTINCT FROM (excluded.tags, excluded.image_url)`)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				took += time.Since(start)
				for {
					wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
					_, err := listener.WaitForNotification(wctx)
					cancel()
					if err != nil {
						break
					}
					notified++
				}
			}
			b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "ms/import")
			b.ReportMetric(float64(notified)/float64(b.N), "notifications/import")
			b.ReportMetric(0, "ns/op")
		})
	}
}
