package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/stickerbot/stickerbot/internal/config"
	"github.com/stickerbot/stickerbot/internal/pgcluster"
)

// usageError is a mistake in the command line or the configuration; main
// exits with status 2 for it.
type usageError struct{ error }

const usage = `stickerbot: a Slack sticker-search bot.

Usage:
  stickerbot [run]          apply migrations, then run the bot
  stickerbot migrate        apply database migrations and list them
  stickerbot import FILE    add or update stickers from a JSON file ("-" for stdin)
  stickerbot export FILE    write the library as a JSON file import reads back ("-" for stdout)
  stickerbot playground     try it without Slack: the bot against a simulated Slack, in
                            your browser (PLAYGROUND_ADDR, default 127.0.0.1:3000)
  stickerbot healthcheck    exit 0 if the bot on HTTP_ADDR answers /healthz (for Docker)
  stickerbot version        print the version
  stickerbot help           show this help

Configuration comes from the environment, or a .env file in the working
directory; see .env.example. Exit status 2 means a mistake to fix (the
command line, a setting, .env, a token or database Slack or PostgreSQL
refuses), 1 any other failure.
`

// start is main without the process: it reads the settings (the
// environment through lookupEnv, then the .env file at dotenvPath), runs
// the command, prints its error as one line on stderr and returns the
// exit status: 0, 2 for a mistake only the operator can fix (the command
// line, a setting, .env, a token Slack refuses, a database that refuses
// who or what DATABASE_URL names), 1 for anything else.
func start(ctx context.Context, args []string, lookupEnv func(string) (string, bool), dotenvPath string, stdin io.Reader, stdout, stderr io.Writer) int {
	getenv := func(string) string { return "" }
	var err error
	if !settingsFree(args) {
		getenv, err = config.Environment(dotenvPath, lookupEnv)
		if err != nil {
			err = usageError{err}
		}
	}
	if err == nil {
		err = run(ctx, args, getenv, stdin, stdout, stderr)
	}
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "stickerbot:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// settingsFree reports whether the command reads no settings (help and
// version), so a broken .env does not stop it.
func settingsFree(args []string) bool {
	if len(args) < 2 {
		return false
	}
	switch args[1] {
	case "help", "-h", "-help", "--help", "version", "-version", "--version":
		return true
	}
	return false
}

// buildVersion is the version stamped with -ldflags, or else the main
// module's version as the go command recorded it (a tagged "go install
// …@v1.2.3"), or else "devel".
func buildVersion(stamped string) string {
	if stamped != "" {
		return stamped
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// run is the whole program, with its dependencies passed in so tests can
// run it as it runs in production.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "run"
	if len(args) > 1 {
		cmd = args[1]
	}
	rest := args[min(len(args), 2):]
	switch cmd {
	case "run":
		if len(rest) != 0 {
			return usageError{errors.New("run takes no arguments")}
		}
		cfg, err := config.Load(getenv)
		if err != nil {
			return usageError{err}
		}
		setGCPercent(getenv("GOGC"))
		return runBot(ctx, cfg, newLogger(stderr, cfg.LogLevel, cfg.LogFormat), net.Listen)
	case "migrate", "import", "export":
		dbURL, err := config.LoadDatabase(getenv)
		if err != nil {
			return usageError{err}
		}
		logger := newLogger(stderr, slog.LevelWarn, getenv("LOG_FORMAT"))
		switch cmd {
		case "migrate":
			if len(rest) != 0 {
				return usageError{errors.New("migrate takes no arguments")}
			}
			return migrate(ctx, dbURL, logger, stdout)
		case "import":
			if len(rest) != 1 {
				return usageError{errors.New("usage: stickerbot import FILE")}
			}
			return importFile(ctx, dbURL, logger, rest[0], stdin, stdout, stderr)
		default:
			if len(rest) != 1 {
				return usageError{errors.New("usage: stickerbot export FILE")}
			}
			return exportFile(ctx, dbURL, logger, rest[0], stdout)
		}
	case "playground":
		if len(rest) != 0 {
			return usageError{errors.New("playground takes no arguments")}
		}
		pc, err := config.LoadPlayground(getenv)
		if err != nil {
			return usageError{err}
		}
		return runPlayground(ctx, pc, pgcluster.Launch, newLogger(stderr, pc.LogLevel, pc.LogFormat), stdout)
	case "healthcheck":
		return healthcheck(ctx, getenv("HTTP_ADDR"))
	case "help", "-h", "-help", "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	case "version", "-version", "--version":
		_, err := fmt.Fprintf(stdout, "stickerbot %s (%s, %s/%s)\n", buildVersion(version), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return err
	default:
		return usageError{fmt.Errorf("unknown command %q; run \"stickerbot help\"", cmd)}
	}
}

// setGCPercent applies GOGC, which may come from .env (read after the Go
// runtime looked at the environment), or the bot's default of 30: the
// heap is small (5–6 MB under load; the search index lives outside it),
// so collecting at 1.3 times what is live rather than twice costs little
// CPU and keeps the bot's memory down (docs/benchmarks.md, "Memory"). A
// value the runtime would not take is ignored.
func setGCPercent(gogc string) {
	switch n, err := strconv.Atoi(gogc); {
	case gogc == "":
		debug.SetGCPercent(30)
	case gogc == "off":
		debug.SetGCPercent(-1)
	case err == nil && n >= 0:
		debug.SetGCPercent(n)
	}
}

// tokenPattern matches Slack tokens wherever they might hide in a log line
// (an error text from a library, a URL), and response_urls, which let
// anyone post into a conversation for half an hour: they are replaced,
// never printed.
var tokenPattern = regexp.MustCompile(`xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|https://hooks\.slack(-gov)?\.com/[^\s"]+`)

// newLogger logs text, or JSON with format "json", and scrubs tokens from
// every string and error it is given.
func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Value.Kind() {
			case slog.KindString:
				if s := a.Value.String(); tokenPattern.MatchString(s) {
					a.Value = slog.StringValue(tokenPattern.ReplaceAllString(s, "[redacted]"))
				}
			case slog.KindAny:
				if err, ok := a.Value.Any().(error); ok {
					a.Value = slog.StringValue(tokenPattern.ReplaceAllString(err.Error(), "[redacted]"))
				}
			}
			return a
		},
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// healthcheck asks a running bot's /healthz on addr (":8080" when empty),
// for container health checks where there is no curl.
func healthcheck(ctx context.Context, addr string) error {
	if addr == "" {
		addr = ":8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return usageError{fmt.Errorf("HTTP_ADDR is %q: use host:port or :port", addr)}
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}
