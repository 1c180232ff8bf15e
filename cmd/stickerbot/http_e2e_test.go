package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stickerbot/stickerbot/internal/slacksim"
)

// dbState returns, for every table of the test's schema, its row count and
// a hash of its rows, to tell whether anything changed.
func dbState(t *testing.T, h *harness) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := h.db.Pool.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) == 0 {
		t.Fatal("no tables in the test schema")
	}
	state := map[string]string{}
	for _, table := range tables {
		q := `SELECT count(*)::text || ' ' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM ` +
			pgx.Identifier{table}.Sanitize() + ` x`
		var s string
		if err := h.db.Pool.QueryRow(ctx, q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		state[table] = s
	}
	return state
}

// TestHTTPBadSignatureIsRefused sends slash commands straight to the bot's
// /slack/commands with bad signatures: each gets 401 and nothing happens,
// while the same command signed correctly is answered.
func TestHTTPBadSignatureIsRefused(t *testing.T) {
	t.Parallel()
	h := startBot(t, transportEnv("http"))
	// A response_url the fake never issued still records any post to it.
	responseURL := h.fs.URL() + "/hooks/commands/" + slacksim.TeamID + "/1234567890123/0123456789abcdef01234567"
	form := func(text string) []byte {
		return []byte(url.Values{
			"token": {slacksim.VerificationToken}, "team_id": {slacksim.TeamID}, "team_domain": {slacksim.TeamDomain},
			"channel_id": {"C1"}, "channel_name": {"general"}, "user_id": {"U1"}, "user_name": {"u1"},
			"command": {"/sticker"}, "text": {text}, "api_app_id": {slacksim.AppID},
			"is_enterprise_install": {"false"}, "response_url": {responseURL},
			"trigger_id": {"1234567890123.1234567890123.0123456789abcdef0123456789abcdef"},
		}.Encode())
	}
	post := func(ts, sig string, body []byte) int {
		t.Helper()
		req, err := http.NewRequestWithContext(h.ctx, http.MethodPost, h.botURL+slacksim.PathCommands, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if ts != "" {
			req.Header.Set("X-Slack-Request-Timestamp", ts)
		}
		if sig != "" {
			req.Header.Set("X-Slack-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	before := dbState(t, h)
	calls := len(h.fs.Calls(""))
	body := form("search cat")
	now := strconv.FormatInt(time.Now().Unix(), 10)
	stale := strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)
	for _, c := range []struct {
		name, ts, sig string
		body          []byte
	}{
		{"wrong secret", now, slacksim.Signature("not-"+h.secret, now, body), body},
		{"tampered body", now, slacksim.Signature(h.secret, now, body), form("search dog")},
		{"signed for another timestamp", now, slacksim.Signature(h.secret, stale, body), body},
		{"stale timestamp", stale, slacksim.Signature(h.secret, stale, body), body},
		{"garbage signature", now, "v0=zz", body},
		{"unsigned", "", "", body},
	} {
		if status := post(c.ts, c.sig, c.body); status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", c.name, status)
		}
	}
	time.Sleep(300 * time.Millisecond) // a reply, if any, has had time to arrive
	if n := len(h.fs.Calls("")); n != calls {
		t.Errorf("the bot called Slack after refused requests: %+v", h.fs.Calls("")[calls:])
	}
	if p := h.fs.ResponsePosts(); len(p) != 0 {
		t.Errorf("the bot replied to a refused request: %+v", p)
	}
	if after := dbState(t, h); !reflect.DeepEqual(after, before) {
		t.Errorf("the database changed:\nbefore %v\nafter  %v", before, after)
	}

	// The same request, signed correctly, is answered: the refusals above
	// were about the signature only.
	now = strconv.FormatInt(time.Now().Unix(), 10)
	if status := post(now, slacksim.Signature(h.secret, now, body), body); status != http.StatusOK {
		t.Fatalf("signed request: status %d, want 200", status)
	}
	h.fs.WaitUntil(h.ctx, "reply to the signed request", func() bool {
		for _, p := range h.fs.ResponsePosts() {
			if p.URL == responseURL {
				return true
			}
		}
		return false
	})
}
