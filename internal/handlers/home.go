package handlers

// The Home tab: published for each person when they open it
// (app_home_opened), and again after each of its buttons. It shows a
// search button (the picker), where its Sends go, the person's favourites
// and recents and the team's most sent, each with Send; admins also see an
// Add button, the week's numbers and the newest additions.
//
// The Home tab belongs to no conversation, and its clicks bring no
// response_url: a Send from it posts with chat.postMessage into the
// conversation the person chose in its "Send to" menu, which the view
// keeps in its private_metadata, and what happened is said at the top of
// the tab, published again.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

const (
	homeShelf   = 5  // stickers per shelf: 2 blocks each
	homeDays    = 14 // days of the admins' sends-per-day bars
	homeTop     = 10 // the admins' top stickers
	homeBarLen  = 20 // the longest bar, in characters
	homeTimeout = 2 * time.Second
	// clickWindow is how far apart two clicks on the same Send of the Home
	// tab count as one (a double click, or a click again while the first
	// one's answer is on its way).
	clickWindow = 3 * time.Second
)

// Block and action ids of the Home tab.
const (
	blockHomeWhere = "home_where"
)

// homeMeta is the Home view's private_metadata: what the next publish
// keeps.
type homeMeta struct {
	Channel string `json:"c,omitempty"` // where its Sends go
	Favs    int    `json:"f,omitempty"` // favourites skipped (the page shown)
}

// homeOpened: app_home_opened. The Messages tab opens it too; only the
// Home tab is published.
func (b *Bot) homeOpened(ctx context.Context, r *request) error {
	if r.event.Event.Tab != "home" {
		return nil
	}
	var meta homeMeta
	if v := r.event.Event.View; v != nil {
		meta = readHomeMeta(v.PrivateMetadata)
		meta.Favs = 0
	}
	return b.publishHome(ctx, r.user, meta, "", md{})
}

// homeWhere: a conversation chosen in "Send to".
func (b *Bot) homeWhere(ctx context.Context, r *request) error {
	meta := readHomeMeta(r.ic.View.PrivateMetadata)
	c := homeChosen(r.ic)
	if c == "" {
		return nil
	}
	meta.Channel = c
	return b.publishHome(ctx, r.user, meta, r.ic.View.Hash, mdf("Send now posts to %s.", conversationName(c)))
}

// homeSend: a sticker's Send on the Home tab.
func (b *Bot) homeSend(ctx context.Context, r *request) error {
	meta := readHomeMeta(r.ic.View.PrivateMetadata)
	if c := homeChosen(r.ic); c != "" {
		meta.Channel = c
	}
	hash := r.ic.View.Hash
	id, err := strconv.ParseInt(r.action.Value, 10, 64)
	if err != nil || id <= 0 {
		b.log.Warn("bad Home tab send button", "user", r.user, "value", clip(r.action.Value, 100))
		return b.publishHome(ctx, r.user, meta, hash, mdf("That button doesn't work any more."))
	}
	if meta.Channel == "" {
		return b.publishHome(ctx, r.user, meta, hash, mdf(":point_up: Choose where to send it first, under *Send to*."))
	}
	// Clicks in the same window are one; the one before too, so that two
	// clicks either side of a window's edge still are.
	now := time.Now().UnixNano() / int64(clickWindow)
	c, ok := b.firstClick(ctx, r, fmt.Sprintf("home:%s:%s:%d", r.user, meta.Channel, now),
		fmt.Sprintf("home:%s:%s:%d", r.user, meta.Channel, now-1))
	if !ok {
		return nil
	}
	st, err := b.library.Get(ctx, id)
	if err != nil {
		b.release(ctx, c)
	}
	if errors.Is(err, sticker.ErrNotFound) {
		return b.publishHome(ctx, r.user, meta, hash, mdf("That sticker was deleted meanwhile."))
	}
	if err != nil {
		_ = b.publishHome(ctx, r.user, meta, hash, msgUnavailable)
		return err
	}
	to := replyTo{user: r.user, channel: meta.Channel}
	if err := b.deliver(ctx, &st, to, r.ic.User.Name, originHome); err != nil {
		b.releaseIf(ctx, c, err)
		_ = b.publishHome(ctx, r.user, meta, hash, sendFailedText(err))
		return err
	}
	return b.publishHome(ctx, r.user, meta, hash, mdf("Sent %s to %s.", bold(st.Name), conversationName(meta.Channel)))
}

// homeUnfavourite: a favourite's ★ on the Home tab takes it out.
func (b *Bot) homeUnfavourite(ctx context.Context, r *request) error {
	meta := readHomeMeta(r.ic.View.PrivateMetadata)
	if b.activity == nil {
		return b.publishHome(ctx, r.user, meta, r.ic.View.Hash, msgNoFavourites)
	}
	id, err := strconv.ParseInt(r.action.Value, 10, 64)
	if err != nil || id <= 0 {
		return b.publishHome(ctx, r.user, meta, r.ic.View.Hash, mdf("That button doesn't work any more."))
	}
	if err := b.activity.SetFavourite(ctx, r.user, id, false); err != nil {
		_ = b.publishHome(ctx, r.user, meta, r.ic.View.Hash, msgUnavailable)
		return err
	}
	return b.publishHome(ctx, r.user, meta, r.ic.View.Hash, mdf("Taken out of your favourites."))
}

// homeFavourites: the favourites' Previous and More.
func (b *Bot) homeFavourites(ctx context.Context, r *request) error {
	meta := readHomeMeta(r.ic.View.PrivateMetadata)
	n, err := strconv.Atoi(r.action.Value)
	if err != nil || n < 0 || n > maxFavsPage*favsPageSize {
		n = 0
	}
	meta.Favs = n
	return b.publishHome(ctx, r.user, meta, r.ic.View.Hash, md{})
}

// homeAdd: an admin's "Add a sticker" opens the add modal; the
// confirmation shows on the Home tab.
func (b *Bot) homeAdd(ctx context.Context, r *request) error {
	meta := readHomeMeta(r.ic.View.PrivateMetadata)
	return b.openModal(ctx, r, r.ic.TriggerID, nil, modalMeta{Home: &meta})
}

// homeChosen is the conversation chosen in the Home tab's "Send to", or "".
func homeChosen(ic *slack.InteractionCallback) string {
	return chosenIn(ic, blockHomeWhere, actionHomeWhere)
}

// readHomeMeta reads a Home view's private_metadata; what is not ours
// reads as nothing chosen.
func readHomeMeta(s string) homeMeta {
	var m homeMeta
	if json.Unmarshal([]byte(s), &m) != nil || (m.Channel != "" && !conversationID.MatchString(m.Channel)) || m.Favs < 0 {
		return homeMeta{}
	}
	return m
}

// publishHome publishes user's Home tab, with note at its top. hash is the
// view the click came from ("" on opening): if the tab changed since (a
// newer publish, by another click or replica), Slack refuses it and the
// newer one stays. Slack refusing it otherwise is logged, not retried:
// the next opening publishes again.
func (b *Bot) publishHome(ctx context.Context, user string, meta homeMeta, hash string, note md) error {
	ctx, cancel := context.WithTimeout(ctx, homeTimeout)
	defer cancel()
	var (
		home sticker.Home
		err  error
	)
	admin := b.isAdmin(user)
	if b.activity != nil {
		q := sticker.HomeQuery{User: user, Now: time.Now(), Limit: homeShelf, FavouritesOffset: meta.Favs, Team: admin, Days: homeDays}
		home, err = b.activity.Home(ctx, q)
		if err == nil && len(home.Favourites) == 0 && home.FavouritesTotal > 0 && meta.Favs > 0 {
			// Past the last favourite (one taken out on the last page):
			// the last page.
			meta.Favs = int((home.FavouritesTotal - 1) / homeShelf * homeShelf)
			q.FavouritesOffset = meta.Favs
			home, err = b.activity.Home(ctx, q)
		}
		if err != nil {
			b.log.Warn("cannot read the Home tab", "user", user, "err", err)
			note = joinMD(" ", note, msgUnavailable)
		}
	}
	view := homeView(home, meta, admin, b.activity != nil && err == nil, note)
	req := slack.PublishViewContextRequest{UserID: user, View: view}
	if hash != "" {
		req.Hash = &hash
	}
	_, perr := b.slack.PublishViewContext(ctx, req)
	if slackError(perr) == "hash_conflict" && note.s != "" {
		// A newer tab (another click, an opening) went out since this
		// click's: publish once more over it, or what this click did (a
		// sticker sent, or why not) would never show. Once: the next
		// conflict leaves the newer one.
		req.Hash = nil
		_, perr = b.slack.PublishViewContext(ctx, req)
	}
	if slackError(perr) == "invalid_arguments" {
		// Most likely an image Slack cannot fetch any more (a dead URL, a
		// lost file): one sticker must not keep everyone's tab from
		// updating, so it goes out with names only.
		b.log.Warn("Slack refused a Home tab; publishing it without images", "user", user, "err", perr)
		req.View.Blocks.BlockSet = withoutImages(req.View.Blocks.BlockSet)
		_, perr = b.slack.PublishViewContext(ctx, req)
	}
	switch slackError(perr) {
	case "":
	case "hash_conflict":
		b.log.Info("the Home tab changed meanwhile; the newer one stays", "user", user)
		return nil
	case "not_enabled":
		b.log.Warn("cannot publish the Home tab: it is turned off in the app's settings (App Home → Show Tabs → Home Tab)", "user", user)
		return nil
	default:
		return fmt.Errorf("publish the Home tab (is it on? App Home → Show Tabs → Home Tab): %w", b.wrapSlack("views.publish", perr))
	}
	return err
}

// homeView is the Home tab: at most about 60 blocks (Block Kit allows
// 100), far below 250 kB. ok is false when the library could not be read:
// only the search button and the note show then.
func homeView(h sticker.Home, meta homeMeta, admin, ok bool, note md) slack.HomeTabViewRequest {
	raw, _ := json.Marshal(meta)
	blocks := []slack.Block{slack.NewHeaderBlock(plain("Stickers"))}
	if note.s != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(note), nil, nil))
	}
	intro := mdf("Search the sticker library, in any language, or send one of yours below.")
	if ok {
		intro = mdf("*%s* to search, in any language, or send one of yours below.", stickers(h.Library))
	}
	search := slack.NewButtonBlockElement(actionHomeSearch, "search", plain("Search stickers")).WithStyle(slack.StylePrimary)
	blocks = append(blocks, slack.NewSectionBlock(mrkdwn(intro), nil, slack.NewAccessory(search)))

	where := slack.NewOptionsSelectBlockElement(slack.OptTypeConversations, plain("Send to…"), actionHomeWhere)
	where.Filter = &slack.SelectBlockElementFilter{Include: []string{"public", "private"}, ExcludeBotUsers: true}
	if meta.Channel != "" {
		where.InitialConversation = meta.Channel
	}
	controls := []slack.BlockElement{where}
	if admin {
		controls = append(controls, slack.NewButtonBlockElement(actionHomeAdd, "add", plain("Add a sticker")))
	}
	blocks = append(blocks, slack.NewActionBlock(blockHomeWhere, controls...))
	hint := mdf("*Send to*: choose the channel your Sends from here go to. I post where I'm a member: `/invite @stickerbot` brings me in.")
	if meta.Channel != "" {
		hint = mdf("*Send* posts to %s. `/sticker <words>` in any channel searches there.", conversationName(meta.Channel))
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn(hint)))
	if !ok {
		return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}, PrivateMetadata: string(raw)}
	}

	send := func(st sticker.Sticker) *slack.ButtonBlockElement {
		return slack.NewButtonBlockElement(actionHomeSend, strconv.FormatInt(st.ID, 10), plain("Send")).WithStyle(slack.StylePrimary)
	}
	blocks = append(blocks, slack.NewDividerBlock())
	head := mdf("*Your favourites*")
	if h.FavouritesTotal > int64(len(h.Favourites)) {
		head = mdf("*Your favourites* · %s–%s of %s", count(int64(meta.Favs+1)), count(int64(meta.Favs+len(h.Favourites))), count(h.FavouritesTotal))
	}
	blocks = append(blocks, slack.NewSectionBlock(mrkdwn(head), nil, nil))
	if len(h.Favourites) == 0 {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(mdf("Press ☆ Favourite on a sticker's preview to keep it here."))))
	}
	for _, st := range h.Favourites {
		unfav := slack.NewButtonBlockElement(actionHomeUnfavourite, strconv.FormatInt(st.ID, 10), plain("★ Favourite"))
		blocks = append(blocks, stickerRow(st, md{}, send(st), unfav)...)
	}
	var nav []slack.BlockElement
	if meta.Favs > 0 {
		nav = append(nav, slack.NewButtonBlockElement(actionHomeFavsPrev, strconv.Itoa(max(0, meta.Favs-homeShelf)), plain("Previous")))
	}
	if int64(meta.Favs+len(h.Favourites)) < h.FavouritesTotal {
		nav = append(nav, slack.NewButtonBlockElement(actionHomeFavsNext, strconv.Itoa(meta.Favs+homeShelf), plain("More")))
	}
	if len(nav) > 0 {
		blocks = append(blocks, slack.NewActionBlock("home_favs_nav", nav...))
	}

	blocks = append(blocks, slack.NewSectionBlock(mrkdwn(mdf("*You sent recently*")), nil, nil))
	if len(h.Recents) == 0 {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(mdf("Nothing yet: the stickers you send show up here."))))
	}
	for _, st := range h.Recents {
		blocks = append(blocks, stickerRow(st, md{}, send(st))...)
	}

	blocks = append(blocks, slack.NewSectionBlock(mrkdwn(mdf("*The team's most sent this week*")), nil, nil))
	if len(h.Popular) == 0 && (h.Team == nil || h.Team.WeekSends == 0) {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(mdf("Nothing was sent this week yet."))))
	}
	for _, c := range h.Popular {
		blocks = append(blocks, stickerRow(c.Sticker, mdf("%s this week", sentText(c.Sends)), send(c.Sticker))...)
	}

	if admin && h.Team != nil {
		blocks = append(blocks, slack.NewDividerBlock(), slack.NewHeaderBlock(plain("For sticker admins")))
		blocks = append(blocks, statsBlocks(*h.Team)...)
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(newestText(h.Newest)), nil, nil))
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}, PrivateMetadata: string(raw)}
}

// newestText lists the latest additions.
func newestText(sts []sticker.Sticker) md {
	if len(sts) == 0 {
		return mdf("*Newest additions*: none yet. Add one with `/sticker add`.")
	}
	lines := []md{mdf("*Newest additions*")}
	for _, st := range sts {
		lines = append(lines, mdf("• %s · added %s", bold(st.Name), st.CreatedAt.UTC().Format("2 Jan 2006")))
	}
	return joinMD("\n", lines...)
}

// statsBlocks are the team's numbers: the week in a sentence, sends per
// day as bars, the top stickers and the never-sent ones; four blocks.
func statsBlocks(s sticker.Stats) []slack.Block {
	week := mdf("*This week* · %s by %s · the library: %s",
		stickers(s.WeekSends), persons(s.WeekSenders), stickers(s.Library))
	top := topText(mdf("*Most sent this week*"), s.Top, s.WeekSends,
		mdf("Nothing was sent this week."), mdf("Only stickers deleted since were sent this week."))
	never := mdf("*Never sent, ever*: none, every sticker was sent at least once.")
	if s.NeverSent > 0 {
		names := make([]md, len(s.NeverSentSample))
		for i, st := range s.NeverSentSample {
			names[i] = bold(st.Name)
		}
		never = mdf("*Never sent, ever* (%s of %s): %s", count(s.NeverSent), stickers(s.Library), joinMD(", ", names...))
		if s.NeverSent > int64(len(names)) {
			never = mdf("%s, … (`/sticker list` shows them all)", never)
		}
	}
	return []slack.Block{
		slack.NewSectionBlock(mrkdwn(week), nil, nil),
		slack.NewSectionBlock(mrkdwn(joinMD("\n", mdf("*Sent per day* (UTC)"), bars(s.Days))), nil, nil),
		slack.NewSectionBlock(mrkdwn(top), nil, nil),
		slack.NewSectionBlock(mrkdwn(never), nil, nil),
	}
}

// topText is a numbered list of the most sent stickers under title; of
// sends sent in all, none at all says none, and none of them in top (the
// stickers were deleted since) says deleted.
func topText(title md, top []sticker.StickerCount, sends int64, none, deleted md) md {
	lines := []md{title}
	for i, c := range top {
		lines = append(lines, mdf("%d. %s · %s", i+1, bold(c.Sticker.Name), count(c.Sends)))
	}
	switch {
	case sends == 0:
		lines = append(lines, none)
	case len(top) == 0:
		lines = append(lines, deleted)
	}
	return joinMD("\n", lines...)
}

// bars draws sends per day as a code block: a bar per day, the longest
// homeBarLen characters, each with its count.
func bars(days []sticker.DayCount) md {
	var most int64
	for _, d := range days {
		most = max(most, d.Sends)
	}
	lines := make([]string, len(days))
	for i, d := range days {
		n := 0
		if most > 0 {
			n = int((d.Sends*homeBarLen + most - 1) / most)
		}
		lines[i] = fmt.Sprintf("%s %-*s %s", d.Day.UTC().Format("Mon 02 Jan"), homeBarLen, strings.Repeat("█", n), count(d.Sends))
	}
	if len(lines) == 0 {
		return md{}
	}
	return md{"```" + escape(strings.Join(lines, "\n")) + "```"}
}

// persons says "1 person", "12 people".
func persons(n int64) string {
	if n == 1 {
		return "1 person"
	}
	return count(n) + " people"
}
