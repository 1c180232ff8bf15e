package handlers

// Favourites: the preview's ☆ button, and /sticker favs, the list of
// one's favourites with a Send button each.

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

const (
	favsPageSize = 10 // stickers per page of /sticker favs: 2 blocks each
	maxFavsPage  = 1_000
)

var msgNoFavourites = mdf("Favourites are unavailable here.")

// starFor is the star user's preview of sticker id shows. When the
// library cannot say, the preview goes out with ☆ rather than not at all:
// adding it again is harmless.
func (b *Bot) starFor(ctx context.Context, user string, id int64) star {
	if b.activity == nil {
		return starNone
	}
	fav, err := b.activity.IsFavourite(ctx, user, id)
	if err != nil {
		b.log.Warn("cannot tell whether a sticker is a favourite", "sticker_id", id, "err", err)
	}
	if fav {
		return starOn
	}
	return starOff
}

// favourite: the preview's ☆ adds its sticker to the user's favourites.
func (b *Bot) favourite(ctx context.Context, r *request) error { return b.setFavourite(ctx, r, true) }

// unfavourite: the preview's ★ takes it out.
func (b *Bot) unfavourite(ctx context.Context, r *request) error {
	return b.setFavourite(ctx, r, false)
}

// setFavourite makes the preview's sticker a favourite of the clicker, or
// not, and says so in place: the preview comes back with its star turned.
func (b *Bot) setFavourite(ctx context.Context, r *request, on bool) error {
	state, to, ok := b.previewButton(ctx, r)
	if !ok {
		return nil
	}
	if b.activity == nil {
		b.notice(ctx, to, replyNew, msgNoFavourites)
		return nil
	}
	st, err := b.library.Get(ctx, state.StickerID)
	if err != nil {
		return b.storeFailure(ctx, to, replyReplace, err)
	}
	if err := b.activity.SetFavourite(ctx, r.user, st.ID, on); err != nil {
		if errors.Is(err, sticker.ErrNotFound) {
			return b.storeFailure(ctx, to, replyReplace, err)
		}
		b.notice(ctx, to, replyNew, msgUnavailable)
		return err
	}
	note, fav := mdf("Added to your favourites: `/sticker favs` lists them"), starOn
	if !on {
		note, fav = mdf("Taken out of your favourites"), starOff
	}
	at := place{pos: state.Pos, total: state.Pos + 1}
	if q, err := search.ParseQuery(state.Query); err == nil {
		if m, where, err := b.matchAt(ctx, q, state.Pos); err == nil && m.ID == st.ID {
			at = where
		}
	}
	return b.previewStarred(ctx, to, replyReplace, st, state, at, fav, note)
}

// favsCommand: "/sticker favs [page]" lists the user's favourites.
func (b *Bot) favsCommand(ctx context.Context, r *request) error {
	page := 0
	if arg := strings.TrimSpace(r.arg); arg != "" {
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 || n > maxFavsPage {
			b.notice(ctx, r.to, replyNew, mdf("Use `/sticker favs` or `/sticker favs <page number>`."))
			return nil
		}
		page = n - 1
	}
	return b.showFavs(ctx, r.to, replyNew, page)
}

// favsPage: the list's Previous and Next.
func (b *Bot) favsPage(ctx context.Context, r *request) error {
	page, err := strconv.Atoi(r.action.Value)
	if err != nil || page < 0 || page >= maxFavsPage {
		b.notice(ctx, r.to, replyNew, msgBadButton)
		return nil
	}
	return b.showFavs(ctx, r.to, replyReplace, page)
}

// favsSend: a favourite's Send posts it where the list was asked for, as
// the preview's Send does, and removes the list.
func (b *Bot) favsSend(ctx context.Context, r *request) error {
	id, err := strconv.ParseInt(r.action.Value, 10, 64)
	if err != nil || id <= 0 {
		b.notice(ctx, r.to, replyNew, msgBadButton)
		return nil
	}
	c, ok := b.firstClick(ctx, r, "favs:"+r.ic.Container.MessageTs)
	if !ok {
		return nil
	}
	st, err := b.library.Get(ctx, id)
	if err != nil {
		b.release(ctx, c)
		return b.storeFailure(ctx, r.to, replyNew, err)
	}
	if err := b.deliver(ctx, &st, r.to, r.ic.User.Name, originFavs); err != nil {
		b.releaseIf(ctx, c, err)
		b.notice(ctx, r.to, replyNew, sendFailedText(err))
		return err
	}
	if err := b.respond(ctx, r.to, replyDelete, md{}, nil); err != nil {
		b.log.Warn("cannot remove the favourites list", "err", err)
	}
	return nil
}

// showFavs shows one page of the user's favourites; past the last page
// (favourites taken out meanwhile), the last one.
func (b *Bot) showFavs(ctx context.Context, to replyTo, mode replyMode, page int) error {
	if b.activity == nil {
		b.notice(ctx, to, replyNew, msgNoFavourites)
		return nil
	}
	items, total, err := b.activity.FavouritesPage(ctx, to.user, page*favsPageSize, favsPageSize)
	if err == nil && len(items) == 0 && total > 0 && page > 0 {
		page = int((total - 1) / favsPageSize)
		items, total, err = b.activity.FavouritesPage(ctx, to.user, page*favsPageSize, favsPageSize)
	}
	if err != nil {
		b.notice(ctx, to, replyNew, msgUnavailable)
		return err
	}
	blocks := favsMessage(items, total, page)
	err = b.respond(ctx, to, mode, mdf("Your favourite stickers"), blocks)
	if refusedBlocks(err) {
		// One favourite's image Slack cannot fetch: the list goes by names.
		b.log.Warn("Slack refused a favourites list; sending it without images", "user", to.user, "err", err)
		err = b.respond(ctx, to, mode, mdf("Your favourite stickers"), withoutImages(blocks))
	}
	return err
}

// favsMessage is one page of someone's favourites: a header, each
// sticker's picture and name with its Send button, and paging; at most
// 2×favsPageSize+2 blocks.
func favsMessage(items []sticker.Sticker, total int64, page int) []slack.Block {
	if total == 0 {
		return noticeMessage(mdf("*You have no favourite stickers yet.* Press ☆ Favourite on a sticker's preview " +
			"(`/sticker <words>`) to keep it here."))
	}
	pages := max(1, int((total+favsPageSize-1)/favsPageSize))
	head := mdf("*Your favourites* · %s", stickers(total))
	if pages > 1 {
		head = mdf("%s · page %s of %s", head, count(int64(page+1)), count(int64(pages)))
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(head), nil, nil)}
	for _, st := range items {
		blocks = append(blocks, stickerRow(st, md{}, slack.NewButtonBlockElement(actionFavsSend, strconv.FormatInt(st.ID, 10), plain("Send")).WithStyle(slack.StylePrimary))...)
	}
	var nav []slack.BlockElement
	if page > 0 {
		nav = append(nav, slack.NewButtonBlockElement(actionFavsPrev, strconv.Itoa(page-1), plain("Previous")))
	}
	if page+1 < pages {
		nav = append(nav, slack.NewButtonBlockElement(actionFavsNext, strconv.Itoa(page+1), plain("Next")))
	}
	if len(nav) > 0 {
		blocks = append(blocks, slack.NewActionBlock("favs_nav", nav...))
	}
	return blocks
}

// stickerRow is a sticker in a list: its name (and extra, if any) beside
// its picture, then its buttons; two blocks. A sticker Slack could not
// show goes by its name.
func stickerRow(st sticker.Sticker, extra md, buttons ...slack.BlockElement) []slack.Block {
	line := bold(st.Name)
	if extra.s != "" {
		line = mdf("%s\n%s", line, extra)
	}
	var pic *slack.Accessory
	if img, ok := imageElement(st); ok {
		pic = slack.NewAccessory(img)
	}
	return []slack.Block{
		slack.NewSectionBlock(mrkdwn(line), nil, pic),
		slack.NewActionBlock("", buttons...),
	}
}

// click is a claimed click on a button that posts a sticker (see
// firstClick): its keys.
type click struct{ keys []string }

// firstClick reports whether r is the first click on a button that posts
// a sticker, by keys (where the button is: its message, or for the Home
// tab the person, conversation and time), each with the button's value
// (which sticker): a person clicking twice before the first click's answer
// shows gets one sticker (a redelivery of the same click is the router's:
// firstTime). Without a key (a payload without its message's ts), or
// when the database cannot say, it goes ahead. When Slack refused the
// Send, release lets the user try again.
func (b *Bot) firstClick(ctx context.Context, r *request, keys ...string) (click, bool) {
	var c click
	for _, key := range keys {
		if strings.HasSuffix(key, ":") {
			continue
		}
		key = "click:" + key + ":" + r.action.Value
		ok, err := b.claims.Claim(ctx, key)
		if err != nil {
			b.log.Warn("cannot check for a second click", "envelope_id", r.env.ID, "err", err)
			continue
		}
		if !ok {
			b.log.Info("ignoring a second click", "envelope_id", r.env.ID, "user", r.user, "action", r.action.ActionID)
			b.release(ctx, c)
			return click{}, false
		}
		c.keys = append(c.keys, key)
	}
	return c, true
}

// release forgets a click whose Send failed, so that clicking again
// (as the user is told to) tries again.
func (b *Bot) release(ctx context.Context, c click) {
	b.releaseIf(ctx, c, nil)
}

// releaseIf forgets a click whose Send failed with err, unless Slack may
// have posted the sticker all the same (a timeout, a connection lost
// before the answer): a second click must not post it twice, and the
// user is told to look first (sendFailedText).
func (b *Bot) releaseIf(ctx context.Context, c click, err error) {
	if err != nil && !refused(err) {
		return
	}
	for _, key := range c.keys {
		if err := b.claims.Unclaim(ctx, key); err != nil {
			b.log.Warn("cannot forget a click", "key", key, "err", err)
		}
	}
}
