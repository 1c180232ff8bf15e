package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startCLI runs the program as main does, with env as the environment and
// dotenv as the .env file's text ("" for no file), within timeout. It
// returns the exit status, stdout and stderr.
func startCLI(t *testing.T, timeout time.Duration, env map[string]string, dotenv string, args ...string) (int, string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".env")
	if dotenv != "" {
		if err := os.WriteFile(path, []byte(dotenv), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out, errOut bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	began := time.Now()
	code := start(ctx, append([]string{"stickerbot"}, args...), lookup, path, strings.NewReader(""), &out, &errOut)
	if ctx.Err() != nil {
		t.Fatalf("stickerbot %s did not end by itself within %s (after %s)\nstderr:\n%s", strings.Join(args, " "), timeout, time.Since(began), errOut.String())
	}
	return code, out.String(), errOut.String()
}

// oneLine checks that stderr is exactly one line starting "stickerbot: "
// and holding each of want, and none of secrets.
func oneLine(t *testing.T, stderr string, secrets []string, want ...string) {
	t.Helper()
	line := strings.TrimSuffix(stderr, "\n")
	if strings.Contains(line, "\n") || !strings.HasPrefix(line, "stickerbot: ") {
		t.Errorf("stderr is not one line starting \"stickerbot: \":\n%s", stderr)
	}
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Errorf("stderr %q lacks %q", line, w)
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(stderr, s) {
			t.Errorf("stderr %q shows the secret %q", line, s)
		}
	}
}

// A .env with one broken line stops every command that reads settings,
// naming the file and the line, with status 2; help and version still
// work.
func TestBrokenDotenv(t *testing.T) {
	const token = "xoxb-1111-2222-typo"
	dotenv := "SLACK_BOT_TOKEN=" + token + "\nSLACK_APP_TOKEN xapp-1-A1-secret\nDATABASE_URL=postgres://x:pw@127.0.0.1:1/x\n"
	for _, args := range [][]string{{}, {"run"}, {"migrate"}, {"import", "-"}, {"export", "-"}, {"playground"}, {"healthcheck"}} {
		t.Run(strings.Join(append([]string{"stickerbot"}, args...), " "), func(t *testing.T) {
			code, _, stderr := startCLI(t, 10*time.Second, nil, dotenv, args...)
			if code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			oneLine(t, stderr, []string{token, "secret", "pw@"}, ".env line 2: SLACK_APP_TOKEN is followed by a space where = belongs")
		})
	}
	for _, args := range [][]string{{"help"}, {"version"}, {"--version"}} {
		if code, stdout, stderr := startCLI(t, 10*time.Second, nil, dotenv, args...); code != 0 || stdout == "" {
			t.Errorf("stickerbot %s with a broken .env: status %d, stdout %q, stderr %q", args[0], code, stdout, stderr)
		}
	}
}

// The .env file fills in what the environment leaves unset: a setting
// mistake in it is reported as for the environment.
func TestDotenvIsRead(t *testing.T) {
	code, _, stderr := startCLI(t, 10*time.Second, map[string]string{"SLACK_APP_TOKEN": "xapp-1-A1-x"}, "# from .env.example\nSLACK_BOT_TOKEN=xoxb-\nSLACK_APP_TOKEN=xapp-\n")
	if code != 2 {
		t.Errorf("exit status %d, want 2", code)
	}
	oneLine(t, stderr, nil, "SLACK_BOT_TOKEN is only the prefix xoxb-")
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version", "-version"} {
		code, stdout, _ := startCLI(t, 10*time.Second, nil, "", arg)
		if code != 0 || !strings.HasPrefix(stdout, "stickerbot "+buildVersion(version)+" (go") {
			t.Errorf("stickerbot %s: status %d, %q", arg, code, stdout)
		}
	}
	if buildVersion("v1.2.3") != "v1.2.3" || buildVersion("") == "" {
		t.Error("buildVersion: a stamped version wins, and there is always one")
	}
}
