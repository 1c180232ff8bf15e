package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stickerbot/stickerbot/internal/pgcluster"
	"github.com/stickerbot/stickerbot/internal/slacksim"
	"github.com/stickerbot/stickerbot/internal/testdb"
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

// oneLine checks that stderr ends with one line starting "stickerbot: "
// and holding each of want, that nothing comes before it but the bot's
// log lines (only run logs at info level), and that none of secrets is
// anywhere.
func oneLine(t *testing.T, stderr string, secrets []string, want ...string) {
	t.Helper()
	all := strings.TrimSuffix(stderr, "\n")
	line := all[strings.LastIndexByte(all, '\n')+1:]
	if !strings.HasPrefix(line, "stickerbot: ") {
		t.Errorf("stderr does not end with one line starting \"stickerbot: \":\n%s", stderr)
	}
	for l := range strings.Lines(strings.TrimSuffix(all, line)) {
		if !strings.HasPrefix(l, "time=") {
			t.Errorf("stderr has %q before its error line:\n%s", l, stderr)
		}
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

// slackEnv is what run needs besides DATABASE_URL: a fake Slack that
// takes its tokens.
func slackEnv(t *testing.T, dbURL string, opts ...slacksim.Option) map[string]string {
	fs := slacksim.New(t, opts...)
	return map[string]string{
		"SLACK_BOT_TOKEN": fs.BotToken(), "SLACK_APP_TOKEN": fs.AppToken(), "SLACK_API_URL": fs.APIURL(),
		"DATABASE_URL": dbURL,
	}
}

// withUser returns the shared test server's URL with another user,
// password and database.
func withUser(t *testing.T, user, password, database string) string {
	u, err := url.Parse(testdb.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	if password != "" {
		u.User = url.UserPassword(user, password)
	} else {
		u.User = url.User(user)
	}
	u.Path = "/" + database
	return u.String()
}

// dbCommands are the commands that open the database, and the stdin an
// import reads.
var dbCommands = [][]string{{"run"}, {"migrate"}, {"import", "-"}, {"export", "-"}}

// A database that refuses DATABASE_URL's password, role or database is a
// configuration mistake for every command: status 2 at once, one line
// naming DATABASE_URL (its password masked) and the fix.
func TestDatabaseRefusals(t *testing.T) {
	t.Parallel()
	pg := pgcluster.Start(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		"CREATE ROLE app LOGIN PASSWORD 'right-password'",
		// As on PostgreSQL 15 and later: only the owner creates in public.
		"REVOKE CREATE ON SCHEMA public FROM PUBLIC",
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close(ctx)
	pg.RequirePasswords(t)
	// No sslmode: the default (prefer) must not add a TLS attempt's
	// failure to the message.
	wrongPassword := fmt.Sprintf("postgres://app:wrong-password@127.0.0.1:%d/%s", pg.Port(), pgcluster.DatabaseName)

	cases := []struct {
		name, url, secret string
		want              []string
	}{
		{"wrong password", wrongPassword, "wrong-password", []string{
			fmt.Sprintf("DATABASE_URL (postgres://app:xxxxx@127.0.0.1:%d/%s): ", pg.Port(), pgcluster.DatabaseName),
			`PostgreSQL refused the password of user "app" (SQLSTATE 28P01): put the right password in DATABASE_URL`,
			"the database volume keeps the POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB of its first start",
		}},
		{"no privilege to migrate", strings.Replace(wrongPassword, "wrong-password", "right-password", 1), "right-password", []string{
			`user "app" may not create the bot's tables: permission denied for schema public (SQLSTATE 42501): make it the owner of the database and its schema (ALTER DATABASE stickerbot OWNER TO app`,
		}},
		{"no such database", withUser(t, "postgres", "", "stickerbot_no_such_db"), "", []string{
			`database "stickerbot_no_such_db" does not exist (SQLSTATE 3D000): fix the name after the last / in DATABASE_URL`,
		}},
		{"no such role", withUser(t, "stickerbot_no_such_role", "s3cret-pw", "test"), "s3cret-pw", []string{
			"DATABASE_URL (postgres://stickerbot_no_such_role:xxxxx@",
			`role "stickerbot_no_such_role" does not exist (SQLSTATE 28000): fix the user name in DATABASE_URL`,
		}},
	}
	for _, c := range cases {
		for _, args := range dbCommands {
			t.Run(c.name+"/"+args[0], func(t *testing.T) {
				t.Parallel()
				env := map[string]string{"DATABASE_URL": c.url}
				if args[0] == "run" {
					env = slackEnv(t, c.url)
				}
				began := time.Now()
				code, _, stderr := startCLI(t, 10*time.Second, env, "", args...)
				if code != 2 {
					t.Errorf("exit status %d, want 2", code)
				}
				if d := time.Since(began); d > 5*time.Second {
					t.Errorf("took %s: a refusal needs no retries", d)
				}
				oneLine(t, stderr, []string{c.secret}, c.want...)
				if strings.Contains(strings.ToLower(stderr), "tls") {
					t.Errorf("TLS noise: %s", stderr)
				}
			})
		}
	}
}

// blackHole accepts connections and never answers, like a host that
// hangs; it returns its address.
func blackHole(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// A database that does not answer (nothing listens; a host that hangs)
// fails migrate, import and export within 10 s, in one line saying so;
// run waits for it, logging each retry.
func TestDatabaseUnreachable(t *testing.T) {
	t.Parallel()
	hangs := blackHole(t) // first: the closed port must not become its
	cases := []struct{ name, addr, cause string }{
		{"connection refused", freeLoopbackAddr(t), "does not answer: connection refused"},
		{"timeout", hangs, "does not answer: timed out"},
	}
	for _, c := range cases {
		dbURL := "postgres://stickerbot:pw-secret@" + c.addr + "/stickerbot"
		for _, args := range dbCommands[1:] {
			t.Run(c.name+"/"+args[0], func(t *testing.T) {
				t.Parallel()
				began := time.Now()
				code, _, stderr := startCLI(t, 15*time.Second, map[string]string{"DATABASE_URL": dbURL}, "", args...)
				if d := time.Since(began); d > 11*time.Second {
					t.Errorf("gave up after %s, want within 10 s", d)
				}
				if code != 1 {
					t.Errorf("exit status %d, want 1", code)
				}
				oneLine(t, stderr, []string{"pw-secret"}, "DATABASE_URL (postgres://stickerbot:xxxxx@"+c.addr+"/stickerbot): PostgreSQL at "+c.addr+" "+c.cause, "for 10 s: start PostgreSQL, or fix the host and port in DATABASE_URL")
			})
		}
		t.Run(c.name+"/run", func(t *testing.T) {
			t.Parallel()
			logs := &syncBuffer{}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, []string{"stickerbot"}, envOf(slackEnv(t, dbURL)), nil, &bytes.Buffer{}, logs)
			}()
			// The first retries come after 0.5 s and 1 s (and the attempts
			// that time out take 5 s each).
			deadline := time.Now().Add(20 * time.Second)
			for strings.Count(logs.String(), "database not reachable yet") < 2 && time.Now().Before(deadline) {
				select {
				case err := <-done:
					t.Fatalf("run ended while the database was away: %v\n%s", err, logs)
				case <-time.After(50 * time.Millisecond):
				}
			}
			cancel() // as SIGTERM does
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("told to stop while it waited, run returned %v, want nil (a clean stop)", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("run did not stop within 10 s of its context")
			}
			out := logs.String()
			if n := strings.Count(out, "database not reachable yet"); n < 2 {
				t.Fatalf("run logged %d retries, want each logged:\n%s", n, out)
			}
			for l := range strings.Lines(out) {
				if strings.Contains(l, "database not reachable yet") && (!strings.Contains(l, "cause=\""+strings.TrimPrefix(c.cause, "does not answer: ")) || strings.Contains(strings.ToLower(l), "tls") || strings.Contains(l, "pw-secret")) {
					t.Errorf("retry line %q: want its cause, without TLS noise or the password", l)
				}
			}
		})
	}
}

// A token Slack refuses stops the bot before it says it is running: one
// line naming the variable, what Slack said and where to get the right
// one, status 2. The bot token is checked before the database is opened
// (DATABASE_URL points nowhere here), so it is said at once.
func TestRejectedTokens(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	nowhere := "postgres://stickerbot:pw@" + freeLoopbackAddr(t) + "/stickerbot"
	botHelp := "set it to the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page"
	appHelp := "set it to an app-level token (xapp-…) with the connections:write scope, from your Slack app's Basic Information → App-Level Tokens"
	cases := []struct {
		name, variable, token, code, dbURL string
		want                               []string
	}{
		{"bot invalid_auth", "SLACK_BOT_TOKEN", "xoxb-1111-2222-typo", "", nowhere,
			[]string{"SLACK_BOT_TOKEN was rejected by Slack (invalid_auth: Slack knows no such token", botHelp}},
		{"bot token_revoked", "SLACK_BOT_TOKEN", "xoxb-1111-2222-revoked", "token_revoked", nowhere,
			[]string{"SLACK_BOT_TOKEN was rejected by Slack (token_revoked: the token was revoked", botHelp}},
		{"bot account_inactive", "SLACK_BOT_TOKEN", "xoxb-1111-2222-inactive", "account_inactive", nowhere,
			[]string{"SLACK_BOT_TOKEN was rejected by Slack (account_inactive: the token's bot user or workspace was deactivated)", botHelp}},
		{"bot not_allowed_token_type", "SLACK_BOT_TOKEN", "xoxb-1111-2222-kind", "not_allowed_token_type", nowhere,
			[]string{"SLACK_BOT_TOKEN was rejected by Slack (not_allowed_token_type: ", botHelp}},
		{"app invalid_auth", "SLACK_APP_TOKEN", "xapp-1-A1-typo", "", db.URL,
			[]string{"SLACK_APP_TOKEN was rejected by Slack (invalid_auth: Slack knows no such token", appHelp}},
		{"app token_revoked", "SLACK_APP_TOKEN", "xapp-1-A1-revoked", "token_revoked", db.URL,
			[]string{"SLACK_APP_TOKEN was rejected by Slack (token_revoked: the token was revoked", appHelp}},
		{"app not_allowed_token_type", "SLACK_APP_TOKEN", "xapp-1-A1-kind", "not_allowed_token_type", db.URL,
			[]string{"SLACK_APP_TOKEN was rejected by Slack (not_allowed_token_type: Slack does not take this kind of token here)", appHelp}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var opts []slacksim.Option
			if c.code != "" {
				opts = append(opts, slacksim.WithRejectedToken(c.token, c.code))
			}
			env := slackEnv(t, c.dbURL, opts...)
			env[c.variable] = c.token
			code, _, stderr := startCLI(t, 20*time.Second, env, "")
			if code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			oneLine(t, stderr, []string{c.token}, c.want...)
			if strings.Contains(stderr, "stickerbot running") {
				t.Errorf("the bot said it was running with a token Slack refuses:\n%s", stderr)
			}
		})
	}
}

// Slack away at start (nothing answers, then 5xx) is waited out, with
// backoff, and logged; the bot starts once Slack is back.
func TestSlackOutageAtStart(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	addr := freeLoopbackAddr(t)
	const bot, app = "xoxb-outage-bot", "xapp-1-outage-app"
	logs, _ := launchBot(t, map[string]string{
		"SLACK_BOT_TOKEN": bot, "SLACK_APP_TOKEN": app, "SLACK_API_URL": "http://" + addr + "/api/",
		"DATABASE_URL": db.URL,
	}, bot, app)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for !strings.Contains(logs.String(), "Slack not reachable yet") {
		if ctx.Err() != nil {
			t.Fatalf("the bot did not say it waits for Slack:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(logs.String(), "stickerbot running") {
		t.Fatal("the bot said it was running without having reached Slack")
	}
	// Slack comes back on that address, answering 503 for a while.
	fs := slacksim.New(t, slacksim.WithAddr(addr), slacksim.WithBotToken(bot), slacksim.WithAppToken(app))
	fs.FailNext("auth.test", 4, slacksim.Failure{Status: http.StatusServiceUnavailable})
	fs.WaitConnections(ctx, 2)
	for !strings.Contains(logs.String(), "stickerbot running") {
		if ctx.Err() != nil {
			t.Fatalf("the bot connected but did not say it runs:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	out := logs.String()
	for _, want := range []string{"connection refused", "503"} {
		if !strings.Contains(out, want) {
			t.Errorf("the retries do not say %q:\n%s", want, out)
		}
	}
}

// The library channel is checked at start: one that cannot show uploads
// gets a warning saying what to fix, and the add form offers no upload.
func TestLibraryChannelChecked(t *testing.T) {
	t.Parallel()
	private := slacksim.Channel{ID: "GLIB", Name: "private-library", Private: true, BotMember: true, Members: []string{admin}}
	good := slacksim.Channel{ID: "CLIB", Name: "sticker-library", BotMember: true, Members: []string{admin}}
	outside := slacksim.Channel{ID: "COUTSIDE", Name: "library", Members: []string{admin}}
	secret := slacksim.Channel{ID: "GSECRET", Name: "secret-library", Private: true, Members: []string{admin}}
	cases := []struct {
		name, channel, warning string
		usable                 bool
	}{
		{"not a member", outside.ID, "the bot is not a member of STICKER_LIBRARY_CHANNEL: type /invite @stickerbot in that channel", false},
		{"no such channel", "C0NOSUCH", "STICKER_LIBRARY_CHANNEL names no channel the bot can see", false},
		{"private, not a member", secret.ID, "STICKER_LIBRARY_CHANNEL names no channel the bot can see", false},
		{"private", private.ID, "STICKER_LIBRARY_CHANNEL is a private conversation", false},
		{"public, a member", good.ID, "the library channel is ready for uploaded images", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, map[string]string{"STICKER_LIBRARY_CHANNEL": c.channel},
				slacksim.WithChannels(append(slacksim.DefaultChannels(), private, good, outside, secret)...))
			var line string
			for l := range strings.Lines(h.logs.String()) {
				if strings.Contains(l, c.warning) {
					line = l
				}
			}
			switch {
			case line == "":
				t.Errorf("no log line %q", c.warning)
			case !c.usable && (!strings.Contains(line, "level=WARN") || !strings.Contains(line, "channel="+c.channel) || !strings.Contains(line, "the add form offers no upload")):
				t.Errorf("warning %q: want a WARN naming the channel and what it means", line)
			}
			v := h.openModal(t, admin, "add")
			inputs := strings.Join(v.InputBlockIDs(), ",")
			if want := map[bool]string{true: "name,tags,file,image_url", false: "name,tags,image_url"}[c.usable]; inputs != want {
				t.Errorf("the add form's inputs are %s, want %s", inputs, want)
			}
		})
	}
}

// HTTP mode has no Socket Mode connections, and does not say it has.
func TestHTTPModeSaysNoConnections(t *testing.T) {
	t.Parallel()
	h := startBot(t, transportEnv("http"))
	for l := range strings.Lines(h.logs.String()) {
		if strings.Contains(l, "stickerbot running") && (strings.Contains(l, "connections=") || !strings.Contains(l, "mode=http")) {
			t.Errorf("HTTP mode logs %q", l)
		}
	}
}
