package handlers

// The library, for admins: who may change it, deleting a sticker (with a
// confirmation), and the list, page by page.

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// The library's limits.
const (
	listPageSize = 10
	maxListPage  = 10_000
	// namedAdmins is how many admins a refusal names.
	namedAdmins = 5
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
			b.log.Info("refused an admin command to a non-admin", "user", r.user, "verb", r.verb)
			b.notice(ctx, r.to, replyNew, b.adminsOnly(r.verb+" stickers"))
			return nil
		}
		table, id := wayIn(r)
		value := ""
		if r.action != nil {
			value = clip(r.action.Value, 100)
		}
		b.log.Warn("refused a library action from a non-admin", "user", r.user, "route", table, "id", id, "value", value)
		if r.ic != nil && r.ic.View.Type == slack.VTHomeTab {
			// The Home tab has nowhere else to say it.
			return b.publishHome(ctx, r.user, readHomeMeta(r.ic.View.PrivateMetadata), "", b.adminsOnly("change the sticker library"))
		}
		b.notice(ctx, r.to, replyNew, b.adminsOnly("change the sticker library"))
		return nil
	}
}

// adminsOnly tells someone who is not an admin who is: "Only sticker
// admins can <what>: @ana and @ben. Ask one of them…". The mentions
// notify nobody: the message is ephemeral.
func (b *Bot) adminsOnly(what string) md {
	if len(b.admins) == 0 {
		return mdf("No one can %s yet: whoever runs me names the sticker admins in STICKER_ADMINS. "+
			"You can still search with `/sticker <words>`.", what)
	}
	names := make([]md, 0, namedAdmins+1)
	for i, id := range b.admins {
		if i == namedAdmins {
			names = append(names, mdf("%d more", len(b.admins)-namedAdmins))
			break
		}
		names = append(names, mention(id))
	}
	if len(b.admins) == 1 {
		return mdf("Only sticker admins can %s, and %s is the admin. Ask them, or search with `/sticker <words>`.", what, names[0])
	}
	return mdf("Only sticker admins can %s: %s. Ask one of them, or search with `/sticker <words>`.", what, listMD(names))
}

// deleteCommand: "/sticker delete <name>" asks to confirm.
func (b *Bot) deleteCommand(ctx context.Context, r *request) error {
	st, ok, err := b.findByName(ctx, r.to, r.arg, r.verb)
	if !ok {
		return err
	}
	return b.respond(ctx, r.to, replyNew, mdf("Delete %s?", st.Name), deleteMessage(st))
}

// listCommand: "/sticker list [page]" shows a page of the library.
func (b *Bot) listCommand(ctx context.Context, r *request) error {
	page := 0
	if r.arg != "" {
		n, err := strconv.Atoi(r.arg)
		if err != nil || n < 1 || n > maxListPage {
			b.notice(ctx, r.to, replyNew, mdf("Use `/sticker list` or `/sticker list <page number>`."))
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
		b.notice(ctx, to, replyNew, mdf("Which sticker? Use %s; `/sticker list` shows them all.", code("/sticker "+verb+" <name>")))
		return sticker.Sticker{}, false, nil
	}
	st, err := b.library.GetByName(ctx, name)
	if errors.Is(err, sticker.ErrNotFound) {
		b.notice(ctx, to, replyNew, mdf("There is no sticker named “%s”. See them all with `/sticker list`.", clip(name, sticker.MaxNameLen)))
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
		b.notice(ctx, r.to, replyReplace, mdf("That sticker was already deleted."))
		return nil
	}
	if err != nil {
		b.notice(ctx, r.to, replyNew, msgUnavailable)
		return err
	}
	b.log.Info("sticker deleted", "sticker_id", st.ID, "name", st.Name, "user", r.user)
	b.notice(ctx, r.to, replyReplace, mdf("Deleted %s. Messages that already show it stay as they are.", bold(st.Name)))
	return nil
}

// keepSticker: the confirmation's Cancel button removes it.
func (b *Bot) keepSticker(ctx context.Context, r *request) error {
	return b.respond(ctx, r.to, replyDelete, md{}, nil)
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

// stickers counts stickers: "1 sticker", "1,234 stickers".
func stickers(n int64) string {
	if n == 1 {
		return "1 sticker"
	}
	return count(n) + " stickers"
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
		slack.NewSectionBlock(mrkdwn(mdf("Delete %s? %s", stickerLine(st), sentSentence(st.UsageCount))), nil, nil),
		slack.NewActionBlock("sticker_delete_confirm",
			del,
			slack.NewButtonBlockElement(actionKeep, "keep", plain("Cancel")),
		),
	}
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
	return b.respond(ctx, to, mode, mdf("Sticker library: %s", stickers(total)), listMessage(items, total, page))
}

// listMessage is one page of the library: a header, a section per sticker
// and the paging buttons; at most listPageSize+2 blocks.
func listMessage(items []sticker.Sticker, total int64, page int) []slack.Block {
	pages := max(1, int((total+listPageSize-1)/listPageSize))
	head := mdf("*Sticker library* · %s · page %s of %s", stickers(total), count(int64(page+1)), count(int64(pages)))
	if total == 0 {
		head = mdf("*The sticker library is empty.* Add one with `/sticker add`.")
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(head), nil, nil)}
	for _, st := range items {
		line := mdf("%s\n%s", stickerLine(st), sentText(st.UsageCount))
		switch {
		case st.ImageURL == "" && st.SlackFileID == "":
			line = mdf("%s · _not shown in searches yet: its image has no Slack copy (see STICKER_LIBRARY_CHANNEL)_", line)
		case st.ImageURL != "":
			if u, err := sticker.NormalizeImageURL(st.ImageURL); err != nil || u != st.ImageURL {
				line = mdf("%s · _Slack can't fetch its image URL: fix it with_ %s", line, code("/sticker edit "+st.Name))
			}
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
