package handlers

// The picker: a modal with a search box and a grid of results, each with
// its own Send button. "/sticker" alone opens it for the command's
// channel, the "Reply with a sticker" message shortcut for the message's
// thread, and the "Send a sticker" global shortcut for a conversation the
// user chooses in it. Its state (where to post, the query shown, the
// page) lives in the view's private_metadata, signed, so any replica, or
// the bot after a restart, can answer a click in it.

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// Shelves are what the picker shows before anything is typed. Any may
// come back empty.
type Shelves interface {
	// Favourites returns up to limit of user's favourite stickers.
	Favourites(ctx context.Context, user string, limit int) ([]sticker.Sticker, error)
	// Recents returns up to limit of the stickers user sent last, the
	// latest first.
	Recents(ctx context.Context, user string, limit int) ([]sticker.Sticker, error)
	// Popular returns up to limit of the stickers sent most since since.
	Popular(ctx context.Context, since time.Time, limit int) ([]sticker.Sticker, error)
}

// The picker's blocks. The search box and the conversation menu keep
// their ids across updates, so that Slack keeps what the user typed and
// chose in them.
const (
	blockPickerWhere  = "picker_where"  // global shortcut: the conversation (input, response_url_enabled)
	actionPickerWhere = "picker_where"  // ... its conversations_select; sends no block_actions
	blockPickerSearch = "picker_search" // the search box (input, dispatches on every character)
	blockPickerStatus = "picker_status"
	blockPickerNav    = "picker_nav"

	pickerPageSize = 20 // results per page: 2 blocks each, far below 100 blocks and 250 kB
	maxPickerPage  = 1_000
	shelfSize      = 6 // stickers per shelf of the empty box
	popularWindow  = 30 * 24 * time.Hour
	shelvesBudget  = 1200 * time.Millisecond // of the trigger_id's 3 seconds
)

var msgPickerBroken = mdf("This picker is out of date. Close it and open a new one with `/sticker`.")

// Where a picker posts, by what opened it.
const (
	pickChannel  = "c" // "/sticker": the command's channel (its response_url as the fallback)
	pickThread   = "t" // the message shortcut: the message's thread, where the bot may post
	pickAnywhere = "g" // the global shortcut (and the Home tab): the conversation chosen in the picker
)

// pickerMeta is a picker's private_metadata: who opened it, where it posts,
// and what its grid shows.
type pickerMeta struct {
	User        string `json:"u"`
	Kind        string `json:"k"`
	Channel     string `json:"c,omitempty"`
	ThreadTS    string `json:"t,omitempty"`
	ResponseURL string `json:"r,omitempty"`
	Query       string `json:"q,omitempty"`
	Page        int    `json:"p,omitempty"`
	// Pending (pickAnywhere) is the sticker a Send could not post itself,
	// the bot not being in the conversation: the Submit button (whose
	// view_submission alone carries a response_url) posts it.
	Pending int64 `json:"s,omitempty"`
}

// origin is how a sticker sent from the picker was asked for, for its
// attribution.
func (m pickerMeta) origin() origin {
	switch m.Kind {
	case pickChannel:
		return originPicker
	case pickThread:
		return originReply
	case pickAnywhere:
		return originShortcut
	}
	return originUnknown
}

// metaVersion starts every encoded pickerMeta; a picker from another
// version is out of date.
const metaVersion = "p1"

var (
	errBadMeta     = errors.New("picker metadata is not ours")
	conversationID = regexp.MustCompile(`^[CDG][A-Z0-9]{1,20}$`)
	messageTS      = regexp.MustCompile(`^[0-9]{1,12}\.[0-9]{1,8}$`)
)

// newStateKey makes a random key, for a Bot given none.
func newStateKey() ([]byte, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("handlers: cannot make a state key: %w", err)
	}
	return k, nil
}

// encodeMeta signs m: "p1:<mac>:<json>". The MAC covers the version and
// the JSON, so nothing in it can be changed without the key.
func (b *Bot) encodeMeta(m pickerMeta) string {
	raw, _ := json.Marshal(m)
	return metaVersion + ":" + b.metaMAC(raw) + ":" + string(raw)
}

func (b *Bot) metaMAC(raw []byte) string {
	h := hmac.New(sha256.New, b.stateKey)
	h.Write([]byte(metaVersion))
	h.Write(raw)
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16])
}

// decodeMeta reads a picker's private_metadata and checks it: signed by
// this bot (any replica, before or after a restart), opened by user, and
// sound. Anything else, forged or from an older version, is errBadMeta.
func (b *Bot) decodeMeta(s, user string) (pickerMeta, error) {
	var m pickerMeta
	version, rest, ok1 := strings.Cut(s, ":")
	mac, raw, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || version != metaVersion || !hmac.Equal([]byte(mac), []byte(b.metaMAC([]byte(raw)))) {
		return m, errBadMeta
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return m, errBadMeta
	}
	sound := m.User != "" && m.User == user && m.Page >= 0 && m.Page <= maxPickerPage && m.Pending >= 0 &&
		utf8.RuneCountInString(m.Query) <= sticker.MaxQueryLen
	switch m.Kind {
	case pickChannel:
		sound = sound && conversationID.MatchString(m.Channel) && m.ThreadTS == ""
	case pickThread:
		sound = sound && conversationID.MatchString(m.Channel) && messageTS.MatchString(m.ThreadTS) && m.ResponseURL == ""
	case pickAnywhere:
		sound = sound && m.Channel == "" && m.ThreadTS == "" && m.ResponseURL == ""
	default:
		sound = false
	}
	if !sound {
		return m, errBadMeta
	}
	return m, nil
}

// pickCommand: "/sticker" alone opens the picker for the command's channel.
func (b *Bot) pickCommand(ctx context.Context, r *request) error {
	meta := pickerMeta{User: r.user, Kind: pickChannel, Channel: r.cmd.ChannelID, ResponseURL: r.cmd.ResponseURL}
	if !conversationID.MatchString(meta.Channel) {
		b.notice(ctx, r.to, replyNew, mdf("I can't tell which conversation this is. Try `/sticker <words>` instead."))
		return nil
	}
	return b.openPicker(ctx, r, r.cmd.TriggerID, meta)
}

// pickReply: the "Reply with a sticker" message shortcut opens the picker
// for the message's thread: its own thread_ts when it is a reply, else
// its ts.
func (b *Bot) pickReply(ctx context.Context, r *request) error {
	thread := r.ic.Message.ThreadTimestamp
	if thread == "" {
		thread = r.ic.Message.Timestamp
	}
	if thread == "" {
		thread = r.ic.MessageTs
	}
	meta := pickerMeta{User: r.user, Kind: pickThread, Channel: r.ic.Channel.ID, ThreadTS: thread}
	if !conversationID.MatchString(meta.Channel) || !messageTS.MatchString(thread) {
		b.log.Warn("message shortcut without a channel or message", "envelope_id", r.env.ID, "user", r.user)
		return nil
	}
	return b.openPicker(ctx, r, r.ic.TriggerID, meta)
}

// pickAnywhere: the "Send a sticker" global shortcut opens the picker with
// a conversation menu (it comes from no conversation).
func (b *Bot) pickAnywhere(ctx context.Context, r *request) error {
	return b.openPicker(ctx, r, r.ic.TriggerID, pickerMeta{User: r.user, Kind: pickAnywhere})
}

// openPicker opens a picker with the empty box's shelves. The trigger_id
// lives 3 seconds: the shelves get part of that, and the picker opens
// without them rather than not at all.
func (b *Bot) openPicker(ctx context.Context, r *request, triggerID string, meta pickerMeta) error {
	sctx, cancel := context.WithTimeout(ctx, shelvesBudget)
	pv := b.pickerContent(sctx, meta, md{})
	cancel()
	_, err := b.slack.OpenViewContext(ctx, triggerID, b.pickerModal(pv))
	if err != nil {
		if r.to.reachable() {
			switch slackError(err) {
			case "expired_trigger_id", "exchanged_trigger_id":
				b.notice(ctx, r.to, replyNew, mdf("Slack gave me too little time to open the picker. Please try again."))
			default:
				b.notice(ctx, r.to, replyNew, msgFailed)
			}
		}
		return b.wrapSlack("views.open", err)
	}
	b.log.Info("picker opened", "user", r.user, "kind", meta.Kind, "channel", meta.Channel)
	return nil
}

// pickerView is what a picker shows.
type pickerView struct {
	meta pickerMeta
	note md // a line above the results: what just happened
	// One of: a page of results, the empty box's shelves, or a problem
	// instead of results.
	page    *search.Page
	shelves []shelf
	problem md
	// broken: the view's metadata could not be trusted; it shows only
	// msgPickerBroken and can do nothing.
	broken bool
}

type shelf struct {
	title    string
	stickers []sticker.Sticker
}

// pickerContent finds what a picker shows for meta's query and page: the
// results, or with no query the shelves. A failure becomes a problem
// shown in the view.
func (b *Bot) pickerContent(ctx context.Context, meta pickerMeta, note md) pickerView {
	pv := pickerView{meta: meta, note: note}
	if strings.TrimSpace(meta.Query) == "" {
		pv.meta.Query, pv.meta.Page = "", 0
		pv.shelves = b.shelves(ctx, meta.User)
		return pv
	}
	q, err := search.ParseQuery(meta.Query)
	switch {
	case errors.Is(err, search.ErrQueryTooLong):
		pv.problem = msgTooLong
		return pv
	case err != nil:
		pv.meta.Query, pv.meta.Page = "", 0
		pv.shelves = b.shelves(ctx, meta.User)
		return pv
	}
	start := time.Now()
	page, err := b.searcher.Search(ctx, q, meta.Page*pickerPageSize, pickerPageSize)
	if err == nil && len(page.Matches) == 0 && page.Total > 0 && meta.Page > 0 {
		// The library shrank under the Next button: show the last page.
		pv.meta.Page = (page.Total - 1) / pickerPageSize
		page, err = b.searcher.Search(ctx, q, pv.meta.Page*pickerPageSize, pickerPageSize)
	}
	b.obs.Searched(time.Since(start))
	if err != nil {
		b.log.Warn("picker search failed", "user", meta.User, "err", err)
		pv.problem = msgUnavailable
		return pv
	}
	pv.page = &page
	return pv
}

// shelves are the empty box: the user's favourites, what they sent last
// and the team's popular stickers, each sticker once. Without Shelves, or
// when the library cannot say, there are none (the view says to type).
func (b *Bot) shelves(ctx context.Context, user string) []shelf {
	if b.shelf == nil {
		return nil
	}
	seen := map[int64]bool{}
	var out []shelf
	add := func(title string, sts []sticker.Sticker, err error) {
		if err != nil {
			b.log.Warn("cannot read a picker shelf", "shelf", title, "user", user, "err", err)
			return
		}
		var keep []sticker.Sticker
		for _, st := range sts {
			if !seen[st.ID] && len(keep) < shelfSize {
				seen[st.ID] = true
				keep = append(keep, st)
			}
		}
		if len(keep) > 0 {
			out = append(out, shelf{title: title, stickers: keep})
		}
	}
	fav, err := b.shelf.Favourites(ctx, user, shelfSize)
	add("Your favourites", fav, err)
	rec, err := b.shelf.Recents(ctx, user, 2*shelfSize)
	add("You sent lately", rec, err)
	pop, err := b.shelf.Popular(ctx, time.Now().Add(-popularWindow), 3*shelfSize)
	add("Popular in the team", pop, err)
	return out
}

// pickerModal builds the picker's view.
func (b *Bot) pickerModal(pv pickerView) slack.ModalViewRequest {
	view := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      viewPicker,
		Title:           plain("Pick a sticker"),
		Close:           plain("Close"),
		Submit:          plain("Done"),
		PrivateMetadata: b.encodeMeta(pv.meta),
	}
	if pv.broken {
		view.PrivateMetadata = ""
		view.Submit = nil
		view.Blocks.BlockSet = []slack.Block{slack.NewSectionBlock(mrkdwn(msgPickerBroken), nil, nil)}
		return view
	}
	var blocks []slack.Block
	if pv.meta.Kind == pickAnywhere {
		where := slack.NewOptionsSelectBlockElement(slack.OptTypeConversations, plain("Choose a conversation"), actionPickerWhere)
		where.ResponseURLEnabled = true
		where.DefaultToCurrentConversation = true
		where.Filter = &slack.SelectBlockElementFilter{ExcludeBotUsers: true}
		blocks = append(blocks, slack.NewInputBlock(blockPickerWhere, plain("Send to"), nil, where).WithOptional(true))
		if pv.meta.Pending > 0 {
			view.Submit = plain("Send")
		}
	}
	box := slack.NewPlainTextInputBlockElement(plain("cat, 고양이, thumbs up…"), actionPickerQuery).WithMaxLength(sticker.MaxQueryLen)
	box.DispatchActionConfig = &slack.DispatchActionConfig{TriggerActionsOn: []string{"on_character_entered"}}
	box.FocusOnLoad = true
	blocks = append(blocks, slack.NewInputBlock(blockPickerSearch, plain("Search"), nil, box).WithDispatchAction(true).WithOptional(true))

	status := pickerStatus(pv)
	blocks = append(blocks, slack.NewContextBlock(blockPickerStatus, mrkdwn(joinMD(" · ", pv.note, status))))
	switch {
	case pv.page != nil:
		for _, m := range pv.page.Matches {
			blocks = append(blocks, resultBlocks(m.Sticker)...)
		}
		if nav := pickerNav(pv.meta.Page, *pv.page); nav != nil {
			blocks = append(blocks, nav)
		}
	case len(pv.shelves) > 0:
		for _, s := range pv.shelves {
			blocks = append(blocks, slack.NewHeaderBlock(plain(s.title)))
			for _, st := range s.stickers {
				blocks = append(blocks, resultBlocks(st)...)
			}
		}
	}
	view.Blocks.BlockSet = blocks
	return view
}

// pickerStatus is the line above the results: what they are.
func pickerStatus(pv pickerView) md {
	switch {
	case pv.problem.s != "":
		return pv.problem
	case pv.page != nil && len(pv.page.Matches) == 0:
		return noMatchText(pv.meta.Query)
	case pv.page != nil:
		first := pv.meta.Page*pickerPageSize + 1
		total := count(int64(max(pv.page.Total, first+len(pv.page.Matches)-1)))
		if pv.page.Capped {
			total += "+"
		}
		return mdf("%s–%s of %s for “%s”", count(int64(first)), count(int64(first+len(pv.page.Matches)-1)), total, pv.meta.Query)
	case len(pv.shelves) > 0:
		return mdf("Type to search, or pick one of these.")
	}
	return mdf("Type to search: names and tags, in any language.")
}

// resultBlocks shows one sticker of the grid: its image, name and tags, and
// a Send button that posts it at once.
func resultBlocks(st sticker.Sticker) []slack.Block {
	var img *slack.Accessory
	if el, ok := imageElement(st); ok {
		img = slack.NewAccessory(el)
	}
	send := slack.NewButtonBlockElement(actionPickerSend, strconv.FormatInt(st.ID, 10), plain("Send")).WithStyle(slack.StylePrimary)
	return []slack.Block{
		slack.NewSectionBlock(mrkdwn(stickerLine(st)), nil, img),
		slack.NewActionBlock("", send),
	}
}

// pickerNav is the paging row, or nil when everything fits on one page.
func pickerNav(page int, p search.Page) slack.Block {
	var nav []slack.BlockElement
	if page > 0 {
		nav = append(nav, slack.NewButtonBlockElement(actionPickerPrev, strconv.Itoa(page-1), plain("Previous")))
	}
	if (page+1)*pickerPageSize < p.Total && page < maxPickerPage {
		nav = append(nav, slack.NewButtonBlockElement(actionPickerNext, strconv.Itoa(page+1), plain("Next")))
	}
	if len(nav) == 0 {
		return nil
	}
	return slack.NewActionBlock(blockPickerNav, nav...)
}
