package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// Action IDs of the library buttons (delete confirmation, list paging).
const (
	actionDelete     = "sticker_delete"
	actionKeep       = "sticker_delete_cancel"
	actionListPrev   = "sticker_list_prev"
	actionListNext   = "sticker_list_next"
	listPageSize     = 10
	maxListPage      = 10_000
	msgAdminsOnly    = "Only sticker admins can change the sticker library."
	msgNoSuchSticker = "There is no sticker named “%s”. See them all with `/sticker list`."
)

// admin handles the library commands (add, edit, delete, list). Rights
// are checked here, on the server, for every command.
func (b *Bot) admin(ctx context.Context, cmd slack.SlashCommand, c command) error {
	to := replyTo{responseURL: cmd.ResponseURL, channel: cmd.ChannelID, user: cmd.UserID}
	if !b.isAdmin(cmd.UserID) {
		b.log.Info("refused a library change", "user", cmd.UserID, "verb", c.Verb)
		b.notice(ctx, to, replyNew, "Only sticker admins can "+c.Verb+" stickers. Ask one of them, or search with `/sticker <words>`.")
		return nil
	}
	switch c.Verb {
	case "add":
		// The trigger_id lives 3 seconds: open the modal before anything
		// else. "/sticker add party parrot" suggests the name.
		var suggested *sticker.Sticker
		if name := strings.TrimSpace(c.Arg); name != "" {
			suggested = &sticker.Sticker{Name: clip(name, sticker.MaxNameLen)}
		}
		return b.openStickerModal(ctx, cmd, to, suggested)
	case "edit":
		st, ok, err := b.findByName(ctx, to, c.Arg, "edit")
		if !ok {
			return err
		}
		return b.openStickerModal(ctx, cmd, to, &st)
	case "delete":
		st, ok, err := b.findByName(ctx, to, c.Arg, "delete")
		if !ok {
			return err
		}
		return b.respond(ctx, to, replyNew, "Delete "+escape(st.Name)+"?", deleteMessage(st))
	default: // list
		page := 0
		if c.Arg != "" {
			n, err := strconv.Atoi(c.Arg)
			if err != nil || n < 1 || n > maxListPage {
				b.notice(ctx, to, replyNew, "Use `/sticker list` or `/sticker list <page number>`.")
				return nil
			}
			page = n - 1
		}
		return b.listPage(ctx, to, replyNew, page)
	}
}

// findByName looks up the sticker an edit or delete names, telling the
// admin when there is none; ok is false when the command is answered.
func (b *Bot) findByName(ctx context.Context, to replyTo, name, verb string) (sticker.Sticker, bool, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		b.notice(ctx, to, replyNew, "Which sticker? Use `/sticker "+verb+" <name>`; `/sticker list` shows them all.")
		return sticker.Sticker{}, false, nil
	}
	st, err := b.store.GetByName(ctx, name)
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

// adminAction handles buttons other than the preview's: the delete
// confirmation and the list's paging. Their values can be forged, and so
// can the clicker, so rights are checked again.
func (b *Bot) adminAction(ctx context.Context, ic slack.InteractionCallback, action *slack.BlockAction) error {
	switch action.ActionID {
	case actionDelete, actionKeep, actionListPrev, actionListNext:
	default:
		b.log.Warn("unknown action", "user", ic.User.ID, "action_id", action.ActionID)
		return nil
	}
	channel := ic.Channel.ID
	if channel == "" {
		channel = ic.Container.ChannelID
	}
	to := replyTo{responseURL: ic.ResponseURL, channel: channel, user: ic.User.ID}
	if !b.isAdmin(ic.User.ID) {
		b.log.Warn("refused a library action from a non-admin", "user", ic.User.ID, "action_id", action.ActionID, "value", clip(action.Value, 100))
		b.notice(ctx, to, replyNew, msgAdminsOnly)
		return nil
	}
	switch action.ActionID {
	case actionKeep:
		return b.respond(ctx, to, replyDelete, "", nil)
	case actionDelete:
		id, err := strconv.ParseInt(action.Value, 10, 64)
		if err != nil || id <= 0 {
			b.log.Warn("bad delete button value", "user", ic.User.ID, "value", clip(action.Value, 100))
			b.notice(ctx, to, replyNew, msgBadButton)
			return nil
		}
		st, err := b.store.Delete(ctx, id)
		if errors.Is(err, sticker.ErrNotFound) {
			b.notice(ctx, to, replyReplace, "That sticker was already deleted.")
			return nil
		}
		if err != nil {
			b.notice(ctx, to, replyNew, msgUnavailable)
			return err
		}
		b.log.Info("sticker deleted", "sticker_id", st.ID, "name", st.Name, "user", ic.User.ID)
		b.notice(ctx, to, replyReplace, fmt.Sprintf("Deleted *%s*. Messages that already show it stay as they are.", escape(st.Name)))
		return nil
	default:
		page, err := strconv.Atoi(action.Value)
		if err != nil || page < 0 || page > maxListPage {
			b.log.Warn("bad list button value", "user", ic.User.ID, "value", clip(action.Value, 100))
			b.notice(ctx, to, replyNew, msgBadButton)
			return nil
		}
		return b.listPage(ctx, to, replyReplace, page)
	}
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

// listPage shows page (from 0) of the library, with Previous and Next.
func (b *Bot) listPage(ctx context.Context, to replyTo, mode replyMode, page int) error {
	items, total, err := b.store.List(ctx, page*listPageSize, listPageSize)
	if err == nil && len(items) == 0 && total > 0 && page > 0 {
		// The library shrank under the button: show the last page.
		page = int((total - 1) / listPageSize)
		items, total, err = b.store.List(ctx, page*listPageSize, listPageSize)
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
