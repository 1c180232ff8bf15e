package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/config"
	"github.com/stickerbot/stickerbot/internal/socket"
)

// tokenRefusal says what Slack's answer to a token means, and whether no
// retry can change it.
func tokenRefusal(code string) (meaning string, final bool) {
	switch code {
	case "invalid_auth":
		return "Slack knows no such token: mistyped, cut short, or of an app or workspace that is gone", true
	case "not_authed":
		return "no token reached Slack", true
	case "token_revoked":
		return "the token was revoked: the app was uninstalled or the token regenerated", true
	case "token_expired":
		return "the token expired: the app has token rotation on (turn it off under OAuth & Permissions and reinstall)", true
	case "account_inactive":
		return "the token's bot user or workspace was deactivated", true
	case "not_allowed_token_type":
		return "Slack does not take this kind of token here", true
	case "ekm_access_denied":
		return "the workspace's administrators suspended the app's access", true
	case "missing_scope":
		return "the token lacks a scope the bot needs", true
	}
	// internal_error, fatal_error, service_unavailable, request_timeout,
	// org_login_required (a workspace migration) and what Slack may add:
	// worth waiting out.
	return "", false
}

// slackCode returns the error code of a Web API answer with ok: false.
func slackCode(err error) (string, bool) {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err, true
	}
	return "", false
}

// rejectedToken is the one line for a token Slack refuses: the variable,
// what Slack said, and where to get the right one.
func rejectedToken(variable, code, meaning, help string) error {
	return usageError{fmt.Errorf("%s was rejected by Slack (%s: %s): set it to %s", variable, code, meaning, help)}
}

// checkBotToken asks Slack who the bot token belongs to (auth.test),
// before the bot says it is running. A token Slack refuses is a
// usageError naming SLACK_BOT_TOKEN; a Slack that does not answer (network
// errors, 5xx, rate limits, which the client retries a few times itself)
// is waited for, with backoff, until ctx ends.
func checkBotToken(ctx context.Context, api *slack.Client, logger *slog.Logger) (*slack.AuthTestResponse, error) {
	delay := time.Second
	for {
		who, err := api.AuthTestContext(ctx)
		if err == nil {
			return who, nil
		}
		if code, ok := slackCode(err); ok {
			if meaning, final := tokenRefusal(code); final {
				return nil, rejectedToken("SLACK_BOT_TOKEN", code, meaning, config.BotTokenHelp)
			}
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("check SLACK_BOT_TOKEN: %w", ctx.Err())
		}
		wait := delay
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) && rl.RetryAfter > wait {
			wait = rl.RetryAfter
		}
		logger.Warn("Slack not reachable yet, retrying", "method", "auth.test", "in", wait.String(), "err", err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("check SLACK_BOT_TOKEN: %w", ctx.Err())
		case <-time.After(wait):
		}
		delay = min(delay*2, 30*time.Second)
	}
}

// appTokenMistake turns the Socket Mode manager's error for an app token
// Slack refuses into the one line naming SLACK_APP_TOKEN; other errors
// pass through.
func appTokenMistake(err error) error {
	if !errors.Is(err, socket.ErrInvalidAppToken) {
		return err
	}
	code, _ := slackCode(err)
	meaning, _ := tokenRefusal(code)
	if meaning == "" {
		meaning = "Slack refuses it for Socket Mode"
	}
	return rejectedToken("SLACK_APP_TOKEN", code, meaning, config.AppTokenHelp)
}

// libraryCheckTimeout bounds the start-up check of STICKER_LIBRARY_CHANNEL.
const libraryCheckTimeout = 20 * time.Second

// checkLibraryChannel reports whether the library channel can show the
// images the bot keeps there: it exists, is public, is not archived and
// the bot is a member. When it cannot, it logs a warning that says what
// to fix. When the check itself fails (Slack away, the app installed
// without channels:read) it says so and reports true: uploads are offered
// as they were before the check existed.
func checkLibraryChannel(ctx context.Context, api *slack.Client, channel string, logger *slog.Logger) bool {
	ctx, cancel := context.WithTimeout(ctx, libraryCheckTimeout)
	defer cancel()
	const until = "; until then the add form offers no upload, and uploaded stickers stay hidden"
	log := logger.With("variable", "STICKER_LIBRARY_CHANNEL", "channel", channel)
	ch, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: channel})
	code, _ := slackCode(err)
	switch {
	case code == "channel_not_found":
		log.Warn("STICKER_LIBRARY_CHANNEL names no channel the bot can see: use the ID of a public channel (channel name → About → Channel ID), /invite @stickerbot there, and restart the bot" + until)
		return false
	case code == "missing_scope":
		log.Warn("cannot check STICKER_LIBRARY_CHANNEL: the app lacks the channels:read scope; reinstall it from manifest.yaml (Install App → Reinstall to Workspace)")
		return true
	case err != nil:
		log.Warn("cannot check STICKER_LIBRARY_CHANNEL now; uploads are offered anyway", "err", err)
		return true
	}
	log = log.With("name", "#"+ch.Name)
	switch {
	case ch.IsIM || ch.IsMpIM || ch.IsPrivate:
		log.Warn("STICKER_LIBRARY_CHANNEL is a private conversation, whose images Slack shows only to its members: use a public channel's ID, /invite @stickerbot there, and restart the bot" + until)
	case ch.IsArchived:
		log.Warn("STICKER_LIBRARY_CHANNEL is archived: unarchive it or use another public channel's ID, and restart the bot" + until)
	case !ch.IsMember:
		log.Warn("the bot is not a member of STICKER_LIBRARY_CHANNEL: type /invite @stickerbot in that channel and restart the bot" + until)
	default:
		log.Info("the library channel is ready for uploaded images")
		return true
	}
	return false
}
