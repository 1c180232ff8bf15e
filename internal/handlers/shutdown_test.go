package handlers

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/envelope"
)

// countingSlack counts the Web API calls made through it, and holds each
// until release is closed (nil: at once).
type countingSlack struct {
	stubSlack
	calls   *atomic.Int64
	release chan struct{}
}

func (s countingSlack) PostMessageContext(ctx context.Context, ch string, o ...slack.MsgOption) (string, string, error) {
	s.calls.Add(1)
	if s.release != nil {
		<-s.release
	}
	return s.stubSlack.PostMessageContext(ctx, ch, o...)
}

func (s countingSlack) PostEphemeralContext(ctx context.Context, ch, u string, o ...slack.MsgOption) (string, error) {
	s.calls.Add(1)
	if s.release != nil {
		<-s.release
	}
	return s.stubSlack.PostEphemeralContext(ctx, ch, u, o...)
}

// TestNoWorkAfterShutdown: once Run has returned, a modal saved in the
// last moments starts no follow-up work (it would use a database pool and
// a Slack client that are being closed); the admin is told to save again.
func TestNoWorkAfterShutdown(t *testing.T) {
	var calls atomic.Int64
	b, err := New(withLibrary(stubStore{}, Config{Slack: countingSlack{calls: &calls}, Logger: slog.New(slog.DiscardHandler), Admins: []string{"UADMIN"}}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.Run(ctx)

	ack := b.Dispatch(context.Background(), submission(t, "UADMIN", viewAdd, `{"c":"C1"}`,
		map[string]string{"name": "late", "image_url": "https://x.example/a.png"}))
	time.Sleep(200 * time.Millisecond) // a follow-up would have called Slack by now
	if n := calls.Load(); n != 0 {
		t.Errorf("%d Web API calls after Run returned", n)
	}
	if ack == nil {
		t.Errorf("a save after shutdown closed the modal as if it had been done")
	}
}

// TestRunJoinsBusyReplies: Run does not return while a "busy" reply,
// sent from a goroutine of its own, is still running.
func TestRunJoinsBusyReplies(t *testing.T) {
	var calls atomic.Int64
	release := make(chan struct{})
	b, err := New(withLibrary(claimedStore{}, Config{Slack: countingSlack{calls: &calls, release: release},
		Logger: slog.New(slog.DiscardHandler), QueueSize: 1}))
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := json.Marshal(map[string]string{"user_id": "U1", "channel_id": "C1", "command": "/sticker", "text": "cat",
		"response_url": "https://hooks.slack.com/x", "trigger_id": "1.2.3"})
	click, _ := json.Marshal(map[string]any{"type": "block_actions", "user": map[string]any{"id": "U1"},
		"channel": map[string]any{"id": "C1"}, "response_url": "https://hooks.slack.com/y", "trigger_id": "2.3.4",
		"actions": []any{map[string]any{"type": "button", "block_id": "b", "action_id": actionCancel, "value": "x"}}})
	ctx := context.Background()
	b.Dispatch(ctx, &envelope.Envelope{Kind: envelope.SlashCommand, ID: "e1", Payload: cmd})  // fills the queue
	b.Dispatch(ctx, &envelope.Envelope{Kind: envelope.Interactive, ID: "e2", Payload: click}) // busy
	waitFor(t, func() bool { return calls.Load() == 1 })

	stopped, stop := context.WithCancel(ctx)
	stop()
	done := make(chan struct{})
	go func() { b.Run(stopped); close(done) }()
	select {
	case <-done:
		t.Errorf("Run returned while a busy reply was still being sent")
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	<-done
}

// claimedStore says every request was handled already.
type claimedStore struct{ stubStore }

func (claimedStore) Claim(context.Context, string) (bool, error) { return false, nil }

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
