package handlers

// Searching, and the preview with its Next and Cancel buttons.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// searchCommand: "/sticker <words>" and "/sticker search <words>".
func (b *Bot) searchCommand(ctx context.Context, r *request) error {
	return b.find(ctx, r.to, r.arg, originCommand)
}

// help: "/sticker", "/sticker help", and a mistyped verb.
func (b *Bot) help(ctx context.Context, r *request) error {
	return b.respond(ctx, r.to, replyNew, mdf("How to use /sticker"), noticeMessage(usageText))
}

var leadingMentions = regexp.MustCompile(`^(\s*<@[A-Z0-9]+(\|[^>]*)?>)+`)

// mention: "@stickerbot <words>" searches as the command does; it takes no
// other verb (a modal needs a command's trigger_id), so anything else
// gets the usage.
func (b *Bot) mention(ctx context.Context, r *request) error {
	// parseCommand decodes Slack's entities, once: the mentions are
	// stripped first, while their brackets are still real.
	if c := parseCommand(leadingMentions.ReplaceAllString(r.event.Event.Text, "")); c.Verb == verbSearch {
		return b.find(ctx, r.to, c.Arg, originMention)
	}
	return b.respond(ctx, r.to, replyNew, mdf("How to use stickerbot"), noticeMessage(usageText))
}

// find shows the best match for query as a preview; how says how it was
// asked for, which the sticker's attribution will say.
func (b *Bot) find(ctx context.Context, to replyTo, query string, how origin) error {
	// The query travels in the buttons: keep it as short as its meaning.
	query = strings.Join(strings.Fields(norm.NFC.String(query)), " ")
	if utf8.RuneCountInString(query) > sticker.MaxQueryLen {
		b.notice(ctx, to, replyNew, msgTooLong)
		return nil
	}
	q, err := search.ParseQuery(query)
	switch {
	case errors.Is(err, search.ErrEmptyQuery):
		return b.respond(ctx, to, replyNew, mdf("How to use /sticker"), noticeMessage(usageText))
	case errors.Is(err, search.ErrQueryTooLong):
		b.notice(ctx, to, replyNew, msgTooLong)
		return nil
	}
	m, at, err := b.matchAt(ctx, q, 0)
	if err == nil || errors.Is(err, sticker.ErrNotFound) {
		b.obs.SearchResult(err == nil)
	}
	if errors.Is(err, sticker.ErrNotFound) {
		b.notice(ctx, to, replyNew, noMatchText(query))
		return nil
	}
	if err != nil {
		b.notice(ctx, to, replyNew, msgUnavailable)
		return err
	}
	state := buttonState{StickerID: m.ID, Pos: 0, Origin: how, ThreadTS: to.threadTS, Query: query}
	return b.preview(ctx, to, replyNew, m.Sticker, state, at, md{})
}

// matchAt returns q's match at position pos (from 0) and where it
// stands, or sticker.ErrNotFound past the last match.
func (b *Bot) matchAt(ctx context.Context, q search.Query, pos int) (search.Match, place, error) {
	start := time.Now()
	page, err := b.searcher.Search(ctx, q, pos, 1)
	b.obs.Searched(time.Since(start))
	if err != nil {
		return search.Match{}, place{}, err
	}
	if len(page.Matches) == 0 {
		return search.Match{}, place{}, fmt.Errorf("search %q at %d: %w", q.String(), pos, sticker.ErrNotFound)
	}
	return page.Matches[0], place{pos: pos, total: page.Total, capped: page.Capped}, nil
}

// next replaces the preview with the following match, or starts over from
// the best one after the last.
func (b *Bot) next(ctx context.Context, r *request) error {
	state, to, ok := b.previewButton(ctx, r)
	if !ok {
		return nil
	}
	q, err := search.ParseQuery(state.Query)
	if err != nil {
		b.notice(ctx, to, replyReplace, msgBadButton)
		return nil
	}
	state.Pos++
	var note md
	m, at, err := b.matchAt(ctx, q, state.Pos)
	if errors.Is(err, sticker.ErrNotFound) && state.Pos > 0 {
		// Past the last match (or the library shrank): wrap around.
		state.Pos, note = 0, mdf("No more matches, back to the best one")
		m, at, err = b.matchAt(ctx, q, 0)
	}
	if errors.Is(err, sticker.ErrNotFound) {
		b.notice(ctx, to, replyReplace, noMatchText(state.Query))
		return nil
	}
	if err != nil {
		b.notice(ctx, to, replyNew, msgUnavailable)
		return err
	}
	state.StickerID = m.ID
	return b.preview(ctx, to, replyReplace, m.Sticker, state, at, note)
}

// cancel removes the preview.
func (b *Bot) cancel(ctx context.Context, r *request) error {
	_, to, ok := b.previewButton(ctx, r)
	if !ok {
		return nil
	}
	return b.respond(ctx, to, replyDelete, md{}, nil)
}

// previewButton reads the state the preview's button carries, and where
// its answers go (the thread of the mention that asked, if any). ok is
// false when the value is none of ours: the user has been told.
func (b *Bot) previewButton(ctx context.Context, r *request) (buttonState, replyTo, bool) {
	to := r.to
	state, err := decodeButton(r.action.Value)
	if err != nil {
		b.log.Warn("bad button value", "envelope_id", r.env.ID, "user", r.user, "action", r.action.ActionID)
		b.notice(ctx, to, replyNew, msgBadButton)
		return state, to, false
	}
	to.threadTS = state.ThreadTS
	return state, to, true
}

// preview shows st as the preview, with the star of user's favourites
// (see starFor). When Slack refuses to show its image (a dead image URL),
// the preview goes out without it, so Next still leads on to the other
// matches.
func (b *Bot) preview(ctx context.Context, to replyTo, mode replyMode, st sticker.Sticker, state buttonState, at place, note md) error {
	return b.previewStarred(ctx, to, mode, st, state, at, b.starFor(ctx, to.user, st.ID), note)
}

// previewStarred is preview with its star known already.
func (b *Bot) previewStarred(ctx context.Context, to replyTo, mode replyMode, st sticker.Sticker, state buttonState, at place, fav star, note md) error {
	err := b.showSticker(ctx, &st, func(st sticker.Sticker) error {
		return b.respond(ctx, to, mode, previewText(st), previewMessage(st, state, at, fav, note))
	})
	if err == nil || !refusedBlocks(err) {
		return err
	}
	b.log.Warn("Slack refused a sticker's image", "sticker_id", st.ID, "err", err)
	blocks := previewMessage(st, state, at, fav, joinMD(" · ", note, msgNoImage))
	return b.respond(ctx, to, mode, previewText(st), withoutImages(blocks))
}
