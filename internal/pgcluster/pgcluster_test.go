package pgcluster

import (
	"context"
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
