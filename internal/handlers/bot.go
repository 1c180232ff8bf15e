// Package handlers is the bot's behaviour: it turns Slack payloads (slash
// commands, shortcuts, button clicks and keystrokes, modal submissions,
// mentions), whichever transport delivered them, into searches, library
// changes and replies.
//
// routes.go lists everything the bot answers to. The files read top to
// bottom: intake.go (decoding once, the queue, the workers; with router.go
// and tasks.go), then one file per feature (search.go, send.go, picker.go
// with picker_live.go and picker_send.go, favourites.go, home.go, dm.go,
// stats.go, remove.go, admin_modal.go, admin.go; a feature may use
// another's, as the Home tab sends through send.go), then the helpers
// they call down into (images.go, reply.go, blocks.go, value.go,
// command.go, text.go), which never call back up.
package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// What the handlers need from the sticker library, by use. Every method
// that touches the database returns an error other than the ones it names
// when the database cannot answer (down, or slower than ctx allows): the
// handlers then tell the user the library is unavailable.

// Searcher answers searches.
type Searcher interface {
	// Search returns up to limit of q's matches, best first, after
	// skipping offset, and how many match in all: Page.Total, counted up
	// to search.TotalCap, with Page.Capped set past it. Past the last
	// match the page is empty, which is no error.
	Search(ctx context.Context, q search.Query, offset, limit int) (search.Page, error)
}

// Library reads and changes the stickers.
type Library interface {
	// Get returns the sticker with id, or sticker.ErrNotFound when there
	// is none (it was deleted).
	Get(ctx context.Context, id int64) (sticker.Sticker, error)
	// GetByName returns the sticker whose name folds to the same term as
	// name (case, width and white space do not matter), or
	// sticker.ErrNotFound.
	GetByName(ctx context.Context, name string) (sticker.Sticker, error)
	// Save creates a sticker (id 0) or replaces sticker id with d, and
	// returns it as stored. It saves nothing and returns the draft's
	// first sticker.FieldError when d breaks a rule,
	// sticker.ErrDuplicateName when another sticker's name folds to the
	// same term, and sticker.ErrNotFound when sticker id is gone. A
	// sticker with only a stored image is not searchable until
	// Images.SetSlackFile.
	Save(ctx context.Context, id int64, d sticker.Draft) (sticker.Sticker, error)
	// Delete removes sticker id and returns what it was, or
	// sticker.ErrNotFound when it is gone already. Its send history
	// stays.
	Delete(ctx context.Context, id int64) (sticker.Sticker, error)
	// List returns up to limit stickers in name order after skipping
	// offset, and how many the library holds; past the end, none.
	List(ctx context.Context, offset, limit int) ([]sticker.Sticker, int64, error)
	// RecordSend notes a sticker sent and counts the use. A sticker
	// deleted meanwhile is no error.
	RecordSend(ctx context.Context, snd sticker.Send) error
}

// Claims makes a redelivered request do its work once, on any connection
// or replica.
type Claims interface {
	// Claim records key and reports whether this call was the first to:
	// false means the request was handled (or is being handled) already.
	// An error means the database cannot say.
	Claim(ctx context.Context, key string) (bool, error)
	// Unclaim forgets key, so that the request may be made again (a Send
	// that failed, which the user was asked to retry). Forgetting a key
	// never claimed is no error.
	Unclaim(ctx context.Context, key string) error
}

// Images keeps the images admins upload, and which Slack file shows each.
type Images interface {
	// Image returns sticker id's stored image, or sticker.ErrNotFound when
	// it has none (it shows an image URL) or is gone.
	Image(ctx context.Context, id int64) (sticker.Image, error)
	// SetSlackFile records fileID as the Slack copy of sticker id's
	// stored image, whose SHA-256 was sum when it was uploaded, and
	// returns the sticker, now searchable. It returns sticker.ErrNotFound
	// when the sticker is gone and sticker.ErrImageChanged when its stored
	// image is no longer that one (it was edited meanwhile).
	SetSlackFile(ctx context.Context, id int64, fileID string, sum []byte) (sticker.Sticker, error)
	// StoredImages lists, by id, up to limit stickers with a stored image
	// and an id above after; none past the last.
	StoredImages(ctx context.Context, after int64, limit int) ([]sticker.StoredImage, error)
	// Exclusive runs fn while holding the lock name, shared by every
	// replica, and reports whether it ran: false, without an error, when
	// another holds it.
	Exclusive(ctx context.Context, name string, fn func(context.Context) error) (bool, error)
}

// Activity is what people do with the library: their favourites, the
// stickers they sent (and take back), the Home tab and the stats.
type Activity interface {
	// SetFavourite adds sticker id to user's favourites (on) or takes it
	// out; doing it twice is doing it once. Adding a sticker that is gone
	// is sticker.ErrNotFound; a deleted sticker leaves every favourites
	// list.
	SetFavourite(ctx context.Context, user string, id int64, on bool) error
	// IsFavourite reports whether sticker id is one of user's favourites.
	IsFavourite(ctx context.Context, user string, id int64) (bool, error)
	// FavouritesPage returns up to limit of user's favourites, newest
	// favourite first, after skipping offset, and how many they have.
	FavouritesPage(ctx context.Context, user string, offset, limit int) ([]sticker.Sticker, int64, error)
	// Home returns what q.User's Home tab shows, read in one round trip.
	Home(ctx context.Context, q sticker.HomeQuery) (sticker.Home, error)
	// Stats returns the team's numbers over the days days to now, with
	// the top top stickers.
	Stats(ctx context.Context, now time.Time, days, top int) (sticker.Stats, error)
	// UserStats returns user's numbers, likewise.
	UserStats(ctx context.Context, user string, now time.Time, days, top int) (sticker.UserStats, error)
	// Sent returns the send whose message carries key (sticker.Send.Key),
	// or sticker.ErrNotFound.
	Sent(ctx context.Context, key string) (sticker.SentRecord, error)
	// MarkRemoved records that by took back the send with key; the row
	// stays. sticker.ErrNotFound when there is no such send.
	MarkRemoved(ctx context.Context, key, by string) error
}

// Slack is the part of slack-go's *slack.Client the handlers call.
type Slack interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)

	// Modals: the picker, and the admins' add/edit modal.
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
	UpdateViewContext(ctx context.Context, view slack.ModalViewRequest, externalID, hash, viewID string) (*slack.ViewResponse, error)

	// Library management (admins): images.
	GetFileContext(ctx context.Context, downloadURL string, writer io.Writer) error
	UploadFileContext(ctx context.Context, params slack.UploadFileParameters) (*slack.FileSummary, error)
	GetFileInfoContext(ctx context.Context, fileID string, count, page int) (*slack.File, []slack.Comment, *slack.Paging, error)

	// Who sent a sticker, for its attribution.
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)

	// The Home tab, and taking back a sticker sent.
	PublishViewContext(ctx context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error)
	DeleteMessageContext(ctx context.Context, channel, messageTimestamp string) (string, string, error)
}

// Observer receives what the bot does, for metrics. Methods must be fast.
type Observer interface {
	JobDone(kind string, d time.Duration, err error)
	Searched(d time.Duration)
	// SearchResult counts a search someone typed (not Next): hit when a
	// sticker matched.
	SearchResult(hit bool)
	// Sent counts a sticker posted, by the Web API method that posted it
	// (chat.postMessage, or response_url where the bot is not a member).
	Sent(method string)
	Busy(kind string)
	// WebAPIError counts a failed Web API call by method and kind (see
	// errorKind).
	WebAPIError(method, kind string)
}

type nopObserver struct{}

func (nopObserver) JobDone(string, time.Duration, error) {}
func (nopObserver) Searched(time.Duration)               {}
func (nopObserver) SearchResult(bool)                    {}
func (nopObserver) Sent(string)                          {}
func (nopObserver) Busy(string)                          {}
func (nopObserver) WebAPIError(string, string)           {}

// Config holds a Bot's dependencies and limits.
type Config struct {
	// The sticker library, by use; all required (the in-process index,
	// *search.Library, answers Search, for the previews and the picker
	// alike; a *store.Store the rest).
	Search  Searcher
	Library Library
	Claims  Claims
	Images  Images
	// Shelves fill the picker before anything is typed; optional.
	Shelves Shelves
	// Activity keeps favourites and the send history, for the Home tab,
	// /sticker favs and stats, and taking a sticker back; optional (those
	// then say they are unavailable).
	Activity Activity
	// StateKey signs what the bot keeps in views (a picker's
	// private_metadata): every replica, and the bot after a restart, needs
	// the same key to trust a picker opened before. When empty, a random
	// key is made: pickers then last as long as the process.
	StateKey []byte

	Slack  Slack        // the Web API client (bot token); required
	Logger *slog.Logger // required
	Admins []string     // Slack user IDs allowed to change the library
	// LibraryChannel is where uploaded sticker images are shared so that
	// image blocks can show them; empty: they are stored, not shown.
	LibraryChannel string
	// LibraryChannelUsable, if set, reports whether LibraryChannel can
	// show uploads (it exists, is public and the bot is in it, as checked
	// at start); the add form offers a file upload only then. Nil: it can
	// whenever it is set.
	LibraryChannelUsable func() bool

	Workers    int           // concurrent jobs; default 16
	QueueSize  int           // jobs waiting for a worker; default 2048
	JobTimeout time.Duration // per job, Web API retries included; default 20s
	// BusyReplies bounds the goroutines telling users the queue is full.
	BusyReplies int // default 64
	// ViewUpdatesPerMinute bounds the pickers' views.update calls, which
	// Slack limits per workspace (Tier 4); default 100, with a burst of 20.
	ViewUpdatesPerMinute int
	Observer             Observer
	// SyncPace spaces SyncImages' checks; default 700ms, for Slack's rate
	// limits (the playground's simulated Slack has none).
	SyncPace time.Duration
}

// Bot handles Slack payloads: it is the transports' envelope.Dispatcher.
// Create it with New, start its workers with Run, and feed it envelopes
// with Dispatch.
type Bot struct {
	searcher Searcher
	library  Library
	claims   Claims
	images   Images
	shelf    Shelves
	activity Activity
	stateKey []byte
	slack    Slack
	log      *slog.Logger
	admins   []string
	channel  string      // Config.LibraryChannel
	usable   func() bool // Config.LibraryChannelUsable
	people   people      // who sent stickers, remembered
	obs      Observer
	timeout  time.Duration
	pace     time.Duration // Config.SyncPace

	routes  *router
	workers int
	queue   chan job
	// background holds work started outside the queue (after a modal
	// closes, busy replies); Run waits for it on shutdown.
	background tasks
	busy       chan struct{} // semaphore for busy replies
	renders    renders       // open pickers being updated (picker_live.go)
}

// New checks cfg and returns a Bot.
func New(cfg Config) (*Bot, error) {
	if cfg.Search == nil || cfg.Library == nil || cfg.Claims == nil || cfg.Images == nil ||
		cfg.Slack == nil || cfg.Logger == nil {
		return nil, errors.New("handlers: Search, Library, Claims, Images, Slack and Logger are required")
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
	if cfg.SyncPace <= 0 {
		cfg.SyncPace = syncPace
	}
	if cfg.ViewUpdatesPerMinute <= 0 {
		cfg.ViewUpdatesPerMinute = viewUpdatesPerMinute
	}
	if len(cfg.StateKey) == 0 {
		k, err := newStateKey()
		if err != nil {
			return nil, err
		}
		cfg.StateKey = k
	}
	b := &Bot{
		searcher: cfg.Search,
		library:  cfg.Library,
		claims:   cfg.Claims,
		images:   cfg.Images,
		shelf:    cfg.Shelves,
		activity: cfg.Activity,
		stateKey: slices.Clone(cfg.StateKey),
		slack:    cfg.Slack,
		log:      cfg.Logger,
		admins:   slices.Clone(cfg.Admins),
		channel:  cfg.LibraryChannel,
		usable:   cfg.LibraryChannelUsable,
		obs:      cfg.Observer,
		timeout:  cfg.JobTimeout,
		pace:     cfg.SyncPace,
		workers:  cfg.Workers,
		queue:    make(chan job, cfg.QueueSize),
		busy:     make(chan struct{}, cfg.BusyReplies),
		renders:  renders{views: map[string]*viewRender{}, bucket: newBucket(cfg.ViewUpdatesPerMinute, viewUpdateBurst)},
	}
	b.routes = b.newRoutes()
	return b, nil
}
