package handlers

// Talking back to Slack, and reading what it says when it refuses.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// replyTo says where a reply goes: the payload's response_url when it has
// one, else an ephemeral message to user in channel (mentions).
type replyTo struct {
	responseURL string
	channel     string
	user        string
	threadTS    string
}

// reachable reports whether a reply can go anywhere.
func (to replyTo) reachable() bool {
	return to.responseURL != "" || (to.channel != "" && to.user != "")
}

// reply modes for response_url replies.
type replyMode int

const (
	replyNew     replyMode = iota // a new ephemeral message
	replyReplace                  // replace the message whose button was clicked
	replyDelete                   // delete the message whose button was clicked
)

// respond sends blocks to where to says, as an ephemeral message; text
// is its notification text.
func (b *Bot) respond(ctx context.Context, to replyTo, mode replyMode, text md, blocks []slack.Block) error {
	opts := []slack.MsgOption{slack.MsgOptionText(text.s, false)}
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
func (b *Bot) notice(ctx context.Context, to replyTo, mode replyMode, text md) {
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

// refusedBlocks reports whether Slack refused a message's blocks: the Web
// API says invalid_blocks; a response_url answers 400.
func refusedBlocks(err error) bool {
	var sc slack.StatusCodeError
	return slackError(err) == "invalid_blocks" || (errors.As(err, &sc) && sc.Code == http.StatusBadRequest)
}
