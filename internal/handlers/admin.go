package handlers

// The library, for admins: who may change it, deleting a sticker (with a
// confirmation), and the list, page by page.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// The library's limits and messages.
const (
	listPageSize     = 10
	maxListPage      = 10_000
	msgAdminsOnly    = "Only sticker admins can change the sticker library."
	msgNoSuchSticker = "There is no sticker named “%s”. See them all with `/sticker list`."
)

func (b *Bot) isAdmin(user string) bool { return user != "" && slices.Contains(b.admins, user) }

// adminOnly lets only sticker admins through to h. Rights are checked on
// the server for every command and every button, whatever the client
// showed: a button's value can be forged, and so can its clicker.
func (b *Bot) adminOnly(h handler) handler {
	return func(ctx context.Context, r *request) error {
		if b.isAdmin(r.user) {
			return h(ctx, r)
		}
		if r.cmd != nil {
			b.log.Info("refused a library command from a non-admin", "user", r.user, "verb", r.verb)
			b.notice(ctx, r.to, replyNew, "Only sticker admins can "+r.verb+" stickers. Ask one of them, or search with `/sticker <words>`.")
			return nil
		}
		table, id := wayIn(r)
		value := ""
		if r.action != nil {
			value = clip(r.action.Value, 100)
		}
		b.log.Warn("refused a library action from a non-admin", "user", r.user, "route", table, "id", id, "value", value)
		b.notice(ctx, r.to, replyNew, msgAdminsOnly)
		return nil
	}
}

// deleteCommand: "/sticker delete <name>" asks to confirm.
func (b *Bot) deleteCommand(ctx context.Context, r *request) error {
	st, ok, err := b.findByName(ctx, r.to, r.arg, r.verb)
	if !ok {
		return err
	}
	return b.respond(ctx, r.to, replyNew, "Delete "+escape(st.Name)+"?", deleteMessage(st))
}

// listCommand: "/sticker list [page]" shows a page of the library.
func (b *Bot) listCommand(ctx context.Context, r *request) error {
	page := 0
	if r.arg != "" {
		n, err := strconv.Atoi(r.arg)
		if err != nil || n < 1 || n > maxListPage {
			b.notice(ctx, r.to, replyNew, "Use `/sticker list` or `/sticker list <page number>`.")
			return nil
		}
		page = n - 1
	}
	return b.showList(ctx, r.to, replyNew, page)
}

// findByName looks up the sticker an edit or delete names, telling the
// admin when there is none; ok is false when the command is answered.
func (b *Bot) findByName(ctx context.Context, to replyTo, name, verb string) (sticker.Sticker, bool, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		b.notice(ctx, to, replyNew, "Which sticker? Use `/sticker "+verb+" <name>`; `/sticker list` shows them all.")
		return sticker.Sticker{}, false, nil
	}
	st, err := b.library.GetByName(ctx, name)
	if errors.Is(err, sticker.ErrNotFound) {
		b.notice(ctx, to, replyNew, fmt.Sprintf(msgNoSuchSticker, escape(clip(name, sticker.MaxNameLen))))
		return st, false, nil
	}
	if err != nil {
		b.notice(ctx, to, replyNew, msgUnavailable)
		return st, false, err
	}
	return st, true, nil
}

// deleteSticker: the confirmation's Delete button.
func (b *Bot) deleteSticker(ctx context.Context, r *request) error {
	id, err := strconv.ParseInt(r.action.Value, 10, 64)
	if err != nil || id <= 0 {
		b.log.Warn("bad delete button value", "user", r.user, "value", clip(r.action.Value, 100))
		b.notice(ctx, r.to, replyNew, msgBadButton)
		return nil
	}
	st, err := b.library.Delete(ctx, id)
	if errors.Is(err, sticker.ErrNotFound) {
		b.notice(ctx, r.to, replyReplace, "That sticker was already deleted.")
		return nil
	}
	if err != nil {
		b.notice(ctx, r.to, replyNew, msgUnavailable)
		return err
	}
	b.log.Info("sticker deleted", "sticker_id", st.ID, "name", st.Name, "user", r.user)
	b.notice(ctx, r.to, replyReplace, fmt.Sprintf("Deleted *%s*. Messages that already show it stay as they are.", escape(st.Name)))
	return nil
}

// keepSticker: the confirmation's Cancel button removes it.
func (b *Bot) keepSticker(ctx context.Context, r *request) error {
	return b.respond(ctx, r.to, replyDelete, "", nil)
}

// listPage: the list's Previous and Next buttons, which carry the page.
func (b *Bot) listPage(ctx context.Context, r *request) error {
	page, err := strconv.Atoi(r.action.Value)
	if err != nil || page < 0 || page > maxListPage {
		b.log.Warn("bad list button value", "user", r.user, "value", clip(r.action.Value, 100))
		b.notice(ctx, r.to, replyNew, msgBadButton)
		return nil
	}
	return b.showList(ctx, r.to, replyReplace, page)
}

// deleteMessage asks for confirmation before deleting st; the button
// carries a confirm dialog too.
func deleteMessage(st sticker.Sticker) []slack.Block {
	confirm := slack.NewConfirmationBlockObject(
		plain("Delete this sticker?"),
		plain(clip("“"+st.Name+"” leaves the library for everyone. Messages that already show it stay.", 300)),
		plain("Delete"), plain("Keep it"),
	).WithStyle(slack.StyleDanger)
	del := slack.NewButtonBlockElement(actionDelete, strconv.FormatInt(st.ID, 10), plain("Delete")).WithStyle(slack.StyleDanger)
	del.Confirm = confirm
	return []slack.Block{
		slack.NewSectionBlock(mrkdwn(fmt.Sprintf("Delete *%s*%s? It was sent %s.", escape(st.Name), tagList(st.Tags), times(st.UsageCount))), nil, nil),
		slack.NewActionBlock("sticker_delete_confirm",
			del,
			slack.NewButtonBlockElement(actionKeep, "keep", plain("Cancel")),
		),
	}
}

func times(n int64) string {
	switch n {
	case 0:
		return "never"
	case 1:
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

// showList shows page (from 0) of the library, with Previous and Next.
func (b *Bot) showList(ctx context.Context, to replyTo, mode replyMode, page int) error {
	items, total, err := b.library.List(ctx, page*listPageSize, listPageSize)
	if err == nil && len(items) == 0 && total > 0 && page > 0 {
		// The library shrank under the button: show the last page.
		page = int((total - 1) / listPageSize)
		items, total, err = b.library.List(ctx, page*listPageSize, listPageSize)
	}
	if err != nil {
		b.notice(ctx, to, replyNew, msgUnavailable)
		return err
	}
	text := fmt.Sprintf("Sticker library: %d stickers", total)
	return b.respond(ctx, to, mode, text, listMessage(items, total, page))
}

// listMessage is one page of the library: a header, a section per sticker
// and the paging buttons; at most listPageSize+2 blocks.
func listMessage(items []sticker.Sticker, total int64, page int) []slack.Block {
	pages := max(1, int((total+listPageSize-1)/listPageSize))
	head := fmt.Sprintf("*Sticker library* · %d stickers · page %d of %d", total, page+1, pages)
	if total == 0 {
		head = "*The sticker library is empty.* Add one with `/sticker add`."
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(head), nil, nil)}
	for _, st := range items {
		line := fmt.Sprintf("*%s*%s\nsent %s", escape(st.Name), tagList(st.Tags), times(st.UsageCount))
		if st.ImageURL == "" && st.SlackFileID == "" {
			line += " · _not shown in searches yet: its image has no Slack copy (see STICKER_LIBRARY_CHANNEL)_"
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(line), nil, nil))
	}
	var nav []slack.BlockElement
	if page > 0 {
		nav = append(nav, slack.NewButtonBlockElement(actionListPrev, strconv.Itoa(page-1), plain("Previous")))
	}
	if page+1 < pages {
		nav = append(nav, slack.NewButtonBlockElement(actionListNext, strconv.Itoa(page+1), plain("Next")))
	}
	if len(nav) > 0 {
		blocks = append(blocks, slack.NewActionBlock("sticker_list_nav", nav...))
	}
	return blocks
}
