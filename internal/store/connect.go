package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// RefusedError is a connection PostgreSQL answered and turned down for
// who or what it names: a wrong password, a role or database that does
// not exist, a client pg_hba.conf does not let in, a user without the
// right to connect. Retrying cannot help: the settings must change.
type RefusedError struct {
	// Code is the SQLSTATE: 28P01 (password), 28000 (role, pg_hba.conf),
	// 3D000 (database), 42501 (no CONNECT privilege).
	Code string
	// User and Database are the ones asked for.
	User, Database string
	// Message is the server's, such as `password authentication failed
	// for user "x"`; it never holds a password.
	Message string
	// Migrating is set when the connection worked but the migrations
	// could not do their work: Code 42501 (a missing privilege, such as
	// CREATE on schema public), or 0A000 and 58P01 (pg_trgm, in
	// PostgreSQL's contrib package, is not installed).
	Migrating bool
}

func (e *RefusedError) Error() string {
	if e.Migrating {
		return fmt.Sprintf("PostgreSQL refused to apply the migrations: %s (SQLSTATE %s)", e.Message, e.Code)
	}
	return fmt.Sprintf("PostgreSQL refused the connection: %s (SQLSTATE %s)", e.Message, e.Code)
}

// setupRefusal returns the *RefusedError a failed migration is, or nil
// when it failed for another reason.
func setupRefusal(pool *pgxpool.Pool, err error) *RefusedError {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return nil
	}
	switch pgErr.Code {
	case "42501", "0A000", "58P01":
	default:
		return nil
	}
	cfg := pool.Config().ConnConfig
	return &RefusedError{Code: pgErr.Code, User: cfg.User, Database: cfg.Database, Message: pgErr.Message, Migrating: true}
}

// NoRole reports whether the role asked for does not exist (28000 also
// covers clients pg_hba.conf turns away).
func (e *RefusedError) NoRole() bool {
	return e.Code == "28000" && strings.HasPrefix(e.Message, "role ") && strings.HasSuffix(e.Message, "does not exist")
}

// refusedCodes are the SQLSTATEs of a connection refused for good.
var refusedCodes = map[string]bool{
	"28P01": true, // invalid_password
	"28000": true, // invalid_authorization_specification: no such role, pg_hba.conf
	"3D000": true, // invalid_catalog_name: no such database
	"42501": true, // insufficient_privilege: no CONNECT on the database
}

// UnreachableError is a database that did not answer (yet): nothing
// listens at the address, the host's name does not resolve, the
// connection timed out, or the server is starting up or full. It may
// come by itself; a wrong address never does.
type UnreachableError struct {
	Addr  string // host:port, or the Unix socket's directory
	Cause string // a few words: "connection refused", "timed out"
	err   error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("PostgreSQL at %s does not answer: %s", e.Addr, e.Cause)
}

func (e *UnreachableError) Unwrap() error { return e.err }

// Check makes one connection attempt with pool within ctx and says why
// it failed: a *RefusedError when PostgreSQL turned it down (retrying
// cannot help), an *UnreachableError otherwise. Both are one line, with
// neither the password nor pgx's TLS fallback details.
func Check(ctx context.Context, pool *pgxpool.Pool) error {
	err := pool.Ping(ctx)
	if err == nil {
		return nil
	}
	cfg := pool.Config().ConnConfig
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && refusedCodes[pgErr.Code] {
		return &RefusedError{Code: pgErr.Code, User: cfg.User, Database: cfg.Database, Message: pgErr.Message}
	}
	addr := cfg.Host
	if !strings.HasPrefix(addr, "/") {
		addr = net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	}
	return &UnreachableError{Addr: addr, Cause: unreachableCause(ctx, err), err: err}
}

// unreachableCause names in a few words why a connection attempt got no
// answer.
func unreachableCause(ctx context.Context, err error) string {
	var (
		pgErr  *pgconn.PgError
		dnsErr *net.DNSError
		netErr net.Error
	)
	switch {
	case errors.As(err, &pgErr):
		// 57P03 the database system is starting up (or shutting down),
		// 53300 too many connections, …
		return pgErr.Message + " (SQLSTATE " + pgErr.Code + ")"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (is PostgreSQL running, on that host and port?)"
	case errors.As(err, &dnsErr):
		return "the host name " + strconv.Quote(dnsErr.Name) + " does not resolve"
	case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ENOENT):
		return "no server socket there"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "the connection was closed at once"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to the host"
	case pgconn.Timeout(err), errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timed out"
	case ctx.Err() != nil:
		return ctx.Err().Error()
	}
	// Something else (a TLS certificate, say): its last line, which is
	// the last attempt's.
	msg := strings.TrimSpace(err.Error())
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = strings.TrimSpace(msg[i+1:])
	}
	return msg
}

// skipOptionalTLS leaves out the TLS attempts of a connection to this
// host that does not need TLS (sslmode prefer, the default, or allow):
// on loopback TLS protects nothing, and a local server without TLS would
// make every failure report the TLS attempt too. A mode that requires
// TLS keeps it.
func skipOptionalTLS(cfg *pgconn.Config) {
	if !isLocal(cfg.Host) {
		return
	}
	plain := cfg.TLSConfig == nil
	for _, f := range cfg.Fallbacks {
		if f.TLSConfig == nil {
			plain = true
		}
	}
	if !plain {
		return
	}
	keep := cfg.Fallbacks[:0]
	for _, f := range cfg.Fallbacks {
		if f.TLSConfig == nil && !(f.Host == cfg.Host && f.Port == cfg.Port && cfg.TLSConfig != nil) {
			keep = append(keep, f)
		}
	}
	// The primary attempt becomes the plain one.
	cfg.TLSConfig = nil
	cfg.Fallbacks = keep
}

// isLocal reports whether host is this machine: a loopback name or
// address, or a Unix socket directory.
func isLocal(host string) bool {
	if strings.HasPrefix(host, "/") || host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
