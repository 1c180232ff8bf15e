package handlers

// Keeping an open picker up to date as the user types: one block_actions
// per keystroke, each acked at once, and at most one views.update at a
// time per view, always for the latest query.
//
// Slack sends an action for every character entered or removed, and
// views.update is limited per workspace (Tier 4: about 100 a minute,
// shared by every user). Each keystroke's worker searches and builds its
// view at once, in parallel with the others (so the last keystroke never
// waits for an earlier one's search), then hands it to its view's one
// renderer, which makes the updates one at a time: a view handed over
// while an update is under way replaces the one to show next, so the
// renderer always shows the latest, never an older one after a newer one.
// "Latest" is by the action's action_ts, Slack's clock, not by arrival:
// workers take keystrokes in parallel, so an older one can reach the view
// after a newer one, and is then dropped (before its search when it can
// be); a view's latest action_ts is kept for a while after its last
// render for that reason. Every update waits for a token from the
// workspace's bucket, and is given up, the token returned, when a newer
// view arrived meanwhile. Each update passes the newest hash the bot knows
// for the view (from its own last update, or the payload), so that an
// update made meanwhile by someone else (another replica) is not
// overwritten: on hash_conflict the render is dropped, and the next
// keystroke's payload brings the new hash; nothing loops.

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// Tier 4 allows "100+" calls a minute per workspace; the bot keeps to 100
// with a burst for someone typing a word.
const (
	viewUpdatesPerMinute = 100
	viewUpdateBurst      = 20
	// renderWait bounds how long a render waits for a token: the user
	// has typed on, or given up, by then.
	renderWait = 10 * time.Second
	// renderMemory is how long a view's latest action_ts is kept after its
	// last render, so that a keystroke delayed that long is still known
	// to be stale.
	renderMemory = 2 * time.Minute
)

// bucket is a token bucket: rate tokens a second, at most burst saved.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(perMinute, burst int) *bucket {
	return &bucket{rate: float64(perMinute) / 60, burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

// refund gives back a token taken and not used.
func (b *bucket) refund() {
	b.mu.Lock()
	b.tokens = min(b.burst, b.tokens+1)
	b.mu.Unlock()
}

// wait takes a token, waiting for one until ctx ends.
func (b *bucket) wait(ctx context.Context) error {
	for {
		b.mu.Lock()
		now := time.Now()
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
		if b.tokens >= 1 {
			b.tokens--
			b.mu.Unlock()
			return nil
		}
		need := time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
		b.mu.Unlock()
		t := time.NewTimer(need)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// renderJob is what a view should show: a picker's state, a note, or
// that it cannot be trusted.
type renderJob struct {
	meta   pickerMeta
	note   md
	broken bool
	hash   string // the view's hash in the payload that asked for it
	seq    int64  // the action's action_ts in µs (0: unknown, never stale)
}

// built is a view ready to show, for the job it was built for.
type built struct {
	view   slack.ModalViewRequest
	hash   string
	seq    int64
	broken bool
}

// viewRender is one view's renderer state. Guarded by renders.mu.
type viewRender struct {
	next    *built // the latest view not yet shown; nil when none
	running bool
	hash    string    // the hash of the bot's own last update of the view
	seq     int64     // the latest action_ts that reached the view
	idle    time.Time // when the view last saw an action or an update
}

// renders keeps the views being rendered, and for renderMemory after
// their last action, the latest action_ts of each.
type renders struct {
	mu     sync.Mutex
	views  map[string]*viewRender
	swept  time.Time // when views was last swept of idle views
	bucket *bucket
}

// render shows j in viewID: it builds the view now (searching, on the
// caller's goroutine and ctx), unless a newer action has reached the
// view, and hands it to the view's renderer, started here if none runs,
// which updates the view.
func (b *Bot) render(ctx context.Context, viewID string, j renderJob) {
	if !b.renders.arrive(viewID, j.seq) {
		b.log.Debug("dropping a stale picker action", "view_id", viewID, "query", clip(j.meta.Query, 100))
		return
	}
	view := b.pickerModal(b.pickerJobView(ctx, j))
	rs := &b.renders
	rs.mu.Lock()
	vr := rs.views[viewID]
	if vr == nil || (j.seq != 0 && j.seq < vr.seq) {
		// Swept meanwhile (a search longer than renderMemory), or a newer
		// action came while this one searched.
		rs.mu.Unlock()
		return
	}
	vr.next = &built{view: view, hash: j.hash, seq: j.seq, broken: j.broken}
	if vr.running {
		rs.mu.Unlock()
		return
	}
	if !b.background.start() {
		vr.next = nil
		rs.mu.Unlock()
		b.log.Info("not updating a picker while shutting down", "view_id", viewID)
		return
	}
	vr.running = true
	rs.mu.Unlock()
	go func() {
		defer b.background.done()
		b.renderLoop(viewID, vr)
	}()
}

// arrive notes that an action with seq reached viewID, and reports
// whether it is the latest so far.
func (rs *renders) arrive(viewID string, seq int64) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.sweepLocked(time.Now())
	vr := rs.views[viewID]
	if vr == nil {
		vr = &viewRender{}
		rs.views[viewID] = vr
	}
	vr.idle = time.Now() // an action is activity: not swept before it is shown
	if seq != 0 && seq < vr.seq {
		return false
	}
	vr.seq = max(vr.seq, seq)
	return true
}

// sweepLocked forgets, now and then, the views idle for renderMemory.
// rs.mu must be held.
func (rs *renders) sweepLocked(now time.Time) {
	if now.Sub(rs.swept) < renderMemory/4 {
		return
	}
	rs.swept = now
	for id, vr := range rs.views {
		if !vr.running && now.Sub(vr.idle) > renderMemory {
			delete(rs.views, id)
		}
	}
}

// actionSeq reads an action_ts ("1712345678.123456") as microseconds;
// anything else is 0.
func actionSeq(ts string) int64 {
	sec, frac, ok := strings.Cut(ts, ".")
	s, err1 := strconv.ParseInt(sec, 10, 64)
	if !ok || err1 != nil || s < 0 || s > 1<<40 || len(frac) == 0 || len(frac) > 9 {
		return 0
	}
	frac = (frac + "000000")[:6]
	us, err2 := strconv.ParseInt(frac, 10, 64)
	if err2 != nil || us < 0 {
		return 0
	}
	return s*1_000_000 + us
}

// renderLoop shows vr's latest view until none is left.
func (b *Bot) renderLoop(viewID string, vr *viewRender) {
	rs := &b.renders
	for {
		rs.mu.Lock()
		j := vr.next
		vr.next = nil
		if j == nil {
			vr.running, vr.idle = false, time.Now()
			rs.mu.Unlock()
			return
		}
		rs.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
		wctx, wcancel := context.WithTimeout(ctx, renderWait)
		err := rs.bucket.wait(wctx)
		wcancel()
		if err != nil {
			cancel()
			b.log.Warn("gave up updating a picker: no views.update budget left", "view_id", viewID)
			continue
		}
		rs.mu.Lock()
		hash := vr.hash
		if hash == "" {
			hash = j.hash
		}
		superseded := vr.next != nil
		rs.mu.Unlock()
		if superseded {
			rs.bucket.refund()
			cancel()
			continue
		}
		newHash, conflict := b.updatePicker(ctx, viewID, hash, j.view, j.broken)
		cancel()
		rs.mu.Lock()
		switch {
		case conflict:
			// Someone else updated the view: their hash comes with the
			// next keystroke; this view is dropped.
			vr.hash = ""
		case newHash != "":
			vr.hash = newHash
		}
		rs.mu.Unlock()
	}
}

// pickerJobView works out what j shows.
func (b *Bot) pickerJobView(ctx context.Context, j renderJob) pickerView {
	if j.broken {
		return pickerView{meta: j.meta, broken: true}
	}
	return b.pickerContent(ctx, j.meta, j.note)
}

// updatePicker shows view in viewID, passing hash. It returns the view's
// new hash, or reports that the hash was stale.
func (b *Bot) updatePicker(ctx context.Context, viewID, hash string, view slack.ModalViewRequest, broken bool) (string, bool) {
	resp, err := b.slack.UpdateViewContext(ctx, view, "", hash, viewID)
	if slackError(err) == "invalid_arguments" && !broken {
		// Most likely an image Slack no longer has: show the names.
		b.log.Warn("Slack refused a picker view; showing it without images", "view_id", viewID, "err", err)
		view.Blocks.BlockSet = withoutImages(view.Blocks.BlockSet)
		resp, err = b.slack.UpdateViewContext(ctx, view, "", hash, viewID)
	}
	switch {
	case err == nil:
		return resp.Hash, false
	case slackError(err) == "hash_conflict":
		b.log.Info("a picker was updated meanwhile; dropping an older render", "view_id", viewID)
		return "", true
	case slackError(err) == "not_found":
		return "", false // closed meanwhile
	}
	b.log.Warn("cannot update a picker", "view_id", viewID, "err", b.wrapSlack("views.update", err))
	return "", false
}

// pickerAction reads the picker a block_actions came from: the view, and
// its metadata checked against the user. A view that cannot be trusted
// is shown msgPickerBroken (ok false).
func (b *Bot) pickerAction(ctx context.Context, r *request) (pickerMeta, bool) {
	v := r.ic.View
	if v.ID == "" {
		// Not from a view at all: a forged payload, or a button copied
		// into a message.
		b.log.Warn("picker action outside a picker", "envelope_id", r.env.ID, "user", r.user, "action", r.action.ActionID)
		if r.to.reachable() {
			b.notice(ctx, r.to, replyNew, msgBadButton)
		}
		return pickerMeta{}, false
	}
	meta, err := b.decodeMeta(v.PrivateMetadata, r.user)
	if err != nil {
		b.log.Warn("picker with bad metadata", "envelope_id", r.env.ID, "user", r.user, "view_id", v.ID, "action", r.action.ActionID)
		b.render(ctx, v.ID, renderJob{broken: true, hash: v.Hash})
		return meta, false
	}
	return meta, true
}

// pickerTyped: a keystroke in the search box shows the first page of
// what it now says.
func (b *Bot) pickerTyped(ctx context.Context, r *request) error {
	meta, ok := b.pickerAction(ctx, r)
	if !ok {
		return nil
	}
	meta.Query, meta.Page = r.action.Value, 0
	b.render(ctx, r.ic.View.ID, renderJob{meta: meta, hash: r.ic.View.Hash, seq: actionSeq(r.action.ActionTs)})
	return nil
}

// pickerPage: Previous and Next show another page of the query shown.
func (b *Bot) pickerPage(ctx context.Context, r *request) error {
	meta, ok := b.pickerAction(ctx, r)
	if !ok {
		return nil
	}
	page, err := strconv.Atoi(r.action.Value)
	if err != nil || page < 0 || page > maxPickerPage {
		b.log.Warn("bad picker page button", "user", r.user, "value", clip(r.action.Value, 100))
		page = 0
	}
	meta.Page = page
	b.render(ctx, r.ic.View.ID, renderJob{meta: meta, hash: r.ic.View.Hash, seq: actionSeq(r.action.ActionTs)})
	return nil
}
