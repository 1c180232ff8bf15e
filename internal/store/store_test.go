package store_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"testing"

	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/sticker"
	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

func newStore(t *testing.T) *store.Store {
	t.Helper()
	return store.New(testdb.New(t).Pool)
}

func mustCreate(t *testing.T, st *store.Store, name string, tags ...string) sticker.Sticker {
	t.Helper()
	s, err := st.Save(context.Background(), 0, sticker.Draft{
		Name: name, Tags: tags, ImageURL: "https://img.example.com/" + url.PathEscape(name) + ".png", AddedBy: "U1",
	})
	if err != nil {
		t.Fatalf("create %q: %v", name, err)
	}
	return s
}

func names(ms []search.Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

// find searches st's library as it is now, with an index loaded afresh.
func find(t *testing.T, st *store.Store, q string) []search.Match {
	t.Helper()
	pq, err := search.ParseQuery(q)
	if err != nil {
		t.Fatalf("ParseQuery(%q): %v", q, err)
	}
	lib := search.NewLibrary(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := lib.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	page, err := lib.Search(context.Background(), pq, 0, 10)
	if err != nil {
		t.Fatalf("Search(%q): %v", q, err)
	}
	return page.Matches
}

func TestCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	a := mustCreate(t, st, "Cat", "kitty")
	if _, err := st.Save(ctx, 0, sticker.Draft{Name: " ＣＡＴ ", ImageURL: "https://x.example/c.png"}); !errors.Is(err, sticker.ErrDuplicateName) {
		t.Fatalf("duplicate name: %v", err)
	}
	b := mustCreate(t, st, "dog")
	if _, err := st.Save(ctx, b.ID, sticker.Draft{Name: "cat", ImageURL: "https://x.example/d.png"}); !errors.Is(err, sticker.ErrDuplicateName) {
		t.Fatalf("rename onto a taken name: %v", err)
	}
	u, err := st.Save(ctx, a.ID, sticker.Draft{Name: "Kitten", Tags: []string{"고양이"}, ImageURL: "https://x.example/k.png"})
	if err != nil || u.Name != "Kitten" {
		t.Fatalf("update: %v %+v", err, u)
	}
	if ms := find(t, st, "kitty"); len(ms) > 0 && ms[0].Rank != search.RankFuzzy {
		t.Errorf("old tag still matches as %d", ms[0].Rank)
	}
	if got := names(find(t, st, "고양이")); len(got) != 1 || got[0] != "Kitten" {
		t.Errorf("new tag not found: %v", got)
	}
	if err := st.RecordSend(ctx, sticker.Send{StickerID: a.ID, User: "U1", Channel: "C1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, a.ID); !errors.Is(err, sticker.ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	if _, err := st.Delete(ctx, a.ID); !errors.Is(err, sticker.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if err := st.RecordSend(ctx, sticker.Send{StickerID: a.ID, User: "U1", Channel: "C1"}); err != nil {
		t.Fatalf("send of a deleted sticker: %v", err)
	}
	if _, err := st.Save(ctx, a.ID, sticker.Draft{Name: "x", ImageURL: "https://x.example/x.png"}); !errors.Is(err, sticker.ErrNotFound) {
		t.Fatalf("update deleted: %v", err)
	}
}

// TestSchemaConstraints writes past the Go checks to prove the schema holds
// the rules on its own.
func TestSchemaConstraints(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	bad := map[string]string{
		"no image":      `INSERT INTO stickers (name, name_key) VALUES ('a', 'a')`,
		"http url":      `INSERT INTO stickers (name, name_key, image_url) VALUES ('a', 'a', 'http://x/a.png')`,
		"bad file id":   `INSERT INTO stickers (name, name_key, slack_file_id) VALUES ('a', 'a', 'nope')`,
		"empty name":    `INSERT INTO stickers (name, name_key, image_url) VALUES ('', 'x', 'https://x/a.png')`,
		"padded name":   `INSERT INTO stickers (name, name_key, image_url) VALUES (' a', 'a', 'https://x/a.png')`,
		"empty tag":     `INSERT INTO stickers (name, name_key, image_url, tags) VALUES ('a', 'a', 'https://x/a.png', '{""}')`,
		"negative uses": `INSERT INTO stickers (name, name_key, image_url, usage_count) VALUES ('a', 'a', 'https://x/a.png', -1)`,
	}
	for name, q := range bad {
		if _, err := db.Pool.Exec(ctx, q); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO stickers (name, name_key, image_url) VALUES ('A', 'a', 'https://x/a.png'), ('a', 'a', 'https://x/b.png')`); err == nil {
		t.Error("duplicate name_key accepted")
	}
}

func TestImport(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	drafts := []sticker.Draft{
		{Name: "cat", Tags: []string{"kitty"}, ImageURL: "https://x.example/cat.png"},
		{Name: "dog", ImageURL: "https://x.example/dog.png"},
	}
	res, err := st.Import(ctx, drafts)
	if err != nil || res != (store.ImportResult{Added: 2}) {
		t.Fatalf("first import: %+v %v", res, err)
	}
	res, err = st.Import(ctx, drafts)
	if err != nil || res != (store.ImportResult{Unchanged: 2}) {
		t.Fatalf("second import: %+v %v", res, err)
	}
	drafts[0].Tags = []string{"kitty", "고양이"}
	res, err = st.Import(ctx, drafts)
	if err != nil || res != (store.ImportResult{Updated: 1, Unchanged: 1}) {
		t.Fatalf("third import: %+v %v", res, err)
	}
	if n, _ := st.Count(ctx); n != 2 {
		t.Fatalf("count = %d", n)
	}
}

func TestClaim(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	first, err := st.Claim(ctx, "ev:Ev1")
	if err != nil || !first {
		t.Fatalf("first claim: %v %v", first, err)
	}
	again, err := st.Claim(ctx, "ev:Ev1")
	if err != nil || again {
		t.Fatalf("second claim: %v %v", again, err)
	}
	if n, err := st.ExpireClaims(ctx, 0); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
}

// TestPruneTombstones: a deletion is remembered, for replicas that have
// not read it yet, until TombstoneTTL has passed.
func TestPruneTombstones(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	st := store.New(db.Pool)
	ctx := context.Background()
	a := mustCreate(t, st, "zebra", "stripes")
	mustCreate(t, st, "horse", "stripes")
	if _, err := st.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := st.PruneTombstones(ctx); err != nil || n != 0 {
		t.Fatalf("pruned %d fresh tombstones: %v", n, err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE sticker_tombstones SET deleted_at = now() - interval '25 hours'`); err != nil {
		t.Fatal(err)
	}
	if n, err := st.PruneTombstones(ctx); err != nil || n != 1 {
		t.Fatalf("pruned %d (want zebra's): %v", n, err)
	}
	if got := names(find(t, st, "stripes")); len(got) != 1 || got[0] != "horse" {
		t.Fatalf("after pruning: %v", got)
	}
}

func TestExclusive(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	inner := false
	ran, err := st.Exclusive(ctx, "t-"+t.Name(), func(ctx context.Context) error {
		// While it is held, nobody else gets it.
		again, err := st.Exclusive(ctx, "t-"+t.Name(), func(context.Context) error { inner = true; return nil })
		if err != nil || again {
			t.Errorf("second holder: %v %v", again, err)
		}
		return nil
	})
	if err != nil || !ran || inner {
		t.Fatalf("first holder: ran %v, err %v, inner ran %v", ran, err, inner)
	}
	if ran, err := st.Exclusive(ctx, "t-"+t.Name(), func(context.Context) error { return nil }); !ran || err != nil {
		t.Fatalf("lock not released: %v %v", ran, err)
	}
}
