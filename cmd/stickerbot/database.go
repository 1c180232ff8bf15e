package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/stickerbot/stickerbot/internal/config"
	"github.com/stickerbot/stickerbot/internal/store"
)

// commandPatience is how long migrate, import and export wait for a
// database that does not answer: long enough for one that is starting,
// short enough that a wrong address is said soon.
const commandPatience = 10 * time.Second

// openStore connects, waits for the database and applies migrations. A
// database that refuses the connection (a wrong password, role or
// database) is a usageError at once. One that does not answer is waited
// for, logging each retry, for ever when patience is 0 (the bot, started
// beside its database, waits instead of crash-looping), otherwise for
// patience.
func openStore(ctx context.Context, dbURL config.Secret, logger *slog.Logger, patience time.Duration) (*store.Store, func(), []string, error) {
	pool, err := store.Open(ctx, dbURL.Reveal())
	if err != nil {
		return nil, nil, nil, usageError{err}
	}
	if err := waitForDatabase(ctx, dbURL, func(ctx context.Context) error { return store.Check(ctx, pool) }, logger, patience); err != nil {
		pool.Close()
		return nil, nil, nil, err
	}
	applied, err := store.Migrate(ctx, pool, logger)
	if err != nil {
		pool.Close()
		var re *store.RefusedError
		if errors.As(err, &re) {
			return nil, nil, nil, databaseMistake(dbURL, re)
		}
		return nil, nil, nil, err
	}
	return store.New(pool), pool.Close, applied, nil
}

// waitForDatabase retries check with backoff until the database answers.
// patience 0 waits until ctx ends, logging each retry as a warning; a
// positive patience gives up after it (each retry logged at info level,
// which the database commands do not show: their one line says it all).
func waitForDatabase(ctx context.Context, dbURL config.Secret, check func(context.Context) error, logger *slog.Logger, patience time.Duration) error {
	level := slog.LevelWarn
	var deadline time.Time
	if patience > 0 {
		deadline, level = time.Now().Add(patience), slog.LevelInfo
	}
	delay := 500 * time.Millisecond
	for {
		until := time.Now().Add(5 * time.Second)
		if !deadline.IsZero() && deadline.Before(until) {
			until = deadline
		}
		actx, cancel := context.WithDeadline(ctx, until)
		err := check(actx)
		cancel()
		if err == nil {
			return nil
		}
		var re *store.RefusedError
		if errors.As(err, &re) {
			return databaseMistake(dbURL, re)
		}
		var ue *store.UnreachableError
		errors.As(err, &ue)
		wait := delay
		if !deadline.IsZero() {
			// The last attempt starts a second before the deadline, so
			// that even a slow refusal is heard.
			if left := time.Until(deadline); left < time.Second {
				return fmt.Errorf("DATABASE_URL (%s): %w, for %d s: start PostgreSQL, or fix the host and port in DATABASE_URL",
					config.RedactURL(dbURL.Reveal()), err, int(patience.Seconds()))
			} else if left-time.Second < wait {
				wait = left - time.Second
			}
		}
		attrs := []any{"in", wait.String(), "err", err}
		if ue != nil {
			attrs = []any{"in", wait.String(), "addr", ue.Addr, "cause", ue.Cause}
		}
		logger.Log(ctx, level, "database not reachable yet, retrying", attrs...)
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for database: %w: %w", ctx.Err(), err)
		case <-time.After(wait):
		}
		delay = min(delay*2, 30*time.Second)
	}
}

// databaseMistake is the one line that says what to fix when PostgreSQL
// refuses DATABASE_URL's user, password or database.
func databaseMistake(dbURL config.Secret, re *store.RefusedError) error {
	where := "DATABASE_URL (" + config.RedactURL(dbURL.Reveal()) + "): "
	const compose = "under docker compose, the database volume keeps the POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB of its first start, so a later change to .env does not reach it (README, Troubleshooting, says how to change them)"
	var fix string
	switch {
	case re.Code == "28P01":
		fix = fmt.Sprintf("PostgreSQL refused the password of user %q (SQLSTATE 28P01): put the right password in DATABASE_URL; %s", re.User, compose)
	case re.Code == "3D000":
		fix = fmt.Sprintf("database %q does not exist (SQLSTATE 3D000): fix the name after the last / in DATABASE_URL, or create it (createdb -O %s %s); %s", re.Database, re.User, re.Database, compose)
	case re.NoRole():
		fix = fmt.Sprintf("role %q does not exist (SQLSTATE 28000): fix the user name in DATABASE_URL, or create the role (CREATE ROLE %s LOGIN PASSWORD '…'); %s", re.User, re.User, compose)
	case re.Code == "28000":
		fix = fmt.Sprintf("PostgreSQL does not let this client in as %q: %s (SQLSTATE 28000): allow it in the server's pg_hba.conf, or connect as a user it allows", re.User, re.Message)
	case re.Migrating && re.Code == "42501":
		fix = fmt.Sprintf("user %q may not create the bot's tables: %s (SQLSTATE 42501): make it the owner of the database and its schema (ALTER DATABASE %s OWNER TO %s; then, in it, ALTER SCHEMA public OWNER TO %s)", re.User, re.Message, re.Database, re.User, re.User)
	case re.Code == "42501":
		fix = fmt.Sprintf("user %q may not connect to database %q: %s (SQLSTATE 42501): GRANT CONNECT ON DATABASE %s TO %s", re.User, re.Database, re.Message, re.Database, re.User)
	case re.Migrating:
		fix = fmt.Sprintf("the migrations need the pg_trgm extension: %s (SQLSTATE %s): install PostgreSQL's contrib package (Debian: postgresql-contrib) on the database server", re.Message, re.Code)
	default:
		fix = re.Error()
	}
	return usageError{errors.New(where + fix)}
}

func migrate(ctx context.Context, dbURL config.Secret, logger *slog.Logger, stdout io.Writer) error {
	_, closeStore, applied, err := openStore(ctx, dbURL, logger, commandPatience)
	if err != nil {
		return err
	}
	defer closeStore()
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date; no migrations to apply")
	}
	for _, m := range applied {
		fmt.Fprintln(stdout, "applied", m)
	}
	return nil
}
