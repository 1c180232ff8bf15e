package pgcluster

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func query(ctx context.Context, url string) (string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var v string
	err = conn.QueryRow(ctx, `SELECT extversion FROM pg_extension WHERE extname = 'pg_trgm'`).Scan(&v)
	return v, err
}

func TestStopStart(t *testing.T) {
	t.Parallel()
	c := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if v, err := query(ctx, c.URL()); err != nil || v == "" {
		t.Fatalf("pg_trgm in %s: %q %v", c.URL(), v, err)
	}
	c.Stop(t)
	if _, err := query(ctx, c.URL()); err == nil {
		t.Fatal("the stopped cluster answered")
	}
	port := c.Port()
	c.Start(t)
	if c.Port() != port {
		t.Fatalf("port changed from %d to %d", port, c.Port())
	}
	if _, err := query(ctx, c.URL()); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

func TestPauseResume(t *testing.T) {
	t.Parallel()
	c := Start(t)
	c.Pause(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_, err := query(ctx, c.URL())
	cancel()
	if err == nil {
		t.Fatal("the paused cluster answered")
	}
	c.Resume(t)
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := query(ctx, c.URL()); err != nil {
		t.Fatalf("after resume: %v", err)
	}
	c.Pause(t) // cleanup must cope with a paused cluster
}

// Launch is the API without a test: the cluster lives until Close, which
// removes everything.
func TestLaunchClose(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := Launch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if v, err := query(ctx, c.URL()); err != nil || v == "" {
		t.Fatalf("pg_trgm in %s: %q %v", c.URL(), v, err)
	}
	c.Close()
	if _, err := os.Stat(c.dir); !os.IsNotExist(err) {
		t.Errorf("%s after Close: %v", c.dir, err)
	}
	if _, err := query(ctx, c.URL()); err == nil {
		t.Fatal("the closed cluster answered")
	}
	c.Close() // twice is fine
}

func TestLaunchWithoutServer(t *testing.T) {
	t.Setenv("PG_BINDIR", t.TempDir())
	t.Setenv("PATH", t.TempDir())
	saved := BinDirs
	BinDirs = nil
	defer func() { BinDirs = saved }()
	_, err := Launch(context.Background())
	if !errors.Is(err, ErrNoServer) {
		t.Fatalf("Launch without binaries: %v, want ErrNoServer", err)
	}
}
