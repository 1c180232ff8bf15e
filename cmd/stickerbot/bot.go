package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/config"
	"github.com/stickerbot/stickerbot/internal/handlers"
	"github.com/stickerbot/stickerbot/internal/httpmode"
	"github.com/stickerbot/stickerbot/internal/metrics"
	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/socket"
	"github.com/stickerbot/stickerbot/internal/store"
)

// drainTimeout bounds how long shutdown waits for in-flight work.
const drainTimeout = 25 * time.Second

// claimTTL outlasts Slack's last redelivery of an event (about five
// minutes after the first) with room to spare.
const claimTTL = time.Hour

// runBot runs the bot until ctx is done, then shuts down in order: stop
// taking envelopes, finish queued work, close the database.
func runBot(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	// A fatal Socket Mode error (a rejected app token) stops everything
	// else too, so the process exits and its supervisor can say why.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	st, closeStore, applied, err := openStore(ctx, cfg.DatabaseURL, logger)
	if err != nil {
		return err
	}
	defer closeStore()
	if len(applied) > 0 {
		logger.Info("applied migrations", "migrations", applied)
	}

	m := metrics.New()
	if err := m.RegisterStickerCount(st.Count); err != nil {
		return err
	}
	api := newSlackClient(cfg, cfg.BotToken.Reveal(), cfg.AppToken.Reveal())
	bot, err := handlers.New(handlers.Config{
		Search:   pages{st},
		Library:  st,
		Claims:   st,
		Images:   st,
		Slack:    api,
		Logger:   logger,
		Admins:   cfg.Admins,
		Observer: m,

		LibraryChannel: cfg.LibraryChannel,
		SyncPace:       cfg.ImageSyncPace,
	})
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	var (
		mgr *socket.Manager
		hm  *httpmode.Handler
	)
	connected := func() bool { return true } // HTTP mode has no connections to lose
	if cfg.Mode == config.ModeSocket {
		mgr, err = socket.New(socket.Config{
			API:         api,
			Dispatcher:  bot,
			Logger:      logger,
			Connections: cfg.SocketConnections,
			Observer:    m,
		})
		if err != nil {
			return err
		}
		connected = func() bool { return mgr.Connected() > 0 }
	} else {
		hm, err = httpmode.New(httpmode.Config{
			SigningSecret: cfg.SigningSecret.Reveal(),
			Dispatcher:    bot,
			Logger:        logger.With("transport", "http"),
		})
		if err != nil {
			return fmt.Errorf("http mode: %w", err)
		}
		hm.Register(mux)
	}
	health(mux, st, connected)

	srvDone := make(chan struct{})
	if cfg.HTTPAddr != "" {
		srv, err := listen(cfg.HTTPAddr, mux)
		if err != nil {
			return err
		}
		logger.Info("serving HTTP", "addr", srv.addr, "slack_requests", cfg.Mode == config.ModeHTTP)
		go func() { srv.serve(ctx, logger); close(srvDone) }()
	} else {
		close(srvDone)
	}

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	workDone := make(chan struct{})
	go func() { bot.Run(workCtx); close(workDone) }()
	var wg sync.WaitGroup
	wg.Go(func() { janitor(ctx, st, logger) })
	wg.Go(func() { bot.SyncImages(ctx) }) // uploaded images get (back) their Slack copy

	logger.Info("stickerbot running", "mode", cfg.Mode, "connections", cfg.SocketConnections, "admins", len(cfg.Admins))
	var runErr error
	if mgr != nil {
		runErr = mgr.Run(ctx)
		stop()
	} else {
		<-ctx.Done()
	}

	// No transport takes envelopes any more; let queued work finish.
	<-srvDone
	if hm != nil && !hm.Wait(httpmode.DefaultAckBudget) {
		logger.Warn("shutdown: Slack requests still being handled past their ack budget")
	}
	stopWork()
	select {
	case <-workDone:
	case <-time.After(drainTimeout):
		logger.Warn("shutdown: gave up waiting for in-flight work", "after", drainTimeout.String())
	}
	wg.Wait()
	if runErr != nil {
		return runErr
	}
	logger.Info("stickerbot stopped")
	return nil
}

// pages answers the handlers' searches with the store's, counted.
type pages struct{ *store.Store }

func (p pages) Search(ctx context.Context, q search.Query, offset, limit int) (search.Page, error) {
	return p.Page(ctx, q, offset, limit)
}

// newSlackClient returns the Web API client: every call (apps.connections.open
// included) goes to cfg.APIURL; rate limits, 5xx and network errors are
// retried a bounded number of times.
func newSlackClient(cfg config.Config, botToken, appToken string) *slack.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64 // a burst of replies reuses connections
	retry := slack.DefaultRetryConfig()
	retry.MaxRetries = 3
	retry.RetryAfterDuration = 5 * time.Second
	retry.BackoffInitial = 200 * time.Millisecond
	retry.BackoffMax = 2 * time.Second
	retry.Handlers = append(slack.AllBuiltinRetryHandlers(retry), slack.NewServerErrorRetryHandler(retry))
	return slack.New(botToken,
		slack.OptionAPIURL(cfg.APIURL),
		slack.OptionAppLevelToken(appToken),
		slack.OptionHTTPClient(&http.Client{Transport: transport, Timeout: 15 * time.Second}),
		slack.OptionRetryConfig(retry),
	)
}

// janitor forgets old redelivery claims and unused search words now and then.
func janitor(ctx context.Context, st *store.Store, logger *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := st.ExpireClaims(ctx, claimTTL); err != nil {
				logger.Warn("cannot expire old claims", "err", err)
			} else if n > 0 {
				logger.Debug("expired old claims", "count", n)
			}
			if n, err := st.PruneKeys(ctx); err != nil {
				logger.Warn("cannot prune search words", "err", err)
			} else if n > 0 {
				logger.Debug("pruned unused search words", "count", n)
			}
		}
	}
}

// health adds /healthz (the process is alive) and /readyz (the database
// answers and, in socket mode, a Socket Mode connection is up) to mux.
func health(mux *http.ServeMux, st *store.Store, connected func() bool) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		if !connected() {
			http.Error(w, "no Socket Mode connection", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
}

type server struct {
	ln   net.Listener
	srv  *http.Server
	addr string
}

func listen(addr string, h http.Handler) (*server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on HTTP_ADDR %s: %w", addr, err)
	}
	return &server{ln: ln, addr: ln.Addr().String(), srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
	}}, nil
}

// serve runs until ctx is done, then shuts down with a fresh timeout. It
// returns once in-flight requests have finished (Serve itself returns as
// soon as Shutdown starts), so nothing they queue is left unprocessed.
func (s *server) serve(ctx context.Context, logger *slog.Logger) {
	shut := make(chan struct{})
	go func() {
		defer close(shut)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.srv.Shutdown(sctx)
	}()
	if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("HTTP server failed", "err", err)
	}
	<-shut
}
