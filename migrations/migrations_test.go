package migrations_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
	"github.com/stickerbot/stickerbot/migrations"
)

// Image URLs stored as typed before issue 17 are rewritten as
// sticker.NormalizeImageURL does; none is lost, and those that cannot be
// made valid stay as they were.
func TestNormalizeImageURLs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db := testdb.NewDatabase(t, testdb.Options{Empty: true})
	sqlDB := stdlib.OpenDBFromPool(db.Pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS, goose.WithGoMigrations(migrations.Go()...))
	if err != nil {
		t.Fatal(err)
	}
	fix := migrations.Go()[0]
	if _, err := p.UpTo(ctx, fix.Version-1); err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{ // as typed → after the migration
		"https://例え.jp/ねこ.png":              "https://xn--r8jz45g.jp/%E3%81%AD%E3%81%93.png",
		"https://example.com/스티커/고양이.png":   "https://example.com/%EC%8A%A4%ED%8B%B0%EC%BB%A4/%EA%B3%A0%EC%96%91%EC%9D%B4.png",
		"https://example.com/a|b.png?v={1}": "https://example.com/a%7Cb.png?v=%7B1%7D",
		"https://example.com/fine.png":      "https://example.com/fine.png",
		"https://exa|mple.com/a.png":        "https://exa|mple.com/a.png", // cannot be made valid: kept
	}
	i := 0
	for typed := range stored {
		i++
		if _, err := db.Pool.Exec(ctx, `INSERT INTO stickers (name, name_key, tags, image_url, added_by)
			VALUES ($1, $1, '{}', $2, 'test')`, "s"+string(rune('a'+i)), typed); err != nil {
			t.Fatal(err)
		}
	}
	// More than a page of them, read page by page.
	if _, err := db.Pool.Exec(ctx, `INSERT INTO stickers (name, name_key, tags, image_url, added_by)
		SELECT 'bulk' || g, 'bulk' || g, '{}', 'https://example.com/ねこ' || g || '.png', 'test'
		FROM generate_series(1, 2500) g`); err != nil {
		t.Fatal(err)
	}
	applied, err := store.Migrate(ctx, db.Pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 || applied[0] != fix.Source {
		t.Errorf("applied %v, want %s first", applied, fix.Source)
	}
	var bulk int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM stickers
		WHERE image_url ~ '^https://example.com/%E3%81%AD%E3%81%93[0-9]+\.png$'`).Scan(&bulk); err != nil || bulk != 2500 {
		t.Errorf("%d of 2500 bulk stickers normalised (%v)", bulk, err)
	}
	rows, err := db.Pool.Query(ctx, `SELECT image_url FROM stickers WHERE name NOT LIKE 'bulk%' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			t.Fatal(err)
		}
		got[u] = true
	}
	if len(got) != len(stored) {
		t.Errorf("%d stickers after the migration, want %d: %v", len(got), len(stored), got)
	}
	for typed, want := range stored {
		if !got[want] {
			t.Errorf("%q: want %q stored, have %v", typed, want, got)
		}
	}
}
