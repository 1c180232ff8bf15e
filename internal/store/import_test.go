package store_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stickerbot/stickerbot/internal/sticker"
	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

// Import works on its own copy of the drafts: the caller's slice is left
// as it was given.
func TestImportLeavesCallersDrafts(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	drafts := []sticker.Draft{{Name: "  cat  ", Tags: []string{" kitty ", "kitty", ""}, ImageURL: " https://x.example/cat.png "}}
	want := []sticker.Draft{{Name: "  cat  ", Tags: []string{" kitty ", "kitty", ""}, ImageURL: " https://x.example/cat.png "}}
	if _, err := st.Import(context.Background(), drafts); err != nil {
		t.Fatal(err)
	}
	if drafts[0].Name != want[0].Name || drafts[0].ImageURL != want[0].ImageURL || !slices.Equal(drafts[0].Tags, want[0].Tags) {
		t.Fatalf("Import changed its caller's drafts: %+v", drafts)
	}
}

// readFile imports the import file text through a FileReader.
func importText(t *testing.T, st *store.Store, text string) (store.ImportResult, error) {
	t.Helper()
	return st.ImportFrom(context.Background(), sticker.NewFileReader(strings.NewReader(text), "import"), nil)
}

func count(t *testing.T, db testdb.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportRepeatedNames: a name that repeats an earlier row's (folded:
// case and width do not matter) is reported with both rows and their
// lines, together with the other bad rows, and nothing is imported.
func TestImportRepeatedNames(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	st := store.New(db.Pool)
	text := `[
  {"name": "cat", "tags": [], "image_url": "https://x.example/1.png"},
  {"name": "dog", "tags": 5, "image_url": "https://x.example/2.png"},
  {"name": "CAT", "tags": [], "image_url": "https://x.example/3.png"},
  {"name": "ｃａｔ", "tags": [], "image_url": "https://x.example/4.png"},
  {"name": "dog", "tags": [], "image_url": "https://x.example/5.png"}
]`
	_, err := importText(t, st, text)
	var fe *sticker.FileErrors
	if !errors.As(err, &fe) {
		t.Fatalf("want *FileErrors, got %v", err)
	}
	want := `row 2 (line 3): tags: is a number (5), not a list of tags: write ["5"]
row 3 (line 4): name: "CAT" repeats the name of row 1 (line 2)
row 4 (line 5): name: "ｃａｔ" repeats the name of row 1 (line 2)
row 5 (line 6): name: "dog" repeats the name of row 2 (line 3)`
	if fe.Error() != want || fe.Total != 4 {
		t.Fatalf("got\n%s\nwant\n%s", fe.Error(), want)
	}
	if n := count(t, db, "stickers"); n != 0 {
		t.Fatalf("%d stickers after a failed import", n)
	}
	// Only the repeated names: still nothing.
	text = strings.Replace(text, `"tags": 5`, `"tags": []`, 1)
	_, err = importText(t, st, text)
	if !errors.As(err, &fe) || fe.Total != 3 || !strings.HasSuffix(fe.Error(), `row 5 (line 6): name: "dog" repeats the name of row 2 (line 3)`) {
		t.Fatalf("got %v", err)
	}
	if n := count(t, db, "stickers"); n != 0 {
		t.Fatalf("%d stickers after a failed import", n)
	}
}

// TestImportManyRepeats: past 50 problems they are counted, not listed.
func TestImportManyRepeats(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	var drafts []sticker.Draft
	for i := range 130 {
		drafts = append(drafts, sticker.Draft{Name: fmt.Sprintf("s%d", i%60), ImageURL: "https://x.example/a.png"})
	}
	_, err := st.Import(context.Background(), drafts)
	var fe *sticker.FileErrors
	if !errors.As(err, &fe) || fe.Total != 70 || len(fe.Rows) != 50 || fe.Rows[0].Error() != `row 61: name: "s0" repeats the name of row 1` ||
		!strings.HasSuffix(fe.Error(), "\nand 20 more") {
		t.Fatalf("%v", err)
	}
}

func TestImportSyntaxErrorImportsNothing(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	st := store.New(db.Pool)
	_, err := importText(t, st, `[{"name": "a", "image_url": "https://x.example/a.png"}, {"name": "b", "image_url": "https://x.example/b.png"} {"name": "c"}]`)
	var fe *sticker.FileErrors
	if !errors.As(err, &fe) || fe.Syntax == nil || fe.Syntax.Line != 1 || fe.Syntax.Column != 111 {
		t.Fatalf("%v", err)
	}
	if n := count(t, db, "stickers"); n != 0 {
		t.Fatalf("%d stickers after a failed import", n)
	}
}

// TestImportUpdates: what changed is updated (names, tags, images, in
// both directions), the rest is left, and search follows.
func TestImportUpdates(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	st := store.New(db.Pool)
	ctx := context.Background()
	img := mustImage(t, testPNG)
	drafts := []sticker.Draft{
		{Name: "cat", Tags: []string{"kitty"}, ImageURL: "https://x.example/cat.png"},
		{Name: "dog", Tags: []string{"puppy"}, ImageURL: "https://x.example/dog.png"},
		{Name: "stored", Tags: []string{"bytes"}, Image: img, SlackFileID: "F0AAAAAAAA"},
		{Name: "hidden", Tags: []string{"unseen"}, Image: img},
		{Name: "same", ImageURL: "https://x.example/same.png"},
	}
	res, err := st.Import(ctx, drafts)
	if err != nil || res != (store.ImportResult{Added: 5}) {
		t.Fatalf("first import: %+v %v", res, err)
	}
	if got := names(find(t, st, "bytes")); !slices.Equal(got, []string{"stored"}) {
		t.Fatalf("stored image sticker not searchable: %v", got)
	}
	if got := names(find(t, st, "unseen")); len(got) != 0 {
		t.Fatalf("a sticker nobody can see is searchable: %v", got)
	}
	if si, err := st.StoredImages(ctx, 0, 10); err != nil || len(si) != 2 {
		t.Fatalf("stored images: %+v %v", si, err)
	}
	drafts = []sticker.Draft{
		{Name: "Cat", Tags: []string{"kitty"}, ImageURL: "https://x.example/cat.png"},  // renamed (case)
		{Name: "dog", Tags: []string{"hound"}, ImageURL: "https://x.example/dog.png"},  // tag changed
		{Name: "stored", Tags: []string{"bytes"}, ImageURL: "https://x.example/s.png"}, // image → URL
		{Name: "hidden", Tags: []string{"unseen"}, Image: img, SlackFileID: "F0BBBBBBBB"},
		{Name: "same", ImageURL: "https://x.example/same.png"},
		{Name: "new", Image: img},
	}
	res, err = st.Import(ctx, drafts)
	if err != nil || res != (store.ImportResult{Added: 1, Updated: 4, Unchanged: 1}) {
		t.Fatalf("second import: %+v %v", res, err)
	}
	if got := names(find(t, st, "puppy")); len(got) != 0 {
		t.Fatalf("old tag still found: %v", got)
	}
	if got := names(find(t, st, "hound")); !slices.Equal(got, []string{"dog"}) {
		t.Fatalf("new tag: %v", got)
	}
	if got := names(find(t, st, "unseen")); !slices.Equal(got, []string{"hidden"}) {
		t.Fatalf("hosted sticker: %v", got)
	}
	if s, err := st.GetByName(ctx, "stored"); err != nil || s.ImageURL != "https://x.example/s.png" {
		t.Fatalf("stored: %+v %v", s, err)
	}
	if si, err := st.StoredImages(ctx, 0, 10); err != nil || len(si) != 2 {
		t.Fatalf("stored images after the switch to a URL: %+v %v", si, err)
	}
	if res, err := st.Import(ctx, drafts); err != nil || res != (store.ImportResult{Unchanged: 6}) {
		t.Fatalf("third import: %+v %v", res, err)
	}
	if got := names(find(t, st, "new")); len(got) != 0 { // only a stored image: hidden
		t.Fatalf("a sticker without a Slack copy is found: %v", got)
	}
}

// TestImportHungDatabase: an import waiting on a database that does not
// answer gives up with an error that says so, rather than hang.
func TestImportHungDatabase(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	st := store.New(db.Pool)
	store.SetStall(st, time.Second)
	ctx := context.Background()
	// Someone holds the library, so the merge cannot start.
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE stickers IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = st.Import(ctx, []sticker.Draft{{Name: "cat", ImageURL: "https://x.example/cat.png"}})
	if err == nil || !strings.Contains(err.Error(), "the import waited more than 1s for a lock on the library held by another database session (pid [") || time.Since(start) > 10*time.Second {
		t.Fatalf("after %s: %v", time.Since(start), err)
	}
}

// freezer is a TCP proxy to PostgreSQL that can stop passing bytes one
// way, as a hung server or network does.
type freezer struct {
	ln                 net.Listener
	toServer, toClient atomic.Bool // frozen
	mu                 sync.Mutex
	conns              []net.Conn
}

func newFreezer(t *testing.T, server string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln}
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, c := range f.conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", server)
			if err != nil {
				c.Close()
				continue
			}
			f.mu.Lock()
			f.conns = append(f.conns, c, s)
			f.mu.Unlock()
			go f.pipe(s, c, &f.toServer)
			go f.pipe(c, s, &f.toClient)
		}
	}()
	return f
}

func (f *freezer) pipe(dst, src net.Conn, frozen *atomic.Bool) {
	buf := make([]byte, 4096)
	for {
		for frozen.Load() {
			time.Sleep(10 * time.Millisecond)
		}
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

// through returns a store whose connections pass through f.
func (f *freezer) through(t *testing.T, db testdb.DB) *store.Store {
	t.Helper()
	u, err := url.Parse(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = f.ln.Addr().String()
	pool, err := pgxpool.New(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := pool.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	return store.New(pool)
}

// endless yields good rows until told to stop; after `freezeAt` rows it
// calls freeze.
type endless struct {
	n        int
	freezeAt int
	freeze   func()
}

func (e *endless) Next() bool {
	e.n++
	if e.n == e.freezeAt {
		e.freeze()
	}
	return e.n < 10_000_000
}

func (e *endless) Row() sticker.Row {
	return sticker.Row{N: e.n, Draft: sticker.Draft{Name: fmt.Sprintf("sticker %d", e.n), Tags: []string{"a", "b"}, ImageURL: "https://x.example/a.png"}}
}

func (e *endless) Err() error { return nil }

// TestImportStalledCopy: when the database stops taking the rows being
// copied, the import ends within the stall limit, saying so.
func TestImportStalledCopy(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	u, _ := url.Parse(db.URL)
	f := newFreezer(t, u.Host)
	st := f.through(t, db)
	store.SetStall(st, time.Second)
	start := time.Now()
	src := &endless{freezeAt: 1000, freeze: func() { f.toServer.Store(true) }}
	_, err := st.ImportFrom(context.Background(), src, nil)
	f.toServer.Store(false) // let the connection close
	// Whichever notices first: rows not taken, or the session not seen.
	if err == nil || !strings.Contains(err.Error(), "the database took more than 1s to take more rows") &&
		!strings.Contains(err.Error(), "the database has not answered for more than 1s") || time.Since(start) > 30*time.Second {
		t.Fatalf("after %s and %d rows: %v", time.Since(start), src.n, err)
	}
}

// TestExportStalled: when the database stops sending, the export ends
// within the stall limit, saying so.
func TestExportStalled(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	u, _ := url.Parse(db.URL)
	f := newFreezer(t, u.Host)
	st := f.through(t, db)
	mustCreate(t, store.New(db.Pool), "cat")
	store.SetStall(st, time.Second)
	f.toClient.Store(true)
	start := time.Now()
	_, err := st.ExportTo(context.Background(), func(sticker.FileRow) error { return nil })
	f.toClient.Store(false) // let the connection close
	if err == nil || !strings.Contains(err.Error(), "the database took more than 1s to send the next sticker") || time.Since(start) > 30*time.Second {
		t.Fatalf("after %s: %v", time.Since(start), err)
	}
}

// TestExportStreams: rows reach fn while the query runs, and fn's error
// stops the export.
func TestExportStreams(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	for _, n := range []string{"b", "a", "c"} {
		mustCreate(t, st, n)
	}
	var got []string
	stop := errors.New("enough")
	n, err := st.ExportTo(context.Background(), func(r sticker.FileRow) error {
		got = append(got, r.Name)
		if len(got) == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 1 || !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("%d %v %v", n, got, err)
	}
}

// TestSchemaChecksAfterMigration3: the faster checks of migration 3 hold
// the same rules: every tag trimmed, 1 to 50 characters, not null; a
// sticker without an image URL, Slack file or stored image refused.
func TestSchemaChecksAfterMigration3(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	for tags, ok := range map[string]bool{
		`{}`: true, `{a,"b c"}`: true, `{` + strings.Repeat("x", 50) + `}`: true, `{고양이}`: true,
		`{""}`: false, `{" a"}`: false, `{"a "}`: false, `{NULL}`: false, `{a,NULL}`: false, `{` + strings.Repeat("x", 51) + `}`: false,
	} {
		_, err := db.Pool.Exec(ctx, `INSERT INTO stickers (name, name_key, image_url, tags) VALUES ('a', 'a', 'https://x/a.png', $1::text[])`, tags)
		if (err == nil) != ok {
			t.Errorf("tags %s: %v", tags, err)
		}
		db.Pool.Exec(ctx, `DELETE FROM stickers`)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO stickers (name, name_key, image_url) VALUES ('a', 'a', 'https://x/a.png')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE stickers SET image_url = NULL`); err == nil {
		t.Error("a sticker left without any image was accepted")
	}
}

// TestImportURLTheSchemaRefuses: a URL the schema would refuse as typed
// is stored as NormalizeImageURL makes it (an upper-case scheme), or named
// as the row's problem (a space the database counts as one), never left to
// fail the whole import in the database.
func TestImportURLTheSchemaRefuses(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	if _, err := st.Import(ctx, []sticker.Draft{{Name: "a", ImageURL: "HTTPS://x.example/a.png"}}); err != nil {
		t.Fatalf("upper-case scheme: %v", err)
	}
	if s, err := st.GetByName(ctx, "a"); err != nil || s.ImageURL != "https://x.example/a.png" {
		t.Errorf("upper-case scheme stored as %q, %v", s.ImageURL, err)
	}
	_, err := st.Import(ctx, []sticker.Draft{{Name: "b", ImageURL: "https://x.example/a\u3000b.png"}})
	var fe *sticker.FileErrors
	if !errors.As(err, &fe) || !strings.HasPrefix(fe.Rows[0].Error(), "row 1: image_url: has a space in it") {
		t.Errorf("an ideographic space: %v", err)
	}
}
