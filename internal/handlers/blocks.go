package handlers

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// Block Kit limits the messages stay within.
const (
	maxTextLen    = 3000 // section and context text
	maxAltTextLen = 2000
	maxTitleLen   = 2000
)

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, clip(s, maxTextLen), false, false)
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// imageBlock shows a sticker from its URL or its Slack file.
func imageBlock(st sticker.Sticker) slack.Block {
	alt := clip(st.Name, maxAltTextLen)
	title := plain(clip(st.Name, maxTitleLen))
	if st.ImageURL == "" && st.SlackFileID != "" {
		return slack.NewImageBlockSlackFile(&slack.SlackFileObject{ID: st.SlackFileID}, alt, "", title)
	}
	return slack.NewImageBlock(st.ImageURL, alt, "", title)
}

// tagList renders tags for mrkdwn, escaped.
func tagList(tags []string) string {
	if len(tags) == 0 {
		return ""
	}
	esc := make([]string, len(tags))
	for i, t := range tags {
		esc[i] = "`" + escape(strings.ReplaceAll(t, "`", "'")) + "`"
	}
	return " · " + strings.Join(esc, " ")
}

// previewMessage is the ephemeral preview: the sticker, what it is, and
// Send / Next / Cancel, as /giphy does.
func previewMessage(st sticker.Sticker, state buttonState, more bool, note string) []slack.Block {
	value := state.encode()
	info := fmt.Sprintf("*%s*%s", escape(st.Name), tagList(st.Tags))
	context := fmt.Sprintf("Result %d for “%s”", state.Pos+1, escape(state.Query))
	if !more {
		context += " (the last one)"
	}
	context = joinNotes(note, context)
	next := "Next"
	if !more {
		next = "Start over"
	}
	return []slack.Block{
		imageBlock(st),
		slack.NewContextBlock("", mrkdwn(info), mrkdwn(context)),
		slack.NewActionBlock("sticker_preview",
			slack.NewButtonBlockElement(actionSend, value, plain("Send")).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement(actionNext, value, plain(next)),
			slack.NewButtonBlockElement(actionCancel, value, plain("Cancel")),
		),
	}
}

// joinNotes joins the non-empty notes of a context line.
func joinNotes(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " · " + b
}

// previewText is the notification and screen-reader text of a preview.
func previewText(st sticker.Sticker) string {
	return "Sticker preview: " + escape(st.Name)
}

// sentMessage is what the channel sees after Send.
func sentMessage(st sticker.Sticker, user string) ([]slack.Block, string) {
	by := fmt.Sprintf("sent by <@%s>", user)
	return []slack.Block{
		imageBlock(st),
		slack.NewContextBlock("", mrkdwn(by+" with /sticker")),
	}, escape(st.Name) + " (" + by + ")"
}

// noticeMessage is a one-section message.
func noticeMessage(text string) []slack.Block {
	return []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}
}

const usageText = "*Stickers*\n" +
	"• `/sticker`: pick from a grid that follows what you type, then *Send*\n" +
	"• `/sticker search <words>` or `/sticker <words>`: preview the best match, then *Send*, *Next* or *Cancel*\n" +
	"• *Reply with a sticker* in a message's menu posts in its thread; *Send a sticker* in the shortcuts menu posts anywhere\n" +
	"• `@stickerbot <words>` in a channel does the same\n" +
	"• `/sticker help`: this message\n" +
	"Admins: `/sticker add`, `/sticker edit <name>`, `/sticker delete <name>`, `/sticker list`"

// Messages users see when something goes wrong. They say what to do next.
const (
	msgUnavailable = "Stickers are unavailable right now, try again in a minute."
	msgBusy        = "I'm busy right now, try again in a few seconds."
	msgFailed      = "Sorry, something went wrong on my side. Please try again."
	msgBadButton   = "That button no longer works. Search again with `/sticker <words>`."
	msgGone        = "That sticker was deleted. Search again with `/sticker <words>`."
	msgNoImage     = "Slack can't show this sticker's image; tell a sticker admin"
)

var msgTooLong = fmt.Sprintf("That search is too long: use at most %d characters.", sticker.MaxQueryLen)

func noMatchText(query string) string {
	return fmt.Sprintf("No sticker matches “%s”. Try fewer or other words (tags work too, in any language), or `/sticker help`.", escape(query))
}
