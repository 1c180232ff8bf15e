package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/stickerbot/stickerbot/internal/config"
	"github.com/stickerbot/stickerbot/internal/pgcluster"
	"github.com/stickerbot/stickerbot/internal/playground"
	"github.com/stickerbot/stickerbot/internal/playground/sample"
	"github.com/stickerbot/stickerbot/internal/slacksim"
	"github.com/stickerbot/stickerbot/internal/store"
)

// errNoDatabase is the one line the playground says when it has no
// database and cannot start one.
var errNoDatabase = errors.New("the playground needs PostgreSQL: set DATABASE_URL to a PostgreSQL URL, " +
	"or install PostgreSQL's server programs (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql) " +
	"and it starts a throwaway one; or run docker compose --profile playground up")

// launchCluster starts a throwaway PostgreSQL (pgcluster.Launch; tests
// pass another).
type launchCluster func(ctx context.Context) (*pgcluster.Cluster, error)

// playgroundDatabase returns the playground's database: DATABASE_URL when
// set, otherwise a throwaway cluster that done removes. Without
// PostgreSQL's server programs it is a usageError saying what to install
// or set.
func playgroundDatabase(ctx context.Context, pc config.Playground, launch launchCluster, logger *slog.Logger) (url config.Secret, done func(), err error) {
	if pc.DatabaseURL != "" {
		return pc.DatabaseURL, func() {}, nil
	}
	logger.Info("DATABASE_URL is not set: starting a throwaway PostgreSQL, removed when the playground stops")
	c, err := launch(ctx)
	if errors.Is(err, pgcluster.ErrNoServer) {
		return "", nil, usageError{errNoDatabase}
	}
	if err != nil {
		return "", nil, fmt.Errorf("start a throwaway PostgreSQL (or set DATABASE_URL): %w", err)
	}
	return config.Secret(c.URL()), c.Close, nil
}

// loadSample imports the playground's sample library into an empty
// library, and leaves a library with stickers alone. It returns how many
// stickers it added.
func loadSample(ctx context.Context, st *store.Store) (int, error) {
	n, err := st.Count(ctx)
	if err != nil || n > 0 {
		return 0, err
	}
	drafts, err := sample.Drafts()
	if err != nil {
		return 0, err
	}
	res, err := st.Import(ctx, drafts)
	if err != nil {
		return 0, fmt.Errorf("load the sample library: %w", err)
	}
	return res.Added, nil
}

// The playground's workspace: three people (one of them a sticker admin),
// a channel with the bot, one without it, the library channel the bot
// keeps its copies of uploaded images in, and each person's DM with the
// bot.
const (
	playgroundTeam    = "Playground"
	playgroundAdmin   = "U0ANA"
	playgroundLibrary = "C0LIBRARY"
)

var playgroundUsers = []playground.User{
	{ID: playgroundAdmin, Name: "ana", RealName: "Ana Lima", Admin: true},
	{ID: "U0BEN", Name: "ben", RealName: "Ben Okafor"},
	{ID: "U0CHLOE", Name: "chloe", RealName: "Chloé Martin"},
}

func playgroundChannels() []slacksim.Channel {
	var all []string
	for _, u := range playgroundUsers {
		all = append(all, u.ID)
	}
	chans := []slacksim.Channel{
		{ID: "C0GENERAL", Name: "general", BotMember: true, Members: all, Topic: "stickerbot is here: try /sticker cat, or @stickerbot party"},
		{ID: "C0RANDOM", Name: "random", Members: all, Topic: "stickerbot is not in this channel: /sticker still works, @stickerbot does not"},
		{ID: playgroundLibrary, Name: "sticker-library", BotMember: true, Members: all, Topic: "Where stickerbot keeps its copies of uploaded images (STICKER_LIBRARY_CHANNEL)"},
	}
	for _, u := range playgroundUsers {
		chans = append(chans, slacksim.Channel{ID: "D" + u.ID[1:], Name: u.ID, BotMember: true, Members: []string{u.ID}})
	}
	return chans
}

// randomToken makes the simulator's tokens: fresh each run, shaped like
// Slack's so the bot's own checks accept them.
func randomToken(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// runPlayground runs the real bot, unchanged (its Socket Mode client, its
// handlers, its database), against a simulated Slack, and serves the page
// people use that Slack through, until ctx is done.
func runPlayground(parent context.Context, pc config.Playground, launch launchCluster, logger *slog.Logger, stdout io.Writer) error {
	ctx, stop := context.WithCancel(parent)
	defer stop()
	dbURL, dropDB, err := playgroundDatabase(ctx, pc, launch, logger)
	if err != nil {
		return err
	}
	defer dropDB()
	st, closeStore, _, err := openStore(ctx, dbURL, logger, 0)
	if err != nil {
		return err
	}
	n, err := loadSample(ctx, st)
	closeStore()
	if err != nil {
		return err
	}
	if n > 0 {
		logger.Info("loaded the sample library", "stickers", n)
	}

	app := playground.ManifestApp()
	var users []slacksim.User
	for _, u := range playgroundUsers {
		users = append(users, slacksim.User{ID: u.ID, Name: u.Name, RealName: u.RealName})
	}
	botToken, appToken := randomToken("xoxb-playground-"), randomToken("xapp-1-playground-")
	sim, err := slacksim.Start(
		slacksim.WithBotToken(botToken), slacksim.WithAppToken(appToken),
		slacksim.WithUsers(users...), slacksim.WithChannels(playgroundChannels()...),
		slacksim.WithApp(playground.SimulatorApp(app)),
		slacksim.WithLogger(logger.With("component", "slack-simulator")),
	)
	if err != nil {
		return fmt.Errorf("start the Slack simulator: %w", err)
	}
	defer sim.Close()
	ws := playground.NewSimulated(sim, playgroundTeam, app, playgroundUsers)

	cfg, err := config.Load(func(k string) string {
		return map[string]string{
			"SLACK_BOT_TOKEN": botToken, "SLACK_APP_TOKEN": appToken, "SLACK_API_URL": sim.APIURL(),
			"DATABASE_URL": dbURL.Reveal(), "STICKER_ADMINS": playgroundAdmin, "STICKER_LIBRARY_CHANNEL": playgroundLibrary,
			"LOG_LEVEL": pc.LogLevel.String(), "LOG_FORMAT": pc.LogFormat,
		}[k]
	})
	if err != nil {
		return fmt.Errorf("playground: configure the bot: %w", err)
	}
	// The simulator has no rate limits: the sample's images get their
	// Slack copies (and become searchable) at once, not over 20 seconds.
	cfg.ImageSyncPace = 5 * time.Millisecond
	ln, err := net.Listen("tcp", pc.Addr)
	if err != nil {
		return usageError{fmt.Errorf("PLAYGROUND_ADDR is %s, where the page cannot listen (%w): is another playground running? Set PLAYGROUND_ADDR=127.0.0.1:3001", pc.Addr, err)}
	}
	srv := &server{ln: ln, addr: ln.Addr().String(), srv: &http.Server{
		Handler:           playground.New(ws, logger.With("component", "playground")),
		ReadHeaderTimeout: 5 * time.Second,
		// No write timeout: the event stream stays open, until the
		// playground stops (its requests end with ctx).
		BaseContext: func(net.Listener) context.Context { return ctx },
	}}
	if host, _, _ := net.SplitHostPort(srv.addr); !net.ParseIP(host).IsLoopback() {
		logger.Warn("the playground listens beyond this host: anyone who reaches it can act as any of its users", "addr", srv.addr)
	}
	srvDone := make(chan struct{})
	go func() {
		if err := srv.serve(ctx, stop); err != nil {
			logger.Error("the playground's page server failed", "err", err)
		}
		close(srvDone)
	}()
	defer func() { stop(); <-srvDone }()

	botDone := make(chan error, 1)
	go func() { botDone <- runBot(ctx, cfg, logger, net.Listen) }()
	// The URL goes out once the bot holds its connections, so the first
	// command finds it.
	ready, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for len(sim.OpenConnections()) < cfg.SocketConnections {
		select {
		case err := <-botDone:
			return err
		case <-ready.Done():
			// Stopped before it was ready, or stuck: either way the bot
			// stops before its database goes.
			stop()
			err := <-botDone
			if parent.Err() != nil {
				return err
			}
			return fmt.Errorf("playground: the bot did not connect to the Slack simulator within 30s (%v)", err)
		case <-sim.Changed():
		}
	}
	fmt.Fprintf(stdout, "stickerbot playground: open %s\n", pageURL(srv.addr))
	return <-botDone
}

// pageURL is the URL people open for the page on addr.
func pageURL(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
