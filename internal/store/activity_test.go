package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stickerbot/stickerbot/internal/handlers"
	"github.com/stickerbot/stickerbot/internal/sticker"
	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

var (
	_ handlers.Activity = (*store.Store)(nil)
	_ handlers.Shelves  = (*store.Store)(nil)
	_ handlers.Library  = (*store.Store)(nil)
)

// activity is a store on a schema of its own with a few stickers.
type activity struct {
	t    *testing.T
	pool *pgxpool.Pool
	st   *store.Store
	keys int
}

func newActivity(t *testing.T) *activity {
	t.Helper()
	db := testdb.New(t)
	return &activity{t: t, pool: db.Pool, st: store.New(db.Pool)}
}

func (a *activity) exec(q string, args ...any) {
	a.t.Helper()
	if _, err := a.pool.Exec(context.Background(), q, args...); err != nil {
		a.t.Fatalf("%s: %v", q, err)
	}
}

// send records user sending s and returns the send's key.
func (a *activity) send(s sticker.Sticker, user string) string {
	a.t.Helper()
	a.keys++
	key := fmt.Sprintf("k%d", a.keys)
	if err := a.st.RecordSend(context.Background(), sticker.Send{StickerID: s.ID, User: user, Channel: "C1",
		Key: key, TS: fmt.Sprintf("1700000000.%06d", a.keys), Via: sticker.ViaPostMessage}); err != nil {
		a.t.Fatalf("send %s: %v", s.Name, err)
	}
	return key
}

// sendAt records a send, then moves it to at. Call rebuild once done.
func (a *activity) sendAt(s sticker.Sticker, user string, at time.Time) string {
	a.t.Helper()
	key := a.send(s, user)
	a.exec(`UPDATE sends SET sent_at = $2 WHERE message_key = $1`, key, at)
	return key
}

func (a *activity) rebuild() {
	a.t.Helper()
	if err := a.st.RebuildActivity(context.Background()); err != nil {
		a.t.Fatal(err)
	}
}

// hide leaves s with only a stored image: it exists, but cannot be shown.
func (a *activity) hide(s sticker.Sticker) {
	a.t.Helper()
	a.exec(`INSERT INTO sticker_images (sticker_id, content_type, data, sha256)
		VALUES ($1, 'image/png', '\x01'::bytea, sha256('\x01'::bytea))`, s.ID)
	a.exec(`UPDATE stickers SET image_url = NULL, slack_file_id = NULL WHERE id = $1`, s.ID)
}

// rollups returns the rollup tables' contents, for comparing.
func (a *activity) rollups() []string {
	a.t.Helper()
	rows, err := a.pool.Query(context.Background(), `
		SELECT 'day ' || day || ' ' || shard || ' ' || sends FROM send_days WHERE sends > 0
		UNION ALL SELECT 'sd ' || day || ' ' || sticker_id || ' ' || sends FROM sticker_days WHERE sends > 0
		UNION ALL SELECT 'ud ' || user_id || ' ' || day || ' ' || sends FROM user_days WHERE sends > 0
		UNION ALL SELECT 'us ' || user_id || ' ' || sticker_id || ' ' || sends || ' ' || last_sent_at FROM user_stickers
		ORDER BY 1`)
	if err != nil {
		a.t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			a.t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		a.t.Fatal(err)
	}
	// The library's counts, kept by triggers, against the stickers.
	var counted, actual string
	if err := a.pool.QueryRow(context.Background(), `SELECT sum(showable) || ' ' || sum(never_sent) FROM library_counts`).Scan(&counted); err != nil {
		a.t.Fatal(err)
	}
	if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE image_url IS NOT NULL OR slack_file_id IS NOT NULL)
		|| ' ' || count(*) FILTER (WHERE usage_count = 0 AND (image_url IS NOT NULL OR slack_file_id IS NOT NULL)) FROM stickers`).Scan(&actual); err != nil {
		a.t.Fatal(err)
	}
	if counted != actual {
		a.t.Errorf("library_counts say %s (showable, never sent), the stickers %s", counted, actual)
	}
	return out
}

func stickerNames(ss []sticker.Sticker) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Name
	}
	return out
}

func countNames(cs []sticker.StickerCount) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = fmt.Sprintf("%s:%d", c.Sticker.Name, c.Sends)
	}
	return out
}

func TestRecordSendAndSent(t *testing.T) {
	t.Parallel()
	a := newActivity(t)
	ctx := context.Background()
	cat := mustCreate(t, a.st, "cat")
	snd := sticker.Send{StickerID: cat.ID, User: "U1", Channel: "C1", Key: "s-1.a_b:c", TS: "1712345678.000100", Via: sticker.ViaPostMessage}
	if err := a.st.RecordSend(ctx, snd); err != nil {
		t.Fatal(err)
	}
	got, err := a.st.Sent(ctx, snd.Key)
	if err != nil {
		t.Fatal(err)
	}
	if got.Send != snd || got.StickerName != "cat" || got.SentAt.IsZero() || !got.RemovedAt.IsZero() || got.RemovedBy != "" || got.ID == 0 {
		t.Errorf("Sent = %+v", got)
	}
	if c, _ := a.st.Get(ctx, cat.ID); c.UsageCount != 1 {
		t.Errorf("usage count %d, want 1", c.UsageCount)
	}
	err = a.st.RecordSend(ctx, snd)
	if err == nil || !strings.HasPrefix(err.Error(), "record send") {
		t.Errorf("duplicate key: %v", err)
	}
	// No key, no ts (a response_url post): any number of them.
	for range 2 {
		if err := a.st.RecordSend(ctx, sticker.Send{StickerID: cat.ID, User: "U1", Channel: "D1", Via: sticker.ViaResponseURL}); err != nil {
			t.Fatalf("send without a key: %v", err)
		}
	}
	for name, bad := range map[string]sticker.Send{
		"key with a space": {StickerID: cat.ID, User: "U1", Channel: "C1", Key: "a b"},
		"ts":               {StickerID: cat.ID, User: "U1", Channel: "C1", Key: "x1", TS: "yesterday"},
		"via":              {StickerID: cat.ID, User: "U1", Channel: "C1", Key: "x2", Via: "carrier pigeon"},
	} {
		if err := a.st.RecordSend(ctx, bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for _, key := range []string{"nope", ""} {
		if _, err := a.st.Sent(ctx, key); !errors.Is(err, sticker.ErrNotFound) {
			t.Errorf("Sent(%q): %v", key, err)
		}
	}
	var n int
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM sends WHERE message_key IS NULL AND message_ts IS NULL`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d sends stored without key and ts (%v)", n, err)
	}
	// A sticker deleted meanwhile: no error, nothing recorded; the old send
	// stays, with the sticker's name.
	if _, err := a.st.Delete(ctx, cat.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.st.RecordSend(ctx, sticker.Send{StickerID: cat.ID, User: "U1", Channel: "C1", Key: "late"}); err != nil {
		t.Errorf("send of a deleted sticker: %v", err)
	}
	got, err = a.st.Sent(ctx, snd.Key)
	if err != nil || got.StickerID != 0 || got.StickerName != "cat" {
		t.Errorf("send of the deleted sticker: %+v %v", got, err)
	}
}

func TestMarkRemoved(t *testing.T) {
	t.Parallel()
	a := newActivity(t)
	ctx := context.Background()
	cat, dog := mustCreate(t, a.st, "cat"), mustCreate(t, a.st, "dog")
	k1 := a.send(cat, "U1")
	a.send(dog, "U1")
	k3 := a.send(cat, "U1")
	if err := a.st.MarkRemoved(ctx, k3, "U1"); err != nil {
		t.Fatal(err)
	}
	first, err := a.st.Sent(ctx, k3)
	if err != nil || first.RemovedAt.IsZero() || first.RemovedBy != "U1" {
		t.Fatalf("removed send: %+v %v", first, err)
	}
	// Again, by someone else: the first time stays.
	if err := a.st.MarkRemoved(ctx, k3, "UADMIN"); err != nil {
		t.Fatalf("second removal: %v", err)
	}
	again, _ := a.st.Sent(ctx, k3)
	if !again.RemovedAt.Equal(first.RemovedAt) || again.RemovedBy != "U1" {
		t.Errorf("second removal changed it: %+v", again)
	}
	for _, key := range []string{"nope", ""} {
		if err := a.st.MarkRemoved(ctx, key, "U1"); !errors.Is(err, sticker.ErrNotFound) {
			t.Errorf("MarkRemoved(%q): %v", key, err)
		}
	}
	if c, _ := a.st.Get(ctx, cat.ID); c.UsageCount != 1 {
		t.Errorf("usage count %d after one of two sends was taken back", c.UsageCount)
	}
	// dog is now the latest: cat's latest send is taken back.
	if r, _ := a.st.Recents(ctx, "U1", 5); !slices.Equal(stickerNames(r), []string{"dog", "cat"}) {
		t.Errorf("recents = %v", stickerNames(r))
	}
	if err := a.st.MarkRemoved(ctx, k1, "U1"); err != nil {
		t.Fatal(err)
	}
	if r, _ := a.st.Recents(ctx, "U1", 5); !slices.Equal(stickerNames(r), []string{"dog"}) {
		t.Errorf("recents with every cat taken back = %v", stickerNames(r))
	}
	var rows int
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM sends`).Scan(&rows); err != nil || rows != 3 {
		t.Errorf("%d sends rows, want all 3 kept (%v)", rows, err)
	}
	// A send of a sticker deleted since can be taken back too.
	k4 := a.send(dog, "U2")
	if _, err := a.st.Delete(ctx, dog.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.st.MarkRemoved(ctx, k4, "U2"); err != nil {
		t.Errorf("taking back a deleted sticker's send: %v", err)
	}
	us, err := a.st.UserStats(ctx, "U2", time.Now(), 7, 5)
	if err != nil || us.AllSends != 0 {
		t.Errorf("U2's stats after taking back their only send: %+v %v", us, err)
	}
}

// RecordSend and MarkRemoved keep the rollups as RebuildActivity (and the
// migration's backfill) computes them from the history.
func TestRollupsMatchHistory(t *testing.T) {
	t.Parallel()
	a := newActivity(t)
	ctx := context.Background()
	var ss []sticker.Sticker
	for i := range 6 {
		ss = append(ss, mustCreate(t, a.st, fmt.Sprintf("s%d", i)))
	}
	var keys []string
	for i := range 60 {
		keys = append(keys, a.send(ss[(i*i)%len(ss)], fmt.Sprintf("U%d", i%4)))
	}
	for i, k := range keys {
		if i%7 == 3 {
			if err := a.st.MarkRemoved(ctx, k, "U0"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := a.st.Delete(ctx, ss[1].ID); err != nil {
		t.Fatal(err)
	}
	a.hide(ss[2])
	if _, err := a.st.Import(ctx, []sticker.Draft{{Name: "new", ImageURL: "https://x.example/n.png"}, {Name: "s3", ImageURL: "https://x.example/3.png"}}); err != nil {
		t.Fatal(err)
	}
	kept := a.rollups()
	a.rebuild()
	if rebuilt := a.rollups(); !slices.Equal(kept, rebuilt) {
		t.Errorf("rollups kept by the writes:\n%v\nrebuilt from the history:\n%v", kept, rebuilt)
	}
}

func TestFavourites(t *testing.T) {
	t.Parallel()
	a := newActivity(t)
	ctx := context.Background()
	cat, dog, owl, gone := mustCreate(t, a.st, "cat"), mustCreate(t, a.st, "dog"), mustCreate(t, a.st, "owl"), mustCreate(t, a.st, "gone")
	for _, s := range []sticker.Sticker{cat, dog, owl, gone, cat} {
		if err := a.st.SetFavourite(ctx, "U1", s.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	// Newest first, whatever the clock's resolution.
	for i, s := range []sticker.Sticker{cat, dog, owl, gone} {
		a.exec(`UPDATE favourites SET created_at = now() - make_interval(mins => $2) WHERE sticker_id = $1`, s.ID, 10-i)
	}
	if yes, err := a.st.IsFavourite(ctx, "U1", cat.ID); err != nil || !yes {
		t.Errorf("IsFavourite(cat) = %v %v", yes, err)
	}
	if yes, err := a.st.IsFavourite(ctx, "U2", cat.ID); err != nil || yes {
		t.Errorf("IsFavourite of someone else = %v %v", yes, err)
	}
	if err := a.st.SetFavourite(ctx, "U1", 987654321, true); !errors.Is(err, sticker.ErrNotFound) {
		t.Errorf("favourite of a missing sticker: %v", err)
	}
	if err := a.st.SetFavourite(ctx, "U1", 987654321, false); err != nil {
		t.Errorf("unfavourite a missing sticker: %v", err)
	}
	if _, err := a.st.Delete(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	a.hide(dog)
	page, total, err := a.st.FavouritesPage(ctx, "U1", 0, 10)
	if err != nil || total != 2 || !slices.Equal(stickerNames(page), []string{"owl", "cat"}) {
		t.Errorf("page = %v of %d (%v), want [owl cat] of 2", stickerNames(page), total, err)
	}
	page, total, err = a.st.FavouritesPage(ctx, "U1", 1, 10)
	if err != nil || total != 2 || !slices.Equal(stickerNames(page), []string{"cat"}) {
		t.Errorf("second page = %v of %d (%v)", stickerNames(page), total, err)
	}
	page, total, err = a.st.FavouritesPage(ctx, "U1", 5, 10)
	if err != nil || total != 2 || len(page) != 0 {
		t.Errorf("past the end = %v of %d (%v)", stickerNames(page), total, err)
	}
	if f, err := a.st.Favourites(ctx, "U1", 1); err != nil || !slices.Equal(stickerNames(f), []string{"owl"}) {
		t.Errorf("Favourites(1) = %v %v", stickerNames(f), err)
	}
	for range 2 {
		if err := a.st.SetFavourite(ctx, "U1", owl.ID, false); err != nil {
			t.Fatal(err)
		}
	}
	if yes, _ := a.st.IsFavourite(ctx, "U1", owl.ID); yes {
		t.Error("owl still a favourite")
	}
	if f, _ := a.st.Favourites(ctx, "U1", 10); !slices.Equal(stickerNames(f), []string{"cat"}) {
		t.Errorf("after unfavouriting owl: %v", stickerNames(f))
	}
	if f, err := a.st.Favourites(ctx, "UNOBODY", 10); err != nil || len(f) != 0 {
		t.Errorf("someone without favourites: %v %v", f, err)
	}
}

func TestRecents(t *testing.T) {
	t.Parallel()
	a := newActivity(t)
	ctx := context.Background()
	cat, dog, owl, bat := mustCreate(t, a.st, "cat"), mustCreate(t, a.st, "dog"), mustCreate(t, a.st, "owl"), mustCreate(t, a.st, "bat")
	base := time.Now().Add(-time.Hour)
	for i, s := range []sticker.Sticker{cat, dog, cat, owl, bat, cat} {
		a.sendAt(s, "U1", base.Add(time.Duration(i)*time.Minute))
	}
	a.sendAt(dog, "U2", base.Add(time.Hour))
	a.rebuild()
	if r, err := a.st.Recents(ctx, "U1", 10); err != nil || !slices.Equal(stickerNames(r), []string{"cat", "bat", "owl", "dog"}) {
		t.Errorf("recents = %v %v", stickerNames(r), err)
	}
	if r, _ := a.st.Recents(ctx, "U1", 2); !slices.Equal(stickerNames(r), []string{"cat", "bat"}) {
		t.Errorf("recents(2) = %v", stickerNames(r))
	}
	if _, err := a.st.Delete(ctx, bat.ID); err != nil {
		t.Fatal(err)
	}
	a.hide(owl)
	if r, _ := a.st.Recents(ctx, "U1", 10); !slices.Equal(stickerNames(r), []string{"cat", "dog"}) {
		t.Errorf("recents without the deleted and hidden = %v", stickerNames(r))
	}
	// A new send moves a sticker to the front.
	a.send(dog, "U1")
	if r, _ := a.st.Recents(ctx, "U1", 10); !slices.Equal(stickerNames(r), []string{"dog", "cat"}) {
		t.Errorf("recents after sending dog = %v", stickerNames(r))
	}
}

func TestPopular(t *testing.T) {
	t.Parallel()
	a := newActivity(t)
	ctx := context.Background()
	now := time.Now()
	ss := map[string]sticker.Sticker{}
	for _, n := range []string{"ant", "bee", "cow", "doe", "elk", "hid"} {
		ss[n] = mustCreate(t, a.st, n)
	}
	sendN := func(name string, n int, at time.Time) (keys []string) {
		for range n {
			keys = append(keys, a.sendAt(ss[name], "U1", at))
		}
		return keys
	}
	sendN("ant", 5, now.Add(-30*24*time.Hour)) // long ago
	sendN("ant", 1, now.Add(-time.Hour))
	sendN("bee", 3, now.Add(-2*time.Hour))
	sendN("cow", 3, now.Add(-26*time.Hour)) // ties with bee: by name
	removed := sendN("doe", 4, now.Add(-time.Hour))
	sendN("elk", 2, now.Add(-3*time.Hour))
	sendN("hid", 9, now.Add(-time.Hour))
	a.rebuild()
	for _, k := range removed[:3] {
		if err := a.st.MarkRemoved(ctx, k, "U1"); err != nil {
			t.Fatal(err)
		}
	}
	a.hide(ss["hid"])
	if _, err := a.st.Delete(ctx, ss["elk"].ID); err != nil {
		t.Fatal(err)
	}
	p, err := a.st.Popular(ctx, now.Add(-7*24*time.Hour), 3)
	if err != nil || !slices.Equal(stickerNames(p), []string{"bee", "cow", "ant"}) {
		t.Errorf("popular this week = %v %v, want [bee cow ant]", stickerNames(p), err)
	}
	p, _ = a.st.Popular(ctx, now.Add(-60*24*time.Hour), 10)
	if !slices.Equal(stickerNames(p), []string{"ant", "bee", "cow", "doe"}) {
		t.Errorf("popular in 60 days = %v", stickerNames(p))
	}
	p, _ = a.st.Popular(ctx, now.Add(-25*time.Hour), 10)
	if !slices.Equal(stickerNames(p), []string{"bee", "ant", "doe"}) {
		t.Errorf("popular in 25 hours = %v", stickerNames(p))
	}
}

// Stats' week is the 7×24 hours to now, read from whole days and
// corrected at both edges: try a now before noon and one after, so each
// way of correcting the start is tried.
func TestStats(t *testing.T) {
	t.Parallel()
	for _, now := range []time.Time{
		time.Date(2026, 3, 10, 15, 30, 0, 0, time.UTC),
		time.Date(2026, 3, 10, 4, 30, 0, 0, time.UTC),
	} {
		t.Run(now.Format("15h04"), func(t *testing.T) {
			t.Parallel()
			testStats(t, now)
		})
	}
}

func testStats(t *testing.T, now time.Time) {
	a := newActivity(t)
	ctx := context.Background()
	ss := map[string]sticker.Sticker{}
	for _, n := range []string{"ant", "bee", "cow", "doe", "elk", "fox", "gnu", "hid"} {
		ss[n] = mustCreate(t, a.st, n)
	}
	weekAgo := now.Add(-7 * 24 * time.Hour)
	a.sendAt(ss["ant"], "U1", weekAgo)                       // just out
	a.sendAt(ss["bee"], "U1", weekAgo.Add(time.Microsecond)) // just in
	a.sendAt(ss["bee"], "U2", now)                           // in
	a.sendAt(ss["cow"], "U3", now.Add(time.Second))          // after now: out of the week, in today
	a.sendAt(ss["cow"], "U3", now.Add(-24*time.Hour))
	a.sendAt(ss["cow"], "U2", now.Add(-48*time.Hour))
	gone := a.sendAt(ss["doe"], "U4", now.Add(-time.Hour)) // taken back
	a.sendAt(ss["elk"], "U1", now.Add(-3*24*time.Hour))    // deleted later
	a.sendAt(ss["elk"], "U1", now.Add(-3*24*time.Hour))
	a.sendAt(ss["elk"], "U1", now.Add(-3*24*time.Hour))
	a.sendAt(ss["hid"], "U1", now.Add(-time.Hour)) // not showable later
	a.sendAt(ss["ant"], "U1", now.Add(-40*24*time.Hour))
	a.rebuild()
	if err := a.st.MarkRemoved(ctx, gone, "U4"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.Delete(ctx, ss["elk"].ID); err != nil {
		t.Fatal(err)
	}
	a.hide(ss["hid"])

	st, err := a.st.Stats(ctx, now, 10, 2)
	if err != nil {
		t.Fatal(err)
	}
	// bee (2), cow (2 in the week), elk (3, deleted), hid (1): 8 sends by
	// U1 (bee, elk, hid), U2 (bee, cow), U3 (cow).
	if st.WeekSends != 8 || st.WeekSenders != 3 {
		t.Errorf("week: %d sends by %d, want 8 by 3", st.WeekSends, st.WeekSenders)
	}
	if got := countNames(st.Top); !slices.Equal(got, []string{"bee:2", "cow:2"}) {
		t.Errorf("top = %v", got)
	}
	if len(st.Days) != 10 {
		t.Fatalf("%d days, want 10", len(st.Days))
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	want := map[time.Time]int64{}
	for _, at := range []time.Time{weekAgo, weekAgo.Add(time.Microsecond), now, now.Add(time.Second),
		now.Add(-24 * time.Hour), now.Add(-48 * time.Hour), now.Add(-3 * 24 * time.Hour), now.Add(-3 * 24 * time.Hour),
		now.Add(-3 * 24 * time.Hour), now.Add(-time.Hour)} {
		y, m, d := at.Date()
		want[time.Date(y, m, d, 0, 0, 0, 0, time.UTC)]++
	}
	for i, dc := range st.Days {
		if wantDay := today.AddDate(0, 0, i-9); !dc.Day.Equal(wantDay) || dc.Sends != want[wantDay] {
			t.Errorf("day %d = %s %d, want %s %d", i, dc.Day, dc.Sends, wantDay.Format(time.DateOnly), want[wantDay])
		}
	}
	// Never sent: fox, gnu, and doe (its only send taken back); hid cannot
	// be shown.
	if st.NeverSent != 3 || !slices.Equal(stickerNames(st.NeverSentSample), []string{"doe", "fox", "gnu"}) {
		t.Errorf("never sent: %d %v", st.NeverSent, stickerNames(st.NeverSentSample))
	}
	if st.Library != 6 {
		t.Errorf("library = %d, want 6 showable", st.Library)
	}

	us, err := a.st.UserStats(ctx, "U1", now, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	// U1: ant ×2 (one 40 days ago, one a week ago: out), bee, elk ×3 (deleted), hid (hidden).
	if us.WeekSends != 5 || us.AllSends != 7 {
		t.Errorf("U1: %d this week, %d ever, want 5 and 7", us.WeekSends, us.AllSends)
	}
	if got := countNames(us.Top); !slices.Equal(got, []string{"ant:2", "bee:1"}) {
		t.Errorf("U1's top = %v", got)
	}
	if len(us.Days) != 3 || !us.Days[2].Day.Equal(today) || !us.Days[0].Day.Equal(today.AddDate(0, 0, -2)) {
		t.Errorf("U1's days = %v", us.Days)
	}
	if err := a.st.SetFavourite(ctx, "U1", ss["ant"].ID, true); err != nil {
		t.Fatal(err)
	}
	if us, _ := a.st.UserStats(ctx, "U1", now, 3, 5); us.Favourites != 1 {
		t.Errorf("U1's favourites = %d", us.Favourites)
	}
	if us, err := a.st.UserStats(ctx, "UNOBODY", now, 0, 5); err != nil || us.AllSends != 0 || len(us.Days) != 7 || len(us.Top) != 0 {
		t.Errorf("someone who never sent: %+v %v", us, err)
	}
}

func TestHome(t *testing.T) {
	t.Parallel()
	a := newActivity(t)
	ctx := context.Background()
	var ss []sticker.Sticker
	for i := range 8 {
		ss = append(ss, mustCreate(t, a.st, fmt.Sprintf("s%d", i)))
	}
	for i, s := range ss {
		a.exec(`UPDATE stickers SET created_at = now() - make_interval(mins => $2) WHERE id = $1`, s.ID, 100-i)
		if err := a.st.SetFavourite(ctx, "U1", s.ID, true); err != nil {
			t.Fatal(err)
		}
		a.exec(`UPDATE favourites SET created_at = now() - make_interval(mins => $2) WHERE sticker_id = $1`, s.ID, 100-i)
		for range i {
			a.send(s, "U2")
		}
	}
	a.send(ss[1], "U1")
	now := time.Now()
	h, err := a.st.Home(ctx, sticker.HomeQuery{User: "U1", Now: now, FavouritesOffset: 2})
	if err != nil {
		t.Fatal(err)
	}
	if h.Library != 8 || h.FavouritesTotal != 8 || h.Team != nil || h.Newest != nil {
		t.Errorf("member's Home: library %d, favourites %d, team %v, newest %v", h.Library, h.FavouritesTotal, h.Team, h.Newest)
	}
	if got := stickerNames(h.Favourites); !slices.Equal(got, []string{"s5", "s4", "s3", "s2", "s1"}) {
		t.Errorf("favourites after 2 = %v", got)
	}
	if got := stickerNames(h.Recents); !slices.Equal(got, []string{"s1"}) {
		t.Errorf("recents = %v", got)
	}
	if got := countNames(h.Popular); !slices.Equal(got, []string{"s7:7", "s6:6", "s5:5", "s4:4", "s3:3"}) {
		t.Errorf("popular = %v", got)
	}
	h, err = a.st.Home(ctx, sticker.HomeQuery{User: "U2", Now: now, Limit: 2, Team: true, Days: 14})
	if err != nil {
		t.Fatal(err)
	}
	if h.Team == nil || h.Team.WeekSends != 29 || h.Team.WeekSenders != 2 || len(h.Team.Days) != 14 ||
		h.Team.Library != 8 || h.Team.NeverSent != 1 || len(h.Team.Top) != 7 {
		t.Fatalf("admin's team stats: %+v", h.Team)
	}
	if got := stickerNames(h.Newest); !slices.Equal(got, []string{"s7", "s6"}) {
		t.Errorf("newest = %v", got)
	}
	if got := stickerNames(h.Recents); len(got) != 2 || h.FavouritesTotal != 0 || len(h.Popular) != 2 {
		t.Errorf("U2: recents %v, favourites %d, popular %v", got, h.FavouritesTotal, countNames(h.Popular))
	}
}

// The top of a window is found from each day's most sent: a sticker sent
// steadily, never a day's most sent, still comes first when its total is
// the largest.
func TestPopularAcrossDays(t *testing.T) {
	t.Parallel()
	a := newActivity(t)
	ctx := context.Background()
	steady, b, c, d := mustCreate(t, a.st, "steady"), mustCreate(t, a.st, "b"), mustCreate(t, a.st, "c"), mustCreate(t, a.st, "d")
	now := time.Now()
	for day, spike := range []sticker.Sticker{b, c, d} {
		at := now.Add(-time.Duration(day)*24*time.Hour - time.Minute)
		for range 5 {
			a.sendAt(steady, "U1", at)
		}
		for range 10 {
			a.sendAt(spike, "U2", at)
		}
	}
	a.rebuild()
	p, err := a.st.Popular(ctx, now.Add(-3*24*time.Hour), 1)
	if err != nil || !slices.Equal(stickerNames(p), []string{"steady"}) {
		t.Errorf("popular = %v %v, want [steady]", stickerNames(p), err)
	}
	st, err := a.st.Stats(ctx, now, 7, 2)
	if err != nil || !slices.Equal(countNames(st.Top), []string{"steady:15", "b:10"}) {
		t.Errorf("top = %v %v", countNames(st.Top), err)
	}
}
