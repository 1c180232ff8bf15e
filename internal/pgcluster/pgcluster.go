// Package pgcluster runs a throwaway PostgreSQL cluster: for tests that
// need a database they may stop and start (outages) without touching the
// shared server the other tests use, and for the playground, which needs a
// database nobody has to set up.
//
// A Cluster is made by initdb in a temporary directory (trust
// authentication, fsync off), listens only on 127.0.0.1 at a free port and
// keeps its Unix socket in its own directory. [Launch] returns one that
// lives until [Cluster.Close]; [Start] one that is removed when the test
// ends. The package does not import testing: [TB] is the part of
// testing.TB that [Start] and friends use.
//
// initdb and postgres refuse to run as root. When the process runs as root
// the binaries are run as the "postgres" OS user (through runuser, or su),
// with the directory handed over to that user. A test that cannot get a
// cluster fails with a message saying why; it never skips.
package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DatabaseName is the database URL points at; pg_trgm is created in it.
const DatabaseName = "stickerbot"

// BinDirs are searched, in order, for initdb and pg_ctl; PG_BINDIR, if set,
// comes first.
var BinDirs = []string{
	"/usr/lib/postgresql/15/bin",
	"/usr/lib/postgresql/16/bin",
	"/usr/lib/postgresql/17/bin",
	"/usr/lib/postgresql/14/bin",
	"/usr/local/pgsql/bin",
}

// osUser is the account the server runs as when the test runs as root.
const osUser = "postgres"

// ErrNoServer is returned (wrapped) by [Launch] when PostgreSQL's server
// programs (initdb, pg_ctl) are not installed.
var ErrNoServer = errors.New("PostgreSQL's server programs (initdb, pg_ctl) are not installed")

// TB is what [Start], [Cluster.Stop], [Cluster.Start], [Cluster.Pause] and
// [Cluster.Resume] need of a test; *testing.T, *testing.B and testing.TB
// have it.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// Cluster is a throwaway PostgreSQL cluster.
type Cluster struct {
	dir     string // owned by the server's user: data/, sock/, log
	data    string
	sockDir string
	logFile string
	port    int
	bin     string
	asUser  string // "" when running the binaries directly

	mu      sync.Mutex
	running bool
	paused  bool
}

// Start creates, starts and prepares a cluster (a database DatabaseName
// with pg_trgm), and registers its removal when t ends. It fails the test
// when it cannot.
func Start(t TB) *Cluster {
	t.Helper()
	c, err := Launch(context.Background())
	if err != nil {
		t.Fatalf("pgcluster: %v", err)
	}
	t.Cleanup(c.destroy)
	return c
}

// Launch creates, starts and prepares a cluster (a database DatabaseName
// with pg_trgm) that runs until [Cluster.Close]. Without PostgreSQL's
// server programs the error wraps [ErrNoServer]; on any error nothing is
// left behind. ctx bounds the wait for the new server's first connection.
func Launch(ctx context.Context) (*Cluster, error) {
	c, err := create()
	if err != nil {
		if c != nil {
			c.destroy()
		}
		return nil, err
	}
	// The port was free a moment ago; another process may have taken it.
	for attempt := 1; ; attempt++ {
		err := c.TryStart()
		if err == nil {
			break
		}
		if attempt == 3 || !strings.Contains(err.Error(), "could not") {
			c.destroy()
			return nil, err
		}
		if c.port, err = freePort(); err != nil {
			c.destroy()
			return nil, err
		}
	}
	if err := c.prepare(ctx); err != nil {
		c.destroy()
		return nil, err
	}
	return c, nil
}

// Close stops the server at once (nothing in it is worth keeping) and
// removes its files. It is safe to call more than once.
func (c *Cluster) Close() { c.destroy() }

// URL returns the URL of the cluster's database DatabaseName.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, DatabaseName)
}

// Port returns the TCP port the cluster listens on (the same across restarts).
func (c *Cluster) Port() int { return c.port }

// Stop shuts the server down with pg_ctl stop -m fast: sessions are
// terminated and new connections refused until Start.
func (c *Cluster) Stop(t TB) {
	t.Helper()
	if err := c.TryStop(); err != nil {
		t.Fatalf("pgcluster: %v", err)
	}
}

// Start starts the server again, on the same port and data.
func (c *Cluster) Start(t TB) {
	t.Helper()
	if err := c.TryStart(); err != nil {
		t.Fatalf("pgcluster: %v", err)
	}
}

// TryStop is Stop returning its error, for use off the test goroutine.
func (c *Cluster) TryStop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return nil
	}
	if c.paused {
		_ = c.signalAllLocked(syscall.SIGCONT)
		c.paused = false
	}
	if out, err := c.pgctl(60*time.Second, "stop", "-D", c.data, "-m", "fast", "-w", "-t", "30"); err != nil {
		return fmt.Errorf("pg_ctl stop: %v\n%s%s", err, out, c.tailLog())
	}
	c.running = false
	return nil
}

// TryStart is Start returning its error, for use off the test goroutine.
func (c *Cluster) TryStart() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return nil
	}
	opts := strings.Join([]string{
		"-c listen_addresses=127.0.0.1",
		"-p " + strconv.Itoa(c.port),
		"-c unix_socket_directories=" + c.sockDir,
		"-c fsync=off",
		"-c synchronous_commit=off",
		"-c full_page_writes=off",
		"-c max_connections=100",
		"-c shared_buffers=16MB",
	}, " ")
	if out, err := c.pgctl(60*time.Second, "start", "-D", c.data, "-l", c.logFile, "-w", "-t", "30", "-o", opts); err != nil {
		return fmt.Errorf("pg_ctl start on port %d: %v\n%s%s", c.port, err, out, c.tailLog())
	}
	c.running = true
	return nil
}

// create runs initdb into a new directory.
func create() (*Cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	asUser := ""
	if os.Geteuid() == 0 {
		asUser = osUser
	}
	// Not t.TempDir: its parents are private to root, and the server's user
	// must reach the data directory.
	dir, err := os.MkdirTemp("", "pgcluster-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		dir:     dir,
		data:    filepath.Join(dir, "data"),
		sockDir: filepath.Join(dir, "sock"),
		logFile: filepath.Join(dir, "postgres.log"),
		bin:     bin,
		asUser:  asUser,
	}
	if err := os.Mkdir(c.sockDir, 0o700); err != nil {
		return c, err
	}
	if asUser != "" {
		u, err := user.Lookup(asUser)
		if err != nil {
			return c, fmt.Errorf("running as root, so the server must run as OS user %q, which does not exist: %v "+
				"(create it, or run the tests as an ordinary user)", asUser, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, p := range []string{dir, c.sockDir} {
			if err := os.Chown(p, uid, gid); err != nil {
				return c, fmt.Errorf("chown %s to %s: %v", p, asUser, err)
			}
		}
		// The temp dir is 0700; its parent (/tmp) is world-searchable.
	}
	if c.port, err = freePort(); err != nil {
		return c, err
	}
	out, err := c.runBin(60*time.Second, "initdb", "-D", c.data, "-A", "trust", "-U", "postgres",
		"-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions")
	if err != nil {
		// Older initdb has no --no-instructions; C.UTF-8 may be missing.
		out2, err2 := c.runBin(60*time.Second, "initdb", "-D", c.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
		if err2 != nil {
			return c, fmt.Errorf("initdb%s: %v\n%s\n(first attempt: %v\n%s)", c.how(), err2, out2, err, out)
		}
	}
	return c, nil
}

// prepare creates the database and pg_trgm in it.
func (c *Cluster) prepare(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	admin := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to the new cluster: %v%s", err, c.tailLog())
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+DatabaseName+" TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
		return fmt.Errorf("create database: %v", err)
	}
	db, err := pgx.Connect(ctx, c.URL())
	if err != nil {
		return fmt.Errorf("connect to %s: %v", DatabaseName, err)
	}
	defer db.Close(ctx)
	if _, err := db.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_trgm"); err != nil {
		return fmt.Errorf("create extension pg_trgm (is postgresql-contrib installed?): %v", err)
	}
	return nil
}

// destroy stops the server (immediately: nothing is worth keeping) and
// removes its directory.
func (c *Cluster) destroy() {
	c.mu.Lock()
	running := c.running
	if c.paused {
		_ = c.signalAllLocked(syscall.SIGCONT)
		c.paused = false
	}
	c.mu.Unlock()
	if running || fileExists(filepath.Join(c.data, "postmaster.pid")) {
		_, _ = c.pgctl(30*time.Second, "stop", "-D", c.data, "-m", "immediate", "-w", "-t", "20")
		c.mu.Lock()
		c.running = false
		c.mu.Unlock()
	}
	_ = os.RemoveAll(c.dir)
}

func (c *Cluster) pgctl(timeout time.Duration, args ...string) (string, error) {
	return c.runBin(timeout, "pg_ctl", args...)
}

// runBin runs a PostgreSQL program as the server's user.
func (c *Cluster) runBin(timeout time.Duration, prog string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	path := filepath.Join(c.bin, prog)
	var cmd *exec.Cmd
	switch {
	case c.asUser == "":
		cmd = exec.CommandContext(ctx, path, args...)
	case haveProgram("runuser"):
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	default:
		quoted := make([]string, 0, len(args)+1)
		for _, a := range append([]string{path}, args...) {
			quoted = append(quoted, shellQuote(a))
		}
		cmd = exec.CommandContext(ctx, "su", c.asUser, "-s", "/bin/sh", "-c", strings.Join(quoted, " "))
	}
	cmd.Dir = c.dir
	// pg_ctl's server writes to the log file, but never let an inherited
	// pipe keep us waiting.
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "PGTZ=UTC")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s did not finish within %s: %w", prog, timeout, ctx.Err())
	}
	return out.String(), err
}

func (c *Cluster) how() string {
	if c.asUser == "" {
		return ""
	}
	return " (as OS user " + c.asUser + ")"
}

// tailLog returns the end of the server log, for error messages.
func (c *Cluster) tailLog() string {
	b, err := os.ReadFile(c.logFile)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return "\nserver log:\n" + string(b)
}

func findBin() (string, error) {
	dirs := BinDirs
	if d := os.Getenv("PG_BINDIR"); d != "" {
		dirs = append([]string{d}, dirs...)
	}
	for _, d := range dirs {
		if fileExists(filepath.Join(d, "initdb")) && fileExists(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		d := filepath.Dir(p)
		if fileExists(filepath.Join(d, "initdb")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w: none in PG_BINDIR, %s or PATH; install the PostgreSQL server package",
		ErrNoServer, strings.Join(BinDirs, ", "))
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func haveProgram(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Pause freezes the server (SIGSTOP to the postmaster and every backend):
// it keeps its sockets open but answers nothing, like a database host that
// hangs. Connections are accepted by the kernel and then time out.
func (c *Cluster) Pause(t TB) {
	t.Helper()
	if err := c.signalAll(syscall.SIGSTOP); err != nil {
		t.Fatalf("pgcluster: pause: %v", err)
	}
}

// Resume undoes Pause.
func (c *Cluster) Resume(t TB) {
	t.Helper()
	if err := c.signalAll(syscall.SIGCONT); err != nil {
		t.Fatalf("pgcluster: resume: %v", err)
	}
}

// signalAll sends sig to the postmaster and its children. SIGSTOP goes to
// the postmaster first, so it forks no backend that would escape it.
func (c *Cluster) signalAll(sig syscall.Signal) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if sig == syscall.SIGSTOP {
		c.paused = true
	} else {
		c.paused = false
	}
	return c.signalAllLocked(sig)
}

func (c *Cluster) signalAllLocked(sig syscall.Signal) error {
	b, err := os.ReadFile(filepath.Join(c.data, "postmaster.pid"))
	if err != nil {
		return fmt.Errorf("the server is not running: %v", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pm, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return fmt.Errorf("postmaster.pid: %v", err)
	}
	kids := children(pm)
	pids := append([]int{pm}, kids...)
	if sig == syscall.SIGCONT {
		pids = append(kids, pm)
	}
	for _, p := range pids {
		if err := syscall.Kill(p, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("kill -%d %d: %v", sig, p, err)
		}
	}
	return nil
}

// children lists the processes whose parent is pid, from /proc.
func children(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) >= 2 {
			if pp, err := strconv.Atoi(f[1]); err == nil && pp == pid {
				out = append(out, n)
			}
		}
	}
	return out
}

// RequirePasswords makes TCP connections as any user but postgres give a
// password (scram-sha-256), as a server set up for applications does;
// postgres (URL's user) stays trusted. Create the roles to log in as,
// with their passwords, through URL.
func (c *Cluster) RequirePasswords(t TB) {
	t.Helper()
	if err := c.TryRequirePasswords(); err != nil {
		t.Fatalf("pgcluster: %v", err)
	}
}

// TryRequirePasswords is RequirePasswords returning its error.
func (c *Cluster) TryRequirePasswords() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	const hba = "# pgcluster.RequirePasswords\n" +
		"local all all trust\n" +
		"host all postgres 127.0.0.1/32 trust\n" +
		"host all all 127.0.0.1/32 scram-sha-256\n"
	// Written in place: the file keeps its owner (the server's user).
	f, err := os.OpenFile(filepath.Join(c.data, "pg_hba.conf"), os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("require passwords: %v", err)
	}
	if _, err := f.WriteString(hba); err != nil {
		f.Close()
		return fmt.Errorf("require passwords: %v", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("require passwords: %v", err)
	}
	if out, err := c.pgctl(30*time.Second, "reload", "-D", c.data); err != nil {
		return fmt.Errorf("pg_ctl reload: %v\n%s", err, out)
	}
	// The reload is a signal: wait until the server asks for passwords
	// (trusted, a role that does not exist is named as such; asked for a
	// password, the server does not tell).
	probe := fmt.Sprintf("postgres://pgcluster_probe:x@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	for deadline := time.Now().Add(10 * time.Second); ; {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, probe)
		cancel()
		if conn != nil {
			conn.Close(context.Background())
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "28P01" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("require passwords: the server still does not ask for them after a reload (%v)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
