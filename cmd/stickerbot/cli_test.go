package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stickerbot/stickerbot/internal/testdb"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func runCLI(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	return runCLIStdin(t, env, "", args...)
}

func runCLIStdin(t *testing.T, env map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"stickerbot"}, args...), envOf(env), strings.NewReader(stdin), &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestHelp(t *testing.T) {
	out, err := runCLI(t, nil, "-h")
	if err != nil || !strings.Contains(out, "stickerbot import FILE") || !strings.Contains(out, "stickerbot migrate") {
		t.Fatalf("help: %v\n%s", err, out)
	}
	_, err = runCLI(t, nil, "frobnicate")
	var ue usageError
	if !errors.As(err, &ue) {
		t.Fatalf("unknown command: %v", err)
	}
}

func TestConfigMistakeIsOneLine(t *testing.T) {
	env := map[string]string{
		"SLACK_BOT_TOKEN": "xapp-1-A1-secret",
		"SLACK_APP_TOKEN": "xapp-1-A1-secret",
		"DATABASE_URL":    "postgres://x@127.0.0.1:1/x",
	}
	_, err := runCLI(t, env)
	var ue usageError
	if !errors.As(err, &ue) {
		t.Fatalf("want a usage error, got %v", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "SLACK_BOT_TOKEN") || strings.Contains(msg, "secret") {
		t.Fatalf("message %q", msg)
	}
}

func TestMigrateAndImport(t *testing.T) {
	t.Parallel()
	db := testdb.NewDatabase(t, testdb.Options{Empty: true})
	env := map[string]string{"DATABASE_URL": db.URL}
	out, err := runCLI(t, env, "migrate")
	if err != nil || !strings.Contains(out, "applied 00001_stickers.sql") {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	out, err = runCLI(t, env, "migrate")
	if err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("second migrate: %v\n%s", err, out)
	}
	out, err = runCLI(t, env, "import", testdb.SamplePath())
	if err != nil || !strings.Contains(out, "32 added, 0 updated, 0 unchanged") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	out, err = runCLI(t, env, "import", testdb.SamplePath())
	if err != nil || !strings.Contains(out, "0 added, 0 updated, 32 unchanged") {
		t.Fatalf("re-import: %v\n%s", err, out)
	}
}

func TestImportFromStdin(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	sample, err := os.ReadFile(testdb.SamplePath())
	if err != nil {
		t.Fatal(err)
	}
	out, err := runCLIStdin(t, map[string]string{"DATABASE_URL": db.URL}, string(sample), "import", "-")
	if err != nil || !strings.Contains(out, "32 added") {
		t.Fatalf("import -: %v\n%s", err, out)
	}
	if !strings.HasPrefix(out, "imported from standard input: ") {
		t.Errorf("import - says %q: the input is standard input, not \"-\"", out)
	}
}

func TestImportRejectsBadRows(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	bad := `[
	  {"name": "", "tags": ["x"], "image_url": "https://x.example/a.png"},
	  {"name": "ok", "tags": [], "image_url": "http://x.example/a.png"},
	  {"name": "` + strings.Repeat("n", 81) + `", "tags": [], "image_url": "https://x.example/a.png"},
	  {"name": "Cat", "tags": ["` + strings.Repeat("t", 51) + `"], "image_url": "https://x.example/c.png"},
	  {"name": "cat", "tags": [], "image_url": "https://x.example/c.png"},
	  {"name": "nourl", "tags": []}
	]`
	path := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := runCLI(t, map[string]string{"DATABASE_URL": db.URL}, "import", path)
	if err == nil {
		t.Fatal("bad file imported")
	}
	msg := err.Error()
	for _, want := range []string{
		"row 1 (line 2): name: is empty",
		"row 2 (line 3): image_url: must be an https:// URL",
		"row 3 (line 4): name: is 81 characters",
		"row 4 (line 5): tags: tag",
		"row 5 (line 6): name: \"cat\" repeats the name of row 4 (line 5)",
		"row 6 (line 7): image_url: is missing",
		"has 6 problems; nothing was imported",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	var n int
	if err := db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM stickers").Scan(&n); err != nil || n != 0 {
		t.Errorf("stickers after a failed import: %d %v", n, err)
	}
}

func TestHealthcheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	if _, err := runCLI(t, map[string]string{"HTTP_ADDR": addr}, "healthcheck"); err != nil {
		t.Fatalf("healthy: %v", err)
	}
	srv.Close()
	if _, err := runCLI(t, map[string]string{"HTTP_ADDR": addr}, "healthcheck"); err == nil {
		t.Fatal("healthcheck passed with nothing listening")
	}
}

func TestLoggerRedactsTokens(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		logger := newLogger(&buf, slog.LevelInfo, format)
		logger.Info("dial failed", "url", "wss://x/?token=xapp-1-A1-abc", "err", errors.New("post: Authorization Bearer xoxb-123-abc rejected"))
		logger.Warn("cannot tell the user", "err", errors.New(`Post "https://hooks.slack.com/actions/T1/2/s3cr3t": timeout`))
		out := buf.String()
		if strings.Contains(out, "xapp-1") || strings.Contains(out, "xoxb-123") || strings.Contains(out, "s3cr3t") || !strings.Contains(out, "[redacted]") {
			t.Errorf("%s log: %s", format, out)
		}
		if format == "json" && !strings.HasPrefix(out, "{") {
			t.Errorf("LOG_FORMAT=json wrote %s", out)
		}
	}
}
