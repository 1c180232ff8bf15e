package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/config"
	"github.com/stickerbot/stickerbot/internal/handlers"
	"github.com/stickerbot/stickerbot/internal/httpmode"
	"github.com/stickerbot/stickerbot/internal/metrics"
	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/socket"
	"github.com/stickerbot/stickerbot/internal/sticker"
	"github.com/stickerbot/stickerbot/internal/store"
)

// drainTimeout bounds how long shutdown waits for in-flight work.
const drainTimeout = 25 * time.Second

// claimTTL outlasts Slack's last redelivery of an event (about five
// minutes after the first) with room to spare.
const claimTTL = time.Hour

// runBot runs the bot until ctx is done, then shuts down in order: stop
// taking envelopes, finish queued work, close the database. netListen
// (net.Listen) opens HTTP_ADDR.
func runBot(ctx context.Context, cfg config.Config, logger *slog.Logger, netListen func(network, addr string) (net.Listener, error)) error {
	// A fatal Socket Mode error (a rejected app token) stops everything
	// else too, so the process exits and its supervisor can say why.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	// The tokens first: a wrong one is the likeliest first-run mistake,
	// and it is said at once, even while the database is still starting.
	api := newSlackClient(cfg, cfg.BotToken.Reveal(), cfg.AppToken.Reveal())
	who, err := checkBotToken(ctx, api, logger)
	if err != nil {
		return stoppedWhileStarting(ctx, err, logger)
	}
	logger.Info("Slack accepted the bot token", "team", who.Team, "team_id", who.TeamID, "bot_user", who.User, "bot_user_id", who.UserID)
	usable := true
	if cfg.LibraryChannel != "" {
		usable = checkLibraryChannel(ctx, api, cfg.LibraryChannel, logger)
	}

	st, closeStore, applied, err := openStore(ctx, cfg.DatabaseURL, logger, 0)
	if err != nil {
		return stoppedWhileStarting(ctx, err, logger)
	}
	defer closeStore()
	if len(applied) > 0 {
		logger.Info("applied migrations", "migrations", applied)
	}

	// Search runs in memory: the index loads before the bot takes any
	// work (and before /readyz can answer), then follows the database.
	lib := search.NewLibrary(st, logger)
	if err := loadIndex(ctx, lib); err != nil {
		return err
	}

	m := metrics.New(buildVersion(version))
	if err := m.RegisterStickerCount(st.Count); err != nil {
		return err
	}
	written := libraryStore(st, lib)
	bot, err := handlers.New(handlers.Config{
		Search:   lib,
		Library:  written,
		Claims:   st,
		Images:   written,
		Shelves:  st,
		Activity: written,
		StateKey: stateKey(cfg.BotToken.Reveal()),
		Slack:    api,
		Logger:   logger,
		Admins:   cfg.Admins,
		Observer: m,

		LibraryChannel:       cfg.LibraryChannel,
		LibraryChannelUsable: func() bool { return usable },
		SyncPace:             cfg.ImageSyncPace,
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
	firstHello := make(chan struct{})
	if cfg.Mode == config.ModeSocket {
		mgr, err = socket.New(socket.Config{
			API:         api,
			Dispatcher:  bot,
			Logger:      logger,
			Connections: cfg.SocketConnections,
			Observer:    &helloObserver{Metrics: m, hello: firstHello},
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
	var srvErr error // set before srvDone closes
	if cfg.HTTPAddr != "" {
		srv, err := listen(netListen, cfg.HTTPAddr, mux)
		if err != nil {
			return err
		}
		logger.Info("serving HTTP", "addr", srv.addr, "slack_requests", cfg.Mode == config.ModeHTTP)
		// A failed server stops the bot: in HTTP mode it is the only
		// ingress, and in either mode /readyz would go with it.
		go func() { srvErr = srv.serve(ctx, stop); close(srvDone) }()
	} else {
		close(srvDone)
	}

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	workDone := make(chan struct{})
	go func() { bot.Run(workCtx); close(workDone) }()
	var wg sync.WaitGroup
	wg.Go(func() { lib.Run(ctx) })
	wg.Go(func() {
		st.Listen(ctx, lib.Changed, func(err error) {
			logger.Warn("not notified of library changes; polling every "+search.PollInterval.String()+" meanwhile", "err", err)
		})
	})
	wg.Go(func() { janitor(ctx, st, logger) })
	wg.Go(func() { bot.SyncImages(ctx) }) // uploaded images get (back) their Slack copy

	var runErr error
	if mgr != nil {
		// Running means Slack took the app token too: its first
		// connection said hello. Until then the manager retries an
		// unreachable Slack, and stops on a token Slack refuses.
		runDone := make(chan error, 1)
		go func() { runDone <- mgr.Run(ctx) }()
		select {
		case <-firstHello:
			logger.Info("stickerbot running", "mode", cfg.Mode, "connections", cfg.SocketConnections, "admins", len(cfg.Admins), "version", buildVersion(version))
			runErr = <-runDone
		case runErr = <-runDone:
		}
		runErr = appTokenMistake(runErr)
		stop()
	} else {
		logger.Info("stickerbot running", "mode", cfg.Mode, "admins", len(cfg.Admins), "version", buildVersion(version))
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
	if srvErr != nil {
		return srvErr
	}
	logger.Info("stickerbot stopped")
	return nil
}

// stateKey is the key that signs what the bot keeps in views (a picker's
// private_metadata). It is derived from the bot token, which every
// replica shares and a restart keeps, so any of them trusts a picker
// opened by another; the token itself never leaves the process.
func stateKey(botToken string) []byte {
	h := hmac.New(sha256.New, []byte(botToken))
	h.Write([]byte("stickerbot view state v1"))
	return h.Sum(nil)
}

// stoppedWhileStarting is nil when err only says that the bot was told
// to stop (SIGTERM) while it waited for Slack or its database: stopping
// then is no failure.
func stoppedWhileStarting(ctx context.Context, err error, logger *slog.Logger) error {
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		logger.Info("stickerbot stopped before it was running")
		return nil
	}
	return err
}

// helloObserver is the bot's metrics, and closes hello when the first
// Socket Mode connection is up.
type helloObserver struct {
	*metrics.Metrics
	hello chan struct{}
	once  sync.Once
}

func (o *helloObserver) ConnectionsOpen(n int) {
	o.Metrics.ConnectionsOpen(n)
	if n > 0 {
		o.once.Do(func() { close(o.hello) })
	}
}

// loadIndex loads the search index with the garbage collector kept
// tight: indexing a library makes a lot of short-lived garbage (every row
// read), and with the default GOGC the heap would grow to twice the
// build's live data, a peak the process's memory never comes down from
// in the eyes of a container's limit.
func loadIndex(ctx context.Context, lib *search.Library) error {
	defer debug.SetGCPercent(debug.SetGCPercent(20))
	err := lib.Load(ctx)
	runtime.GC()
	debug.FreeOSMemory()
	return err
}

// library is the store with searches answered by the in-process index,
// which takes in this replica's own writes as soon as they commit (other
// replicas' arrive by notification).
type library struct {
	*store.Store
	search *search.Library
}

func libraryStore(st *store.Store, lib *search.Library) library {
	return library{Store: st, search: lib}
}

func (l library) Save(ctx context.Context, id int64, d sticker.Draft) (sticker.Sticker, error) {
	st, err := l.Store.Save(ctx, id, d)
	l.refresh(ctx)
	return st, err
}

func (l library) Delete(ctx context.Context, id int64) (sticker.Sticker, error) {
	st, err := l.Store.Delete(ctx, id)
	l.refresh(ctx)
	return st, err
}

func (l library) SetSlackFile(ctx context.Context, id int64, fileID string, sum []byte) (sticker.Sticker, error) {
	st, err := l.Store.SetSlackFile(ctx, id, fileID, sum)
	l.refresh(ctx)
	return st, err
}

func (l library) RecordSend(ctx context.Context, snd sticker.Send) error {
	err := l.Store.RecordSend(ctx, snd)
	l.refresh(ctx)
	return err
}

// MarkRemoved takes a send back, and with it the use it counted, which
// ranks searches.
func (l library) MarkRemoved(ctx context.Context, key, by string) error {
	err := l.Store.MarkRemoved(ctx, key, by)
	l.refresh(ctx)
	return err
}

// refresh brings the index up to date after a write. It may fail (the
// database went away after the write) or give up waiting (behind a reload
// of the whole library): the index's own polling catches up then.
func (l library) refresh(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	_ = l.search.Refresh(ctx)
}

// newSlackClient returns the Web API client: every call (apps.connections.open
// included) goes to cfg.APIURL; rate limits, 5xx and network errors are
// retried a bounded number of times.
func newSlackClient(cfg config.Config, botToken, appToken string) *slack.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// A burst of replies reuses connections: as many as the workers that
	// call Slack at once. More idle ones only held memory, and under load
	// made replies slower (docs/benchmarks.md, "The bot under load").
	transport.MaxIdleConnsPerHost = 16
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

// janitor forgets old redelivery claims and deletions now and then.
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
			if n, err := st.PruneTombstones(ctx); err != nil {
				logger.Warn("cannot prune the record of deleted stickers", "err", err)
			} else if n > 0 {
				logger.Debug("pruned the record of deleted stickers", "count", n)
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

func listen(netListen func(network, addr string) (net.Listener, error), addr string, h http.Handler) (*server, error) {
	ln, err := netListen("tcp", addr)
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
// soon as Shutdown starts), so nothing they queue is left unprocessed. If
// the server fails first, serve calls failed, which must end ctx, and
// returns the failure.
func (s *server) serve(ctx context.Context, failed func()) error {
	shut := make(chan struct{})
	go func() {
		defer close(shut)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.srv.Shutdown(sctx)
	}()
	err := s.srv.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	} else {
		err = fmt.Errorf("HTTP server on %s failed: %w", s.addr, err)
		failed()
	}
	<-shut
	return err
}
