package handlers

// The Block Kit the bot shows, and the texts it says. Every mrkdwn text
// is an md (text.go), so it went through escape; plain_text fields take
// strings as they are, and hold no markup (Slack shows it literally).

import (
	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// Block Kit limits the messages stay within.
const (
	maxTextLen    = 3000 // section and context text
	maxAltTextLen = 2000
	maxTitleLen   = 2000
)

// mrkdwn is a mrkdwn text object; past Block Kit's limit it is cut (an
// entity or markup cut in two shows as text, never as a control sequence).
func mrkdwn(m md) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, clip(m.s, maxTextLen), false, false)
}

// plain is a plain_text object: shown as written, no markup.
func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// stickerImage is where a sticker's image comes from: its Slack file, or
// its URL as Block Kit takes it; ok is false when it has neither (an
// image URL stored before URLs were normalised, which could not be made
// valid).
func stickerImage(st sticker.Sticker) (url string, file *slack.SlackFileObject, ok bool) {
	if st.ImageURL == "" && st.SlackFileID != "" {
		return "", &slack.SlackFileObject{ID: st.SlackFileID}, true
	}
	u, err := sticker.NormalizeImageURL(st.ImageURL)
	if err != nil {
		return "", nil, false
	}
	return u, nil, true
}

// imageBlock shows a sticker from its URL or its Slack file; ok is false
// when it has neither that Block Kit takes (see stickerImage).
func imageBlock(st sticker.Sticker) (b slack.Block, ok bool) {
	u, file, ok := stickerImage(st)
	if !ok {
		return nil, false
	}
	alt := clip(st.Name, maxAltTextLen)
	title := plain(clip(st.Name, maxTitleLen))
	if file != nil {
		return slack.NewImageBlockSlackFile(file, alt, "", title), true
	}
	return slack.NewImageBlock(u, alt, "", title), true
}

// imageElement is a sticker's image as a small picture beside text (a
// picker's result); ok is false as for imageBlock.
func imageElement(st sticker.Sticker) (e *slack.ImageBlockElement, ok bool) {
	u, file, ok := stickerImage(st)
	if !ok {
		return nil, false
	}
	alt := clip(st.Name, maxAltTextLen)
	if file != nil {
		return slack.NewImageBlockElementSlackFile(file, alt), true
	}
	return slack.NewImageBlockElement(u, alt), true
}

// withoutImages returns blocks without their images (image blocks, and
// pictures beside a section's text), for when Slack refuses one.
func withoutImages(blocks []slack.Block) []slack.Block {
	var out []slack.Block
	for _, b := range blocks {
		switch s, _ := b.(*slack.SectionBlock); {
		case b.BlockType() == slack.MBTImage:
			continue
		case s != nil && s.Accessory != nil && s.Accessory.ImageElement != nil:
			c := *s
			c.Accessory = nil
			b = &c
		}
		out = append(out, b)
	}
	return out
}

// withImage puts st's image block, if it has one, before blocks.
func withImage(st sticker.Sticker, blocks ...slack.Block) []slack.Block {
	if img, ok := imageBlock(st); ok {
		return append([]slack.Block{img}, blocks...)
	}
	return blocks
}

// stickerLine is a sticker's name in bold and its tags as code.
func stickerLine(st sticker.Sticker) md {
	tags := make([]md, len(st.Tags))
	for i, t := range st.Tags {
		tags[i] = code(t)
	}
	if len(tags) == 0 {
		return bold(st.Name)
	}
	return mdf("%s · %s", bold(st.Name), joinMD(" ", tags...))
}

// place is where a preview's sticker stands among its query's matches.
type place struct {
	pos    int  // from 0
	total  int  // how many match, counted up to search.TotalCap
	capped bool // more than total match
}

// only reports whether the sticker is the one match.
func (p place) only() bool { return p.total <= 1 && !p.capped }

// last reports whether no match follows the sticker.
func (p place) last() bool { return !p.capped && p.pos+1 >= p.total }

// of says "2 of 7", or "2 of 1,000+" when the count was capped.
func (p place) of() string {
	total := count(int64(max(p.total, p.pos+1)))
	if p.capped {
		total += "+"
	}
	return count(int64(p.pos+1)) + " of " + total
}

// star is the preview's favourite button: none (favourites are not kept),
// ☆ (not a favourite: a click adds it) or ★ (one: a click takes it out).
type star int

const (
	starNone star = iota
	starOff
	starOn
)

// button is the star's button, carrying the preview's value; each state
// has its own action, so a second click on a stale preview repeats the
// first instead of undoing it.
func (s star) button(value string) *slack.ButtonBlockElement {
	if s == starOn {
		return slack.NewButtonBlockElement(actionUnfavourite, value, plain("★ Favourite"))
	}
	return slack.NewButtonBlockElement(actionFavourite, value, plain("☆ Favourite"))
}

// previewMessage is the ephemeral preview: the sticker, what it is, where
// it stands among the matches, and Send / Next / Cancel, as /giphy does,
// with ☆ to keep it among the user's favourites. The one match offers no
// Next: there is nothing else to see.
func previewMessage(st sticker.Sticker, state buttonState, at place, fav star, note md) []slack.Block {
	value := state.encode()
	where := mdf("%s for “%s”", at.of(), state.Query)
	if at.only() {
		where = mdf("The only match for “%s”", state.Query)
	}
	buttons := []slack.BlockElement{
		slack.NewButtonBlockElement(actionSend, value, plain("Send")).WithStyle(slack.StylePrimary),
	}
	if !at.only() {
		next := "Next"
		if at.last() {
			next = "Start over"
		}
		buttons = append(buttons, slack.NewButtonBlockElement(actionNext, value, plain(next)))
	}
	if fav != starNone {
		buttons = append(buttons, fav.button(value))
	}
	buttons = append(buttons, slack.NewButtonBlockElement(actionCancel, value, plain("Cancel")))
	if _, ok := imageBlock(st); !ok {
		note = joinMD(" · ", note, msgNoImage)
	}
	return withImage(st,
		slack.NewContextBlock("", mrkdwn(stickerLine(st)), mrkdwn(joinMD(" · ", note, where))),
		slack.NewActionBlock("sticker_preview", buttons...),
	)
}

// previewText is the notification and screen-reader text of a preview.
func previewText(st sticker.Sticker) md { return mdf("Sticker preview: %s", st.Name) }

// origin is how a sticker was asked for, which its attribution says. A
// new way to send adds its own here.
type origin byte

const (
	originUnknown  origin = '-' // a preview made before the origin was kept
	originCommand  origin = 'c' // /sticker
	originMention  origin = 'm' // @stickerbot
	originPicker   origin = 'p' // the picker of "/sticker" alone
	originReply    origin = 'r' // the picker of the "Reply with a sticker" message shortcut
	originShortcut origin = 'g' // the picker of the "Send a sticker" global shortcut
	originDM       origin = 'd' // a direct message to the bot
	originFavs     origin = 'f' // /sticker favs
	originHome     origin = 'h' // the Home tab
)

// how is the attribution's end: "with /sticker". It says how others can
// send one too.
func (o origin) how() string {
	switch o {
	case originCommand:
		return " with /sticker"
	case originMention:
		return " with @stickerbot"
	case originPicker:
		return " from the /sticker picker"
	case originReply:
		return " with the Reply with a sticker shortcut"
	case originShortcut:
		return " with the Send a sticker shortcut"
	case originDM:
		return " from a message to @stickerbot"
	case originFavs:
		return " from their /sticker favs"
	case originHome:
		return " from the stickerbot Home tab"
	}
	return ""
}

// sender is who sent a sticker, as its message shows them: by name and
// picture, never by a mention, which would notify them of their own
// sticker.
type sender struct {
	Name   string // what Slack shows for them; "" when unknown
	Avatar string // a picture of them (users.info's image_48), or ""
}

// sentMessage is what the channel sees after Send, and its notification
// text: the sticker, then who sent it and how. Every way of sending a
// sticker posts this. The attribution's block_id carries the send's key,
// which the "Remove sticker" shortcut reads back from the message.
func sentMessage(st sticker.Sticker, by sender, how origin, key string) ([]slack.Block, md) {
	var context []slack.MixedElement
	if by.Avatar != "" {
		context = append(context, slack.NewImageBlockElement(by.Avatar, clip(by.Name, maxAltTextLen)))
	}
	line, text := mdf("Sent%s", how.how()), mdf("%s (sticker)", st.Name)
	if by.Name != "" {
		line = mdf("Sent by %s%s", bold(by.Name), how.how())
		text = mdf("%s, sent by %s", st.Name, by.Name)
	}
	context = append(context, mrkdwn(line))
	if _, ok := imageBlock(st); !ok {
		// Nothing Slack could show: the sticker goes by its name.
		return []slack.Block{slack.NewSectionBlock(mrkdwn(bold(st.Name)), nil, nil), slack.NewContextBlock(sentBlockPrefix+key, context...)}, text
	}
	return withImage(st, slack.NewContextBlock(sentBlockPrefix+key, context...)), text
}

// noticeMessage is a one-section message.
func noticeMessage(text md) []slack.Block {
	return []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}
}

var usageText = mdf("*Stickers*\n" +
	"• `/sticker`: pick from a grid that follows what you type, then *Send*\n" +
	"• `/sticker search <words>` or `/sticker <words>`: preview the best match, then *Send*, *Next* or *Cancel*; *☆ Favourite* keeps it\n" +
	"• `@stickerbot <words>` in a channel does the same, and so does a direct message to me\n" +
	"• *Reply with a sticker* in a message's menu posts in its thread; *Send a sticker* in the shortcuts menu posts anywhere; " +
	"*Remove sticker* in a sticker's menu takes back one you sent\n" +
	"• `/sticker favs`: your favourites · `/sticker stats`: your numbers · my *Home* tab: both, and the team's most sent\n" +
	"• `/sticker help`: this message\n" +
	"Admins: `/sticker add`, `/sticker edit <name>`, `/sticker delete <name>`, `/sticker list`, and the team's `/sticker stats`")

// dmUsageText answers a greeting in a direct message.
var dmUsageText = joinMD("\n", mdf("Hi! Send me a few words (`cat`, `고양이`, `ねこ`) and I'll show the best sticker for them."), usageText)

// Messages users see when something goes wrong. They say what to do next.
var (
	msgUnavailable = mdf("Stickers are unavailable right now, try again in a minute.")
	msgBusy        = mdf("I'm busy right now, try again in a few seconds.")
	msgFailed      = mdf("Sorry, something went wrong on my side. Please try again.")
	msgBadButton   = mdf("That button no longer works. Search again with `/sticker <words>`.")
	msgGone        = mdf("That sticker was deleted. Search again with `/sticker <words>`.")
	msgNoImage     = mdf("Slack can't show this sticker's image; tell a sticker admin")
	msgTooLong     = mdf("That search is too long: use at most %d characters.", sticker.MaxQueryLen)
)

func noMatchText(query string) md {
	return mdf("No sticker matches “%s”. Try fewer or other words (tags work too, in any language), or `/sticker help`.", query)
}
