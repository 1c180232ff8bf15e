// Package testdb gives each test its own migrated PostgreSQL schema (or a
// whole database), dropped when the test ends, so tests run in parallel on
// one real server and leave nothing behind.
//
// The server comes from TEST_DATABASE_URL, by default the local one
// (postgres://postgres@127.0.0.1:5432/test). A test that cannot reach it
// fails with instructions; it never skips.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stickerbot/stickerbot/internal/store"
)

// DefaultURL is the server used when TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// ServerURL returns the URL of the PostgreSQL server tests use.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// DB is a throwaway database for one test.
type DB struct {
	// URL reaches the test's schema or database: give it to the program
	// under test as DATABASE_URL.
	URL  string
	Pool *pgxpool.Pool
}

func connectAdmin(t testing.TB, ctx context.Context, u string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("testdb: cannot reach PostgreSQL at %s: %v\n"+
			"Start one (on Debian: pg_ctlcluster --skip-systemctl-redirect 15 main start) "+
			"or point TEST_DATABASE_URL at a server where you may create schemas and databases.",
			redact(u), err)
	}
	return conn
}

func suffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// New creates a schema of its own for t, applies the migrations to it and
// returns a pool whose connections use it. The schema is dropped when t ends.
func New(t testing.TB) DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := ServerURL()
	admin := connectAdmin(t, ctx, base)
	defer admin.Close(ctx)
	// pg_trgm is per database; schemas share the copy in public. Creating
	// it concurrently from many tests would race, hence the lock.
	// Each statement commits on its own, so the extension is visible
	// before the lock is released.
	for _, stmt := range []string{
		`SELECT pg_advisory_lock(727274)`,
		`CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`,
		`SELECT pg_advisory_unlock(727274)`,
	} {
		if _, err := admin.Exec(ctx, stmt); err != nil {
			t.Fatalf("testdb: create extension pg_trgm: %v", err)
		}
	}
	schema := "test_" + suffix()
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("testdb: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn := connectAdmin(t, ctx, base)
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("testdb: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testdb: parse TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return open(t, u.String(), true)
}

// Options shape a database made by NewDatabase.
type Options struct {
	// Locale sets LC_COLLATE and LC_CTYPE, e.g. "C" or "C.UTF-8";
	// empty inherits the server's.
	Locale string
	// Empty leaves the database without migrations.
	Empty bool
}

// NewDatabase creates a whole database for t (from template0, with
// opts.Locale if set), migrates it and drops it when t ends. Use it when a
// test needs what a schema cannot give, such as a locale of its own.
func NewDatabase(t testing.TB, opts Options) DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := ServerURL()
	admin := connectAdmin(t, ctx, base)
	defer admin.Close(ctx)
	name := "stickerbot_test_" + suffix()
	stmt := "CREATE DATABASE " + name + " TEMPLATE template0 ENCODING 'UTF8'"
	if opts.Locale != "" {
		stmt += fmt.Sprintf(" LC_COLLATE '%s' LC_CTYPE '%s'", opts.Locale, opts.Locale)
	}
	if _, err := admin.Exec(ctx, stmt); err != nil {
		t.Fatalf("testdb: %s: %v", stmt, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testdb: parse TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	db := open(t, u.String(), !opts.Empty)
	t.Cleanup(func() {
		db.Pool.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn := connectAdmin(t, ctx, base)
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("testdb: drop database %s: %v", name, err)
		}
	})
	return db
}

func open(t testing.TB, u string, migrate bool) DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pool, err := store.Open(ctx, u)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(pool.Close)
	if !migrate {
		return DB{URL: u, Pool: pool}
	}
	if _, err := store.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("testdb: %v", err)
	}
	return DB{URL: u, Pool: pool}
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(TEST_DATABASE_URL)"
	}
	return p.Redacted()
}
