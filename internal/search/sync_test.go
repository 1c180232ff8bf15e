package search_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/sticker"
	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

// The Library follows the database: these tests change it behind a
// Library's back (as another replica or the import command would) and
// check what the Library then finds.

func first(t *testing.T, lib *search.Library, q string) (string, bool) {
	t.Helper()
	pq, err := search.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := lib.Nth(context.Background(), pq, 0)
	if err != nil {
		return "", false
	}
	return m.Name, true
}

// TestFollowsNotifications: a Library that listens learns of another
// writer's insert, update, usage and delete within moments, long before
// its poll would.
func TestFollowsNotifications(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	st := store.New(db.Pool)
	lib := search.NewLibrary(st, quiet())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := lib.Load(ctx); err != nil {
		t.Fatal(err)
	}
	go lib.Run(ctx)
	go st.Listen(ctx, lib.Changed, func(err error) { t.Logf("listen: %v", err) })
	writer := store.New(db.Pool) // another replica, say
	eventually := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(search.PollInterval / 2)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not seen within %v", what, search.PollInterval/2)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	a, err := writer.Save(ctx, 0, sticker.Draft{Name: "aardvark", Tags: []string{"animal"}, ImageURL: "https://x.example/a.png"})
	if err != nil {
		t.Fatal(err)
	}
	eventually("insert", func() bool { n, ok := first(t, lib, "animal"); return ok && n == "aardvark" })
	b, err := writer.Save(ctx, 0, sticker.Draft{Name: "badger", Tags: []string{"animal"}, ImageURL: "https://x.example/b.png"})
	if err != nil {
		t.Fatal(err)
	}
	if err := writer.RecordSend(ctx, sticker.Send{StickerID: b.ID, User: "U1", Channel: "C1"}); err != nil {
		t.Fatal(err)
	}
	eventually("usage", func() bool { n, _ := first(t, lib, "animal"); return n == "badger" })
	if _, err := writer.Save(ctx, a.ID, sticker.Draft{Name: "anteater", Tags: []string{"animal", "ants"}, ImageURL: "https://x.example/a.png"}); err != nil {
		t.Fatal(err)
	}
	eventually("rename", func() bool { n, ok := first(t, lib, "ants"); return ok && n == "anteater" })
	if _, ok := first(t, lib, "aardvark"); ok {
		t.Error("the old name is still found")
	}
	if _, err := writer.Delete(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	eventually("delete", func() bool { n, _ := first(t, lib, "animal"); return n == "anteater" })
	if st := lib.Stats(); st.Stickers != 1 {
		t.Errorf("stats %+v, want one sticker", st)
	}
}

// TestListenReconnects: when the listening connection is lost, the
// Library is told once it listens again, and follows changes made in
// between.
func TestListenReconnects(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	st := store.New(db.Pool)
	lib := search.NewLibrary(st, quiet())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := lib.Load(ctx); err != nil {
		t.Fatal(err)
	}
	go lib.Run(ctx)
	lost := make(chan error, 10)
	go st.Listen(ctx, lib.Changed, func(err error) { lost <- err })
	var schema string
	if err := db.Pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	kill := func() int {
		var n int
		err := db.Pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE query = 'LISTEN "' || left('stickers_' || $1::text, 63) || '"'`, schema).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	deadline := time.Now().Add(5 * time.Second)
	for kill() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no listening connection to kill")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-lost:
	case <-time.After(5 * time.Second):
		t.Fatal("the lost connection was not reported")
	}
	mustCreate(t, st, "while away")
	deadline = time.Now().Add(search.PollInterval - time.Second)
	for {
		if _, ok := first(t, lib, "while away"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the change made while reconnecting was not seen")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLateCommit: a transaction that began before a refresh and commits
// after it is not missed, however long it stays open.
func TestLateCommit(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	st := store.New(db.Pool)
	ctx := context.Background()
	lib := loaded(t, st)
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO stickers (name, name_key, image_url) VALUES ('slowpoke', 'slowpoke', 'https://x.example/s.png')`); err != nil {
		t.Fatal(err)
	}
	// Meanwhile others commit, and the Library refreshes past them.
	mustCreate(t, st, "quick")
	for range 3 {
		if err := lib.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := first(t, lib, "quick"); !ok {
		t.Fatal("the committed sticker is not found")
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lib.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n, ok := first(t, lib, "slowpoke"); !ok || n != "slowpoke" {
		t.Fatalf("the late transaction's sticker: %q %v", n, ok)
	}
}

// TestBulkChanges: an import of many rows at once (COPY and one upsert,
// the way the import command writes) reaches the Library whole, through
// a rebuild.
func TestBulkChanges(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	st := store.New(db.Pool)
	ctx := context.Background()
	lib := loaded(t, st)
	mustCreate(t, st, "existing", "bulk")
	if err := lib.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 3000 // more than a delta holds
	rows := make([][]any, n)
	for i := range rows {
		name := fmt.Sprintf("bulk %04d", i)
		rows[i] = []any{name, name, []string{"bulk"}, "https://x.example/b.png"}
	}
	if _, err := db.Pool.CopyFrom(ctx, pgx.Identifier{"stickers"}, []string{"name", "name_key", "tags", "image_url"}, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE stickers SET usage_count = 7 WHERE name_key = 'bulk 2999'`); err != nil {
		t.Fatal(err)
	}
	if err := lib.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	pq, _ := search.ParseQuery("bulk")
	page, err := lib.Search(ctx, pq, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != search.TotalCap || !page.Capped || len(page.Matches) != 3 || page.Matches[0].Name != "bulk 2999" {
		t.Fatalf("page %+v (%d matches), want bulk 2999 first of %d+", page.Matches, page.Total, search.TotalCap)
	}
	if st := lib.Stats(); st.Stickers != n+1 {
		t.Errorf("stats %+v, want %d stickers", st, n+1)
	}
	if _, err := db.Pool.Exec(ctx, `DELETE FROM stickers WHERE name_key LIKE 'bulk %'`); err != nil {
		t.Fatal(err)
	}
	if err := lib.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n, ok := first(t, lib, "bulk"); !ok || n != "existing" {
		t.Fatalf("after the bulk delete: %q %v", n, ok)
	}
	if _, err := db.Pool.Exec(ctx, `TRUNCATE stickers CASCADE`); err != nil {
		t.Fatal(err)
	}
	if err := lib.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n, ok := first(t, lib, "existing"); ok {
		t.Fatalf("after TRUNCATE %q is found", n)
	}
}

// TestHiddenUntilShown: a sticker with only a stored image is not found
// until it has a Slack copy to show.
func TestHiddenUntilShown(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	st := store.New(db.Pool)
	ctx := context.Background()
	lib := loaded(t, st)
	img, err := sticker.SniffImage(pngBytes())
	if err != nil {
		t.Fatal(err)
	}
	s, err := st.Save(ctx, 0, sticker.Draft{Name: "uploaded", Image: &img})
	if err != nil {
		t.Fatal(err)
	}
	if err := lib.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := first(t, lib, "uploaded"); ok {
		t.Fatal("found before it can be shown")
	}
	if _, err := st.SetSlackFile(ctx, s.ID, "F0COPY00001", img.SHA256()); err != nil {
		t.Fatal(err)
	}
	if err := lib.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := first(t, lib, "uploaded"); !ok {
		t.Fatal("not found once it can be shown")
	}
}

// pngBytes is a 1×1 PNG.
func pngBytes() []byte {
	return []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
		"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
}
