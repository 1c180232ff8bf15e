package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/slacksim"
	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

// TestImportLargeLibraryThenSearch imports a generated library of 100,000
// stickers through the real command, then the real bot finds its
// stickers: by exact name, by a common tag, by a Korean tag. Importing it
// again changes nothing.
func TestImportLargeLibraryThenSearch(t *testing.T) {
	t.Parallel()
	const n = 100_000
	path := testdb.LibraryFile(t, n, 7)
	db := testdb.New(t)
	env := map[string]string{"DATABASE_URL": db.URL}
	out, err := runCLI(t, env, "import", path)
	if err != nil || !strings.Contains(out, "100,000 added, 0 updated, 0 unchanged (100,000 rows in") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	out, err = runCLI(t, env, "import", path)
	if err != nil || !strings.Contains(out, "0 added, 0 updated, 100,000 unchanged") {
		t.Fatalf("re-import: %v\n%s", err, out)
	}
	if c, err := store.New(db.Pool).Count(context.Background()); err != nil || c != n {
		t.Fatalf("count %d, %v", c, err)
	}

	fs := slacksim.New(t)
	_, _ = launchBot(t, map[string]string{
		"SLACK_BOT_TOKEN": fs.BotToken(), "SLACK_APP_TOKEN": fs.AppToken(),
		"SLACK_API_URL": fs.APIURL(), "DATABASE_URL": db.URL, "LOG_LEVEL": "warn",
	}, fs.BotToken(), fs.AppToken())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fs.WaitConnections(ctx, 2)
	h := &harness{fs: fs, db: db, ctx: ctx}
	search := func(q string) string {
		t.Helper()
		d := h.command("U1", "C1", "search "+q)
		return imageURL(t, fs.WaitResponse(ctx, d.ResponseURL).Blocks)
	}
	for _, i := range []int{0, 4_321, n - 1} {
		row := testdb.LibraryRowAt(n, 7, i)
		if got := search(row.Name); got != row.ImageURL {
			t.Errorf("search %q shows %s, want row %d's %s", row.Name, got, i+1, row.ImageURL)
		}
	}
	for _, q := range []string{"cat", "고양이", "ありがとう"} {
		if got := search(q); !strings.HasPrefix(got, "https://img.example.com/s/") {
			t.Errorf("search %q shows %q", q, got)
		}
	}
	_ = os.Remove(path)
}
