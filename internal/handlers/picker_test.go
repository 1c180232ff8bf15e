package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

func pickerBot(t testing.TB, sl Slack, lib libraryStore, key string) *Bot {
	t.Helper()
	b, err := New(withLibrary(lib, Config{Slack: sl, Logger: slog.New(slog.DiscardHandler), StateKey: []byte(key), ViewUpdatesPerMinute: 1e6}))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPickerMeta(t *testing.T) {
	b := pickerBot(t, stubSlack{}, stubStore{}, "key one")
	good := pickerMeta{User: "U1", Kind: pickThread, Channel: "C1", ThreadTS: "1700000000.000100", Query: "cat <!channel> | : \"", Page: 3}
	enc := b.encodeMeta(good)
	if n := len(enc); n > 3000 {
		t.Fatalf("metadata is %d characters; Slack allows 3000", n)
	}
	got, err := b.decodeMeta(enc, "U1")
	if err != nil || got != good {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	// The same key (another replica, or after a restart) reads it.
	if _, err := pickerBot(t, stubSlack{}, stubStore{}, "key one").decodeMeta(enc, "U1"); err != nil {
		t.Errorf("same key: %v", err)
	}
	longest := pickerMeta{User: "U1", Kind: pickChannel, Channel: "C1", ResponseURL: "https://hooks.slack.com/commands/T0/" + strings.Repeat("1", 200),
		Query: strings.Repeat("<\"", sticker.MaxQueryLen/2), Page: maxPickerPage, Pending: 1 << 62}
	if n := len(b.encodeMeta(longest)); n > 3000 {
		t.Errorf("the longest metadata is %d characters; Slack allows 3000", n)
	}
	_, raw, _ := strings.Cut(enc, ":")
	_, body, _ := strings.Cut(raw, ":")
	forged := func(m pickerMeta) string {
		j, _ := json.Marshal(m)
		return enc[:strings.LastIndex(enc, ":")+1] + string(j)
	}
	other := good
	other.Channel = "C2"
	for name, s := range map[string]string{
		"another channel, old signature": forged(other),
		"unsigned":                       body,
		"empty":                          "",
		"other version":                  "p0" + enc[2:],
		"another key":                    pickerBot(t, stubSlack{}, stubStore{}, "key two").encodeMeta(good),
		"truncated":                      enc[:len(enc)-1],
		"bad kind":                       b.encodeMeta(pickerMeta{User: "U1", Kind: "x", Channel: "C1"}),
		"thread without ts":              b.encodeMeta(pickerMeta{User: "U1", Kind: pickThread, Channel: "C1"}),
		"anywhere with a channel":        b.encodeMeta(pickerMeta{User: "U1", Kind: pickAnywhere, Channel: "C1"}),
		"bad channel":                    b.encodeMeta(pickerMeta{User: "U1", Kind: pickChannel, Channel: "#general"}),
		"negative page":                  b.encodeMeta(pickerMeta{User: "U1", Kind: pickAnywhere, Page: -1}),
		"long query":                     b.encodeMeta(pickerMeta{User: "U1", Kind: pickAnywhere, Query: strings.Repeat("a", sticker.MaxQueryLen+1)}),
	} {
		if _, err := b.decodeMeta(s, "U1"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := b.decodeMeta(enc, "U2"); err == nil {
		t.Error("another user's picker accepted")
	}
}

func FuzzPickerMeta(f *testing.F) {
	b := pickerBot(f, stubSlack{}, stubStore{}, "k")
	f.Add(b.encodeMeta(pickerMeta{User: "U1", Kind: pickChannel, Channel: "C1", Query: "cat"}), "U1")
	f.Add("p1::{}", "U1")
	f.Add("p1:x:{\"u\":\"U1\",\"k\":\"g\"}", "U1")
	f.Fuzz(func(t *testing.T, s, user string) {
		m, err := b.decodeMeta(s, user)
		if err != nil {
			return
		}
		// Whatever is accepted was signed with the key, for that user.
		if m.User != user || b.encodeMeta(m) == "" {
			t.Fatalf("accepted %q for %q: %+v", s, user, m)
		}
	})
}

func TestActionSeq(t *testing.T) {
	for ts, want := range map[string]int64{
		"1712345678.123456": 1712345678123456, "1712345678.1": 1712345678100000, "1712345678.123456789": 1712345678123456,
		"": 0, "x.1": 0, "1712345678": 0, "-1.2": 0, "1.-2": 0,
	} {
		if got := actionSeq(ts); got != want {
			t.Errorf("actionSeq(%q) = %d, want %d", ts, got, want)
		}
	}
}

// viewSlack records views.update calls and answers them slowly, as Slack
// does; it can answer hash_conflict once.
type viewSlack struct {
	stubSlack
	mu       sync.Mutex
	updates  []slack.ModalViewRequest
	hashes   []string
	delay    time.Duration
	conflict bool
	n        int
}

func (s *viewSlack) UpdateViewContext(_ context.Context, v slack.ModalViewRequest, _, hash, _ string) (*slack.ViewResponse, error) {
	time.Sleep(s.delay)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hashes = append(s.hashes, hash)
	if s.conflict {
		s.conflict = false
		return nil, slack.SlackErrorResponse{Err: "hash_conflict"}
	}
	s.updates = append(s.updates, v)
	s.n++
	r := &slack.ViewResponse{}
	r.Hash = fmt.Sprint("h", s.n)
	return r, nil
}

func (s *viewSlack) queries(t *testing.T, b *Bot) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, v := range s.updates {
		m, err := b.decodeMeta(v.PrivateMetadata, "U1")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m.Query)
	}
	return out
}

// TestRenderCoalesces: keystrokes that arrive while a view is being
// updated are coalesced into one update for the latest; an older one
// arriving late is dropped; a hash_conflict drops the render without a
// retry loop, and the next keystroke brings the view's hash.
func TestRenderCoalesces(t *testing.T) {
	sl := &viewSlack{delay: 50 * time.Millisecond}
	b := pickerBot(t, sl, newMemLibrary(3), "k")
	meta := pickerMeta{User: "U1", Kind: pickAnywhere}
	key := func(q string, seq int64) renderJob {
		m := meta
		m.Query = q
		return renderJob{meta: m, hash: "h0", seq: seq}
	}
	b.render(context.Background(), "V1", key("c", 1))
	time.Sleep(10 * time.Millisecond) // the first render is under way
	b.render(context.Background(), "V1", key("ca", 2))
	b.render(context.Background(), "V1", key("cat", 4))
	b.render(context.Background(), "V1", key("cats", 3)) // typed before "cat", arrived after: stale
	b.background.closeAndWait()
	if got := sl.queries(t, b); strings.Join(got, ",") != "c,cat" {
		t.Errorf("updates for %q, want c then cat", got)
	}
	if sl.hashes[0] != "h0" || sl.hashes[1] != "h1" {
		t.Errorf("hashes sent %q: the payload's, then the bot's own update's", sl.hashes)
	}

	sl = &viewSlack{conflict: true}
	b = pickerBot(t, sl, newMemLibrary(3), "k")
	b.render(context.Background(), "V1", key("dog", 1))
	b.background.closeAndWait()
	if n := len(sl.hashes); n != 1 || len(sl.updates) != 0 {
		t.Errorf("after hash_conflict: %d calls, %d updates", n, len(sl.updates))
	}
}

func TestBucket(t *testing.T) {
	bk := newBucket(600, 2) // 10 a second
	ctx := context.Background()
	start := time.Now()
	for range 4 {
		if err := bk.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Two from the burst, two at 100 ms each.
	if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
		t.Errorf("4 tokens took %v", d)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	slow := newBucket(1, 1)
	_ = slow.wait(ctx)
	if err := slow.wait(ctx); err == nil {
		t.Error("waited past the context")
	}
}

// TestPickerViewFits: a page of the longest stickers stays within Block
// Kit's 100 blocks and 250 kB per view, with every text within bounds.
func TestPickerViewFits(t *testing.T) {
	b := pickerBot(t, stubSlack{}, stubStore{}, "k")
	page := search.Page{Total: search.TotalCap, Capped: true}
	for i := range pickerPageSize {
		tags := make([]string, sticker.MaxTags)
		for j := range tags {
			tags[j] = strings.Repeat("<", sticker.MaxTagLen)
		}
		page.Matches = append(page.Matches, search.Match{Sticker: sticker.Sticker{ID: int64(i + 1), Name: strings.Repeat("&", sticker.MaxNameLen),
			Tags: tags, ImageURL: "https://x.example/" + strings.Repeat("a", sticker.MaxURLLen-30)}})
	}
	meta := pickerMeta{User: "U1", Kind: pickAnywhere, Query: strings.Repeat("<", sticker.MaxQueryLen), Page: 2}
	v := b.pickerModal(pickerView{meta: meta, page: &page, note: mdf("%s", strings.Repeat("x", 300))})
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(v.Blocks.BlockSet); n > 100 {
		t.Errorf("%d blocks", n)
	}
	if len(raw) > 250*1024 {
		t.Errorf("%d bytes", len(raw))
	}
	for _, bl := range v.Blocks.BlockSet {
		if s, ok := bl.(*slack.SectionBlock); ok && len([]rune(s.Text.Text)) > maxTextLen {
			t.Errorf("section text of %d characters", len([]rune(s.Text.Text)))
		}
	}
}

// slowPages searches slowly for one query.
type slowPages struct {
	*memLibrary
	slow string
	done chan struct{} // closed when the slow search ends
}

func (p *slowPages) Search(ctx context.Context, q search.Query, offset, limit int) (search.Page, error) {
	if q.String() == p.slow {
		time.Sleep(300 * time.Millisecond)
		defer close(p.done)
	}
	return p.memLibrary.Search(ctx, q, offset, limit)
}

// TestRenderDoesNotWait: the last keystroke's grid does not wait for an
// earlier keystroke's slow search, whose result is then dropped.
func TestRenderDoesNotWait(t *testing.T) {
	sl := &viewSlack{}
	lib := &slowPages{memLibrary: newMemLibrary(3), slow: "x", done: make(chan struct{})}
	b := pickerBot(t, sl, lib, "k")
	meta := pickerMeta{User: "U1", Kind: pickAnywhere, Query: "x"}
	go b.render(context.Background(), "V1", renderJob{meta: meta, seq: 1})
	time.Sleep(20 * time.Millisecond)
	meta.Query = "xy"
	start := time.Now()
	b.render(context.Background(), "V1", renderJob{meta: meta, seq: 2})
	for len(sl.queries(t, b)) == 0 && time.Since(start) < time.Second {
		time.Sleep(time.Millisecond)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("the newer grid took %v: it waited for the older search", d)
	}
	<-lib.done
	b.background.closeAndWait()
	if got := sl.queries(t, b); strings.Join(got, ",") != "xy" {
		t.Errorf("updates for %q, want xy only", got)
	}
}
