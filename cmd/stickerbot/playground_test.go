package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/stickerbot/stickerbot/internal/config"
	"github.com/stickerbot/stickerbot/internal/pgcluster"
	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

func TestPlaygroundDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	never := func(context.Context) (*pgcluster.Cluster, error) { t.Fatal("started a cluster"); return nil, nil }

	// DATABASE_URL wins.
	u, done, err := playgroundDatabase(ctx, config.Playground{DatabaseURL: "postgres://x@h/db"}, never, logger)
	if err != nil || u.Reveal() != "postgres://x@h/db" {
		t.Fatalf("with DATABASE_URL: %q %v", u.Reveal(), err)
	}
	done()

	// No server programs: one line saying what to install or set.
	missing := func(context.Context) (*pgcluster.Cluster, error) {
		return nil, fmt.Errorf("%w: none in PATH", pgcluster.ErrNoServer)
	}
	_, _, err = playgroundDatabase(ctx, config.Playground{}, missing, logger)
	var ue usageError
	if !errors.As(err, &ue) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "DATABASE_URL") || !strings.Contains(err.Error(), "apt-get install postgresql") {
		t.Fatalf("without PostgreSQL: %v", err)
	}

	// Otherwise a throwaway cluster, removed by done.
	u, done, err = playgroundDatabase(ctx, config.Playground{}, pgcluster.Launch, logger)
	if err != nil {
		t.Fatal(err)
	}
	st, closeStore, _, err := openStore(ctx, u, logger, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Count(ctx); err != nil {
		t.Fatal(err)
	}
	closeStore()
	done()
}

func TestLoadSample(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	st := store.New(db.Pool)
	ctx := context.Background()
	n, err := loadSample(ctx, st)
	if err != nil || n < 30 {
		t.Fatalf("first start: %d %v", n, err)
	}
	img, err := st.StoredImages(ctx, 0, 100)
	if err != nil || len(img) != n {
		t.Fatalf("%d stored images for %d stickers: %v", len(img), n, err)
	}
	// A library with stickers is left alone.
	if n, err := loadSample(ctx, st); err != nil || n != 0 {
		t.Fatalf("second start: %d %v", n, err)
	}
}

// The playground never starts by accident in front of a real workspace,
// and says in one line what is wrong.
func TestPlaygroundRefusals(t *testing.T) {
	t.Parallel()
	_, err := runCLI(t, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1-real-secret"}, "playground")
	var ue usageError
	if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "SLACK_BOT_TOKEN is set") || strings.Contains(err.Error(), "secret") {
		t.Errorf("with a bot token: %v", err)
	}
	if _, err := runCLI(t, nil, "playground", "now"); !errors.As(err, &ue) {
		t.Errorf("with an argument: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	db := testdb.New(t)
	_, err = runCLI(t, map[string]string{"PLAYGROUND_ADDR": ln.Addr().String(), "DATABASE_URL": db.URL}, "playground")
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "PLAYGROUND_ADDR") || strings.Contains(err.Error(), "\n") {
		t.Errorf("with the port taken: %v", err)
	}
}
