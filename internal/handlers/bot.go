// Package handlers is the bot's behaviour: it turns Slack payloads (slash
// commands, button clicks, mentions), whichever transport delivered them,
// into searches and replies.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// Store is what the handlers need from the sticker library.
type Store interface {
	Nth(ctx context.Context, q search.Query, n int) (search.Match, bool, error)
	Get(ctx context.Context, id int64) (sticker.Sticker, error)
	RecordSend(ctx context.Context, id int64, user, channel string) error
	Claim(ctx context.Context, key string) (bool, error)

	// Library management (admins).
	GetByName(ctx context.Context, name string) (sticker.Sticker, error)
	Save(ctx context.Context, id int64, d sticker.Draft) (sticker.Sticker, error)
	Delete(ctx context.Context, id int64) (sticker.Sticker, error)
	List(ctx context.Context, offset, limit int) ([]sticker.Sticker, int64, error)
	Image(ctx context.Context, id int64) (sticker.Image, error)
	SetSlackFile(ctx context.Context, id int64, fileID string, sum []byte) (sticker.Sticker, error)
	StoredImages(ctx context.Context, after int64, limit int) ([]sticker.StoredImage, error)
	Exclusive(ctx context.Context, name string, fn func(context.Context) error) (bool, error)
}

// Slack is the part of slack-go's *slack.Client the handlers call.
type Slack interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)

	// Library management (admins): the add/edit modal, and images.
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
	GetFileContext(ctx context.Context, downloadURL string, writer io.Writer) error
	UploadFileContext(ctx context.Context, params slack.UploadFileParameters) (*slack.FileSummary, error)
	GetFileInfoContext(ctx context.Context, fileID string, count, page int) (*slack.File, []slack.Comment, *slack.Paging, error)
}

// Config holds a Bot's dependencies and limits.
type Config struct {
	Store  Store        // the sticker library; required
	Slack  Slack        // the Web API client (bot token); required
	Logger *slog.Logger // required
	Admins []string     // Slack user IDs allowed to change the library
	// LibraryChannel is where uploaded sticker images are shared so that
	// image blocks can show them; empty: they are stored, not shown.
	LibraryChannel string

	Workers    int           // concurrent jobs; default 16
	QueueSize  int           // jobs waiting for a worker; default 2048
	JobTimeout time.Duration // per job, Web API retries included; default 20s
	// BusyReplies bounds the goroutines telling users the queue is full.
	BusyReplies int // default 64
	Observer    Observer
}

// Observer receives what the bot does, for metrics. Methods must be fast.
type Observer interface {
	JobDone(kind string, d time.Duration, err error)
	Searched(d time.Duration)
	Busy(kind string)
	// WebAPIError counts a failed Web API call by method and kind (see
	// errorKind).
	WebAPIError(method, kind string)
}

type nopObserver struct{}

func (nopObserver) JobDone(string, time.Duration, error) {}
func (nopObserver) Searched(time.Duration)               {}
func (nopObserver) Busy(string)                          {}
func (nopObserver) WebAPIError(string, string)           {}

// Bot handles Slack payloads. Create it with New, start its workers with
// Run, and feed it envelopes with Envelope.
type Bot struct {
	store   Store
	slack   Slack
	log     *slog.Logger
	admins  []string
	library string // Config.LibraryChannel
	obs     Observer
	timeout time.Duration

	workers int
	queue   chan job
	// background holds work started outside the queue (after a modal
	// closes, busy replies); Run waits for it on shutdown.
	background tasks
	busy       chan struct{} // semaphore for busy replies
}

// New checks cfg and returns a Bot.
func New(cfg Config) (*Bot, error) {
	if cfg.Store == nil || cfg.Slack == nil || cfg.Logger == nil {
		return nil, errors.New("handlers: Store, Slack and Logger are required")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 16
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 2048
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = 20 * time.Second
	}
	if cfg.BusyReplies <= 0 {
		cfg.BusyReplies = 64
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	return &Bot{
		store:   cfg.Store,
		slack:   cfg.Slack,
		log:     cfg.Logger,
		admins:  slices.Clone(cfg.Admins),
		library: cfg.LibraryChannel,
		obs:     cfg.Observer,
		timeout: cfg.JobTimeout,
		workers: cfg.Workers,
		queue:   make(chan job, cfg.QueueSize),
		busy:    make(chan struct{}, cfg.BusyReplies),
	}, nil
}

func (b *Bot) isAdmin(user string) bool { return user != "" && slices.Contains(b.admins, user) }

// replyTo says where a reply goes: the payload's response_url when it has
// one, else an ephemeral message to user in channel (mentions).
type replyTo struct {
	responseURL string
	channel     string
	user        string
	threadTS    string
}

// reply modes for response_url replies.
type replyMode int

const (
	replyNew     replyMode = iota // a new ephemeral message
	replyReplace                  // replace the message whose button was clicked
	replyDelete                   // delete the message whose button was clicked
)

// respond sends blocks to where to says, as an ephemeral message.
func (b *Bot) respond(ctx context.Context, to replyTo, mode replyMode, text string, blocks []slack.Block) error {
	opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	if to.responseURL == "" {
		if to.threadTS != "" {
			opts = append(opts, slack.MsgOptionTS(to.threadTS))
		}
		_, err := b.slack.PostEphemeralContext(ctx, to.channel, to.user, opts...)
		return b.wrapSlack("chat.postEphemeral", err)
	}
	switch mode {
	case replyReplace:
		opts = append(opts, slack.MsgOptionReplaceOriginal(to.responseURL))
	case replyDelete:
		opts = []slack.MsgOption{slack.MsgOptionDeleteOriginal(to.responseURL)}
	default:
		opts = append(opts, slack.MsgOptionResponseURL(to.responseURL, slack.ResponseTypeEphemeral))
	}
	_, _, err := b.slack.PostMessageContext(ctx, to.channel, opts...)
	return b.wrapSlack("response_url", err)
}

// notice sends a short ephemeral text, logging rather than returning a
// failure: it is the last thing a job does.
func (b *Bot) notice(ctx context.Context, to replyTo, mode replyMode, text string) {
	if err := b.respond(ctx, to, mode, text, noticeMessage(text)); err != nil {
		b.log.Warn("cannot tell the user", "user", to.user, "channel", to.channel, "err", err)
	}
}

// storeFailure tells the user the library is unavailable, or that a
// sticker is gone, and returns err for the log.
func (b *Bot) storeFailure(ctx context.Context, to replyTo, mode replyMode, err error) error {
	if errors.Is(err, sticker.ErrNotFound) {
		b.notice(ctx, to, mode, msgGone)
		return nil
	}
	b.notice(ctx, to, replyNew, msgUnavailable)
	return err
}

// wrapSlack names the Web API method in err and counts the failure.
func (b *Bot) wrapSlack(method string, err error) error {
	if err == nil {
		return nil
	}
	b.obs.WebAPIError(method, errorKind(err))
	return fmt.Errorf("%s: %w", method, err)
}

// errorKind classifies a failed Web API call for the metrics: api (Slack
// answered ok: false), rate_limited, http (a status other than 200),
// timeout, canceled, network or other.
func errorKind(err error) string {
	var (
		rl   *slack.RateLimitedError
		se   slack.SlackErrorResponse
		sc   slack.StatusCodeError
		scp  *slack.StatusCodeError
		nerr net.Error
	)
	switch {
	case errors.As(err, &rl):
		return "rate_limited"
	case errors.As(err, &se):
		return "api"
	case errors.As(err, &sc), errors.As(err, &scp):
		return "http"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &nerr):
		if nerr.Timeout() {
			return "timeout"
		}
		return "network"
	}
	return "other"
}

// slackError returns Slack's error code (channel_not_found…) in err, if any.
func slackError(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return "ratelimited"
	}
	return ""
}
