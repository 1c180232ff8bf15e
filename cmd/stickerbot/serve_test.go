package main

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/config"
	"github.com/stickerbot/stickerbot/internal/slacksim"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

// breakingListener is a real listener that can be made to fail the way a
// lost listening socket does: Accept returns an error that is not
// temporary, so http.Server.Serve gives up.
type breakingListener struct {
	net.Listener
	once   sync.Once
	broken chan struct{}
}

func (l *breakingListener) Break() {
	l.once.Do(func() { close(l.broken); l.Listener.Close() })
}

func (l *breakingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	select {
	case <-l.broken:
		if c != nil {
			c.Close()
		}
		return nil, errors.New("accept: the listening socket is gone")
	default:
	}
	return c, err
}

// TestHTTPServeFailureExits: in HTTP mode the HTTP server is the bot's
// only ingress; when it fails the bot exits with an error (non-zero)
// instead of running on, deaf.
func TestHTTPServeFailureExits(t *testing.T) {
	t.Parallel()
	fs := slacksim.New(t)
	db := testdb.New(t)
	addr := freeLoopbackAddr(t)
	cfg, err := config.Load(envOf(map[string]string{
		"SLACK_MODE": "http", "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
		"SLACK_BOT_TOKEN": fs.BotToken(), "SLACK_API_URL": fs.APIURL(),
		"DATABASE_URL": db.URL, "HTTP_ADDR": addr,
	}))
	if err != nil {
		t.Fatal(err)
	}
	var ln *breakingListener
	listen := func(network, addr string) (net.Listener, error) {
		inner, err := net.Listen(network, addr)
		if err != nil {
			return nil, err
		}
		ln = &breakingListener{Listener: inner, broken: make(chan struct{})}
		return ln, nil
	}
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		done <- runBot(ctx, cfg, newLogger(logs, cfg.LogLevel, cfg.LogFormat), listen)
		close(exited)
	}()
	rctx, rcancel := context.WithTimeout(ctx, 20*time.Second)
	defer rcancel()
	waitReady(t, rctx, "http://"+addr, exited)
	ln.Break()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "HTTP") {
			t.Fatalf("runBot returned %v after its HTTP server failed; logs:\n%s", err, logs)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the bot kept running without its HTTP server; logs:\n%s", logs)
	}
}
