package envelope

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuffer collects log output from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// funcDispatcher answers with fn; quick says what Quick reports.
type funcDispatcher struct {
	quick bool
	fn    func(ctx context.Context, env *Envelope) Ack
}

func (d funcDispatcher) Dispatch(ctx context.Context, env *Envelope) Ack { return d.fn(ctx, env) }
func (d funcDispatcher) Quick(*Envelope) bool                            { return d.quick }

func newCaller(d Dispatcher) (*Caller, *logBuffer) {
	lb := &logBuffer{}
	return NewCaller(d, slog.New(slog.NewTextHandler(lb, nil))), lb
}

func TestEncode(t *testing.T) {
	for _, tt := range []struct {
		name string
		ack  Ack
		want string // "" for a bare ack
	}{
		{"nil", nil, ""},
		{"malformed", Malformed, ""},
		{"null", (*struct{})(nil), ""},
		{"message", map[string]string{"text": "hi"}, `{"text":"hi"}`},
	} {
		got, err := Encode(tt.ack)
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: Encode = %s, %v; want %s", tt.name, got, err, tt.want)
		}
	}
	if _, err := Encode(map[string]any{"f": func() {}}); err == nil {
		t.Error("Encode of a func succeeded")
	}
	if !IsMalformed(Malformed) || IsMalformed(nil) || IsMalformed(map[string]any{}) {
		t.Error("IsMalformed")
	}
}

func TestCallRecoversPanics(t *testing.T) {
	for _, quick := range []bool{true, false} {
		c, logs := newCaller(funcDispatcher{quick: quick, fn: func(context.Context, *Envelope) Ack { panic("boom") }})
		ack := c.Call(context.Background(), &Envelope{Kind: Interactive, ID: "e1"}, time.Now().Add(time.Second))
		if ack != nil {
			t.Errorf("quick=%v: ack %#v after a panic, want a bare ack", quick, ack)
		}
		if out := logs.String(); !strings.Contains(out, "panicked") || !strings.Contains(out, "e1") || !strings.Contains(out, "boom") {
			t.Errorf("quick=%v: log %q", quick, out)
		}
	}
}

// TestCallBudgetsOnlySlowEnvelopes: a Quick envelope is dispatched as it
// is; any other gets the deadline.
func TestCallBudgetsOnlySlowEnvelopes(t *testing.T) {
	for _, quick := range []bool{true, false} {
		c, _ := newCaller(funcDispatcher{quick: quick, fn: func(ctx context.Context, env *Envelope) Ack {
			_, ok := ctx.Deadline()
			return ok
		}})
		if got := c.Call(context.Background(), &Envelope{}, time.Now().Add(time.Second)); got != !quick {
			t.Errorf("quick=%v: deadline set = %v", quick, got)
		}
	}
}

func TestWithinGivesUpAtTheDeadline(t *testing.T) {
	release := make(chan struct{})
	c, logs := newCaller(funcDispatcher{fn: func(ctx context.Context, env *Envelope) Ack {
		<-release // ignores ctx
		return "too late"
	}})
	start := time.Now()
	ack := c.Call(context.Background(), &Envelope{ID: "slow"}, time.Now().Add(50*time.Millisecond))
	if ack != nil {
		t.Errorf("overrun answered %v, want a bare ack", ack)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Call took %v", d)
	}
	if !strings.Contains(logs.String(), "ack budget") {
		t.Errorf("log %q", logs.String())
	}
	if c.Wait(50 * time.Millisecond) {
		t.Error("Wait returned true with a call still running")
	}
	close(release)
	if !c.Wait(time.Second) {
		t.Error("Wait returned false after the call ended")
	}
}
