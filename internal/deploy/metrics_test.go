package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/metrics"
	"github.com/stickerbot/stickerbot/internal/slacksim"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

// TestFreshStart builds the binary as the Dockerfile does, with a version
// stamped, and starts it for the first time (an empty database, no .env):
// `stickerbot version` says the version, and /metrics has every counter
// and histogram of the known label values at zero, and
// stickerbot_build_info naming the version.
func TestFreshStart(t *testing.T) {
	t.Parallel()
	const stamped = "v0.0.0-deploytest"
	bin := filepath.Join(t.TempDir(), "stickerbot")
	goCmd(t, 10*time.Minute, []string{"CGO_ENABLED=0"},
		"build", "-trimpath", "-ldflags=-s -w -X main.version="+stamped, "-o", bin, "./cmd/stickerbot")
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "stickerbot "+stamped+" (") {
		t.Fatalf("stickerbot version: %q, %v", out, err)
	}

	fs := slacksim.New(t)
	db := testdb.NewDatabase(t, testdb.Options{Empty: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = t.TempDir() // no .env there
	cmd.Env = []string{
		"SLACK_BOT_TOKEN=" + fs.BotToken(), "SLACK_APP_TOKEN=" + fs.AppToken(), "SLACK_API_URL=" + fs.APIURL(),
		"DATABASE_URL=" + db.URL, "HTTP_ADDR=" + addr,
	}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := <-exited; err != nil {
			t.Errorf("the bot did not stop cleanly on SIGTERM: %v\n%s", err, logs.String())
		}
	}()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		if resp, err := client.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("the bot exited (%v) before it was ready", err)
		case <-ctx.Done():
			t.Fatalf("the bot was not ready within 60 s")
		case <-time.After(50 * time.Millisecond):
		}
	}
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		have[sc.Text()] = true
	}

	want := []string{
		fmt.Sprintf(`stickerbot_build_info{go_version=%q,version=%q} 1`, runtime.Version(), stamped),
		`stickerbot_stickers 0`,
		`stickerbot_sticker_count_errors_total 0`,
		`stickerbot_search_duration_seconds_count 0`,
		`stickerbot_searches_total{result="hit"} 0`,
		`stickerbot_searches_total{result="miss"} 0`,
		`stickerbot_sends_total{path="post"} 0`,
		`stickerbot_sends_total{path="response_url"} 0`,
		fmt.Sprintf(`stickerbot_socket_connections_open %d`, 2),
	}
	for _, typ := range metrics.EnvelopeTypes {
		want = append(want,
			fmt.Sprintf(`stickerbot_socket_envelopes_received_total{type=%q} 0`, typ),
			fmt.Sprintf(`stickerbot_socket_ack_latency_seconds_count{type=%q} 0`, typ),
			fmt.Sprintf(`stickerbot_busy_total{type=%q} 0`, typ))
		for _, o := range metrics.JobOutcomes {
			want = append(want, fmt.Sprintf(`stickerbot_job_duration_seconds_count{outcome=%q,type=%q} 0`, o, typ))
		}
	}
	for _, r := range metrics.ReconnectReasons {
		want = append(want, fmt.Sprintf(`stickerbot_socket_reconnects_total{reason=%q} 0`, r))
	}
	for _, m := range metrics.WebAPIMethods {
		for _, k := range metrics.WebAPIErrorKinds {
			want = append(want, fmt.Sprintf(`stickerbot_slack_api_errors_total{error=%q,method=%q} 0`, k, m))
		}
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("a fresh start's /metrics lacks %s", w)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s\nlogs:\n%s", body, logs.String())
	}
}

// TestWebAPIMethodsListed: every Web API method whose failures the
// handlers count (wrapSlack's first argument) is in metrics.WebAPIMethods,
// so its error series exist from the start, and the list names nothing
// the code no longer calls.
func TestWebAPIMethodsListed(t *testing.T) {
	names, err := filepath.Glob(filepath.Join(root(t), "internal", "handlers", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	used := map[string]bool{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "wrapSlack" {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: wrapSlack's method is not a string literal: the test cannot check it", fset.Position(call.Pos()))
				return true
			}
			s, _ := strconv.Unquote(lit.Value)
			used[s] = true
			return true
		})
	}
	if len(used) == 0 {
		t.Fatal("found no wrapSlack calls in internal/handlers")
	}
	for _, m := range slices.Sorted(maps.Keys(used)) {
		if !slices.Contains(metrics.WebAPIMethods, m) {
			t.Errorf("internal/handlers counts failures of %s, which metrics.WebAPIMethods lacks: add it", m)
		}
	}
	for _, m := range metrics.WebAPIMethods {
		if !used[m] {
			t.Errorf("metrics.WebAPIMethods lists %s, which internal/handlers no longer calls: remove it", m)
		}
	}
}
