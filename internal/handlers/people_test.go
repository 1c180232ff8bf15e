package handlers

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/slack-go/slack"
)

// peopleSlack answers users.info for U1, fails for anyone else, and
// counts the calls.
type peopleSlack struct {
	stubSlack
	calls atomic.Int32
}

func (s *peopleSlack) GetUserInfoContext(_ context.Context, user string, _ ...slack.GetUserInfoOption) (*slack.User, error) {
	s.calls.Add(1)
	if user != "U1" {
		return nil, slack.SlackErrorResponse{Err: "missing_scope"}
	}
	u := &slack.User{ID: "U1", Name: "ana", RealName: "Ana Lima"}
	u.Profile.DisplayName = "Ana"
	u.Profile.Image48 = "https://avatars.example.com/ana-48.png?s={48}" // Block Kit wants it encoded
	return u, nil
}

func TestSenderIsLookedUpOnce(t *testing.T) {
	sl := &peopleSlack{}
	b, err := New(withLibrary(stubStore{}, Config{Slack: sl, Logger: slog.New(slog.DiscardHandler)}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		if got := b.sender(ctx, "U1", "ana"); got != (sender{Name: "Ana", Avatar: "https://avatars.example.com/ana-48.png?s=%7B48%7D"}) {
			t.Fatalf("sender(U1) = %+v", got)
		}
	}
	// Slack cannot say: the handle names them, and Slack is not asked at
	// every send.
	for range 3 {
		if got := b.sender(ctx, "U2", "ben"); got != (sender{Name: "ben"}) {
			t.Fatalf("sender(U2) = %+v", got)
		}
	}
	if n := sl.calls.Load(); n != 2 {
		t.Errorf("%d users.info calls, want 2 (one per person)", n)
	}
}
