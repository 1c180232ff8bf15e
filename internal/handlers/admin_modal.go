package handlers

// The add/edit modal: opening it, checking and saving what the admin
// submits (before the ack, which carries the field errors), then the
// follow-up once it has closed.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/envelope"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// The add/edit modal's input blocks (each input's action_id is its
// block_id; none dispatches actions).
const (
	blockName    = "name"
	blockTags    = "tags"
	blockFile    = "file"
	blockURL     = "image_url"
	maxTagsInput = 1200 // MaxTags tags of MaxTagLen, with separators
)

// ackMargin is kept from the ack budget for encoding and writing the ack.
const ackMargin = 300 * time.Millisecond

// ackWork is the part of ctx's ack budget work before an ack may take:
// all of it but ackMargin (2.2 s when ctx has no deadline).
func ackWork(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(2500 * time.Millisecond)
	}
	return context.WithDeadline(ctx, deadline.Add(-ackMargin))
}

// modalMeta is the modal's private_metadata: where the command came from
// (for the confirmation) and, for an edit, which sticker.
type modalMeta struct {
	Channel     string `json:"c"`
	ResponseURL string `json:"r,omitempty"`
	ID          int64  `json:"id,omitempty"`
	// Home is set when the Home tab's Add opened the modal (no channel):
	// the confirmation shows there, which keeps what it kept.
	Home *homeMeta `json:"h,omitempty"`
}

// addCommand: "/sticker add [name]" opens the add modal, the name
// suggested. The trigger_id lives 3 seconds: the modal opens before
// anything else.
func (b *Bot) addCommand(ctx context.Context, r *request) error {
	var suggested *sticker.Sticker
	if name := strings.TrimSpace(r.arg); name != "" {
		suggested = &sticker.Sticker{Name: clip(name, sticker.MaxNameLen)}
	}
	return b.openStickerModal(ctx, r, suggested)
}

// editCommand: "/sticker edit <name>" opens the edit modal, filled in.
func (b *Bot) editCommand(ctx context.Context, r *request) error {
	st, ok, err := b.findByName(ctx, r.to, r.arg, r.verb)
	if !ok {
		return err
	}
	return b.openStickerModal(ctx, r, &st)
}

// openStickerModal opens the edit modal pre-filled with st, or the add
// modal when st is nil or has no ID, with the command's trigger_id.
func (b *Bot) openStickerModal(ctx context.Context, r *request, st *sticker.Sticker) error {
	return b.openModal(ctx, r, r.cmd.TriggerID, st, modalMeta{Channel: r.cmd.ChannelID, ResponseURL: r.cmd.ResponseURL})
}

// openModal opens the edit modal of st (the add modal when st is nil or
// has no ID) with triggerID; meta says where the confirmation goes.
func (b *Bot) openModal(ctx context.Context, r *request, triggerID string, st *sticker.Sticker, meta modalMeta) error {
	if st != nil {
		meta.ID = st.ID // 0: an add with a suggested name
	}
	_, err := b.slack.OpenViewContext(ctx, triggerID, stickerModal(st, meta, b.uploadsShown()))
	if err != nil && !r.to.reachable() { // the Home tab's Add
		return b.wrapSlack("views.open", err)
	}
	if err != nil {
		switch slackError(err) {
		case "expired_trigger_id", "exchanged_trigger_id":
			b.notice(ctx, r.to, replyNew, mdf("Slack gave me too little time to open the form. Please run the command again."))
		default:
			b.notice(ctx, r.to, replyNew, msgFailed)
		}
		return b.wrapSlack("views.open", err)
	}
	return nil
}

// stickerModal is the edit modal for st, or the add modal when st is nil
// or has no ID (then st.Name, if any, is suggested). It offers a file
// upload only when uploads can be shown to everyone; without it the image
// URL is required (but for an edit, which may keep the image it has).
func stickerModal(st *sticker.Sticker, meta modalMeta, uploads bool) slack.ModalViewRequest {
	rawMeta, _ := json.Marshal(meta)
	name := slack.NewPlainTextInputBlockElement(plain("e.g. thumbs up"), blockName).WithMaxLength(sticker.MaxNameLen)
	tags := slack.NewPlainTextInputBlockElement(plain("e.g. yes, ok, 좋아요, いいね"), blockTags).WithMaxLength(maxTagsInput)
	url := slack.NewPlainTextInputBlockElement(plain("https://…/sticker.png"), blockURL).WithMaxLength(sticker.MaxURLLen)
	file := slack.NewFileInputBlockElement(blockFile).WithFileTypes("png", "jpg", "jpeg", "gif").WithMaxFiles(1)
	title, callback := "Add a sticker", viewAdd
	fileHint := "PNG, JPEG or GIF, at most 2 MB. Or give an image URL below, not both."
	urlLabel, urlHint, urlOptional := "Or image URL", "An https:// link to a PNG, JPEG or GIF.", true
	if !uploads {
		urlLabel, urlOptional = "Image URL", false
	}
	if st != nil && st.Name != "" {
		name.WithInitialValue(st.Name)
	}
	if st != nil && st.ID > 0 {
		title, callback = "Edit sticker", viewEdit
		if len(st.Tags) > 0 {
			tags.WithInitialValue(tagsText(st.Tags))
		}
		if st.ImageURL != "" {
			url.WithInitialValue(st.ImageURL)
			fileHint = "To replace the image with a file, upload it and clear the URL below."
		} else {
			fileHint = "Leave empty to keep the current image. PNG, JPEG or GIF, at most 2 MB."
			if !uploads {
				urlHint, urlOptional = "Leave empty to keep the current image, or give an https:// link to a PNG, JPEG or GIF.", true
			}
		}
	}
	blocks := []slack.Block{
		slack.NewInputBlock(blockName, plain("Name"), plain("Unique; people search for it."), name),
		slack.NewInputBlock(blockTags, plain("Tags"), plain("Separated by commas or spaces, in any language."), tags).WithOptional(true),
	}
	if uploads {
		blocks = append(blocks, slack.NewInputBlock(blockFile, plain("Image file"), plain(fileHint), file).WithOptional(true))
	}
	blocks = append(blocks, slack.NewInputBlock(blockURL, plain(urlLabel), plain(urlHint), url).WithOptional(urlOptional))
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callback,
		Title:           plain(title),
		Submit:          plain("Save"),
		Close:           plain("Cancel"),
		PrivateMetadata: string(rawMeta),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// tagsText writes tags so that sticker.ParseTags reads them back, a
// single tag with a space included.
func tagsText(tags []string) string {
	s := strings.Join(tags, ", ")
	if len(tags) == 1 && strings.ContainsFunc(s, unicode.IsSpace) {
		s += ","
	}
	return s
}

// adminForm lets only sticker admins' submissions through to a: the
// submission can be forged as well as any button, so rights are checked
// here again.
func (b *Bot) adminForm(a answer) answer {
	return func(ctx context.Context, r *request) envelope.Ack {
		if !b.isAdmin(r.user) {
			b.log.Warn("refused a library change from a non-admin", "envelope_id", r.env.ID,
				"user", r.user, "callback_id", r.ic.View.CallbackID)
			return fieldErrors(blockName, "Only sticker admins can add or change stickers.")
		}
		return a(ctx, r)
	}
}

// fieldProblems is a form's field errors as a log attribute per field
// (errors.name="…" errors.tags="…"), where the map would print as Go's
// map[…].
func fieldProblems(errs map[string]string) slog.Attr {
	attrs := make([]any, 0, 2*len(errs))
	for _, field := range slices.Sorted(maps.Keys(errs)) {
		attrs = append(attrs, field, errs[field])
	}
	return slog.Group("errors", attrs...)
}

// saveSticker validates a submitted modal, saves the sticker and returns
// the ack (nil closes the modal; field errors keep it open). It must
// return within ctx, the ack budget: every check is bounded by it, and
// running out of time is a field error asking to save again, never a
// missing ack.
func (b *Bot) saveSticker(ctx context.Context, r *request) envelope.Ack {
	ic := r.ic
	var meta modalMeta
	if err := json.Unmarshal([]byte(ic.View.PrivateMetadata), &meta); err != nil || (meta.Channel == "" && meta.Home == nil) ||
		(ic.View.CallbackID == viewEdit) != (meta.ID > 0) {
		b.log.Warn("bad modal metadata", "envelope_id", r.env.ID, "user", r.user)
		return fieldErrors(blockName, "This form is out of date. Close it and run the command again.")
	}
	work, cancel := ackWork(ctx)
	defer cancel()

	// The follow-up (the image's Slack copy, the confirmation) needs a
	// place reserved before anything is saved: a save Run could no longer
	// follow up on is refused instead.
	if !b.background.start() {
		b.log.Warn("refused a sticker form while shutting down", "envelope_id", r.env.ID, "user", r.user)
		return fieldErrors(blockName, msgRestarting)
	}
	followUp := false
	defer func() {
		if !followUp {
			b.background.done()
		}
	}()
	d, errs := b.checkSubmission(work, ic, meta)
	if len(errs) > 0 {
		b.log.Info("sticker form has problems", "envelope_id", r.env.ID, "user", r.user, fieldProblems(errs))
		return slack.NewErrorsViewSubmissionResponse(errs)
	}
	st, err := b.library.Save(work, meta.ID, d)
	if err != nil {
		block, msg := saveProblem(work, err)
		lvl := b.log.Info
		if block == blockName && msg == msgSaveFailed {
			lvl = b.log.Error
		}
		lvl("cannot save sticker", "envelope_id", r.env.ID, "user", r.user, "err", err)
		return fieldErrors(block, msg)
	}
	verb := "added"
	if meta.ID > 0 {
		verb = "updated"
	}
	b.log.Info("sticker "+verb, "sticker_id", st.ID, "name", st.Name, "user", r.user)
	followUp = true
	go func() {
		defer b.background.done()
		b.afterSave(context.WithoutCancel(ctx), meta, r.user, st, verb)
	}()
	return nil
}

const (
	msgSaveFailed = "I couldn't save the sticker: the library is unavailable. Please try again in a minute."
	msgTooSlow    = "That took too long on my side. Please press Save again."
	msgRestarting = "I'm restarting. Please press Save again in a moment."
)

func fieldErrors(block, msg string) *slack.ViewSubmissionResponse {
	return slack.NewErrorsViewSubmissionResponse(map[string]string{block: msg})
}

// saveProblem turns a store error into a field error; running out of
// ctx is always "try again", whatever the driver made of it.
func saveProblem(ctx context.Context, err error) (string, string) {
	var fe sticker.FieldError
	switch {
	case errors.Is(err, sticker.ErrDuplicateName):
		return blockName, "Another sticker already has this name. Choose another one."
	case errors.Is(err, sticker.ErrNotFound):
		return blockName, "This sticker was deleted meanwhile. Close the form and add it again."
	case errors.As(err, &fe):
		return fieldBlock(fe.Field), sentence(fe.Message)
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		return blockName, msgTooSlow
	}
	return blockName, msgSaveFailed
}

// fieldBlock maps a sticker.FieldError field to the modal's block.
func fieldBlock(field string) string {
	switch field {
	case "tags":
		return blockTags
	case "image_url":
		return blockURL
	case "image":
		return blockFile
	}
	return blockName
}

// sentence capitalises a FieldError message ("is empty") for a form.
func sentence(msg string) string {
	r, n := utf8.DecodeRuneInString(msg)
	return string(unicode.ToUpper(r)) + msg[n:] + "."
}

// hasBlock reports whether the submitted view has the block with id (the
// add form shows the file upload only when uploads can be shown).
func hasBlock(ic *slack.InteractionCallback, id string) bool {
	for _, b := range ic.View.Blocks.BlockSet {
		if ib, ok := b.(*slack.InputBlock); ok && ib.BlockID == id {
			return true
		}
	}
	return false
}

func inputValue(ic *slack.InteractionCallback, block string) slack.BlockAction {
	if ic.View.State == nil {
		return slack.BlockAction{}
	}
	return ic.View.State.Values[block][block]
}

// checkSubmission reads and checks the form, on the server whatever the
// client checked, and returns the draft to save or field errors by block.
func (b *Bot) checkSubmission(ctx context.Context, ic *slack.InteractionCallback, meta modalMeta) (sticker.Draft, map[string]string) {
	errs := map[string]string{}
	d := sticker.Draft{
		Name:     strings.TrimSpace(inputValue(ic, blockName).Value),
		Tags:     sticker.ParseTags(inputValue(ic, blockTags).Value),
		ImageURL: strings.TrimSpace(inputValue(ic, blockURL).Value),
		AddedBy:  ic.User.ID,
	}
	files := inputValue(ic, blockFile).Files
	switch n := utf8.RuneCountInString(d.Name); {
	case n == 0:
		errs[blockName] = "Give the sticker a name."
	case n > sticker.MaxNameLen:
		errs[blockName] = fmt.Sprintf("Use at most %d characters (this has %d).", sticker.MaxNameLen, n)
	}
	var current *sticker.Sticker
	if meta.ID > 0 {
		st, err := b.library.Get(ctx, meta.ID)
		if err != nil {
			block, msg := saveProblem(ctx, err)
			errs[block] = msg
			return d, errs
		}
		current = &st
	}
	switch {
	case d.ImageURL != "" && len(files) > 0:
		errs[blockURL] = "Give an image URL or upload a file, not both: clear one of them."
	case len(files) > 1:
		errs[blockFile] = "Upload one file only."
	case d.ImageURL == "" && len(files) == 0 && current == nil && hasBlock(ic, blockFile):
		errs[blockFile] = "Upload an image, or give its https:// URL below."
	case d.ImageURL == "" && len(files) == 0 && current == nil:
		errs[blockURL] = "Give the image's https:// URL."
	}
	// Rules on the draft (tags, URL), reported once per block.
	probe := d
	if probe.ImageURL == "" {
		probe.SlackFileID = "F00000000" // the image is checked below
	}
	for _, fe := range probe.Normalize().Validate() {
		if block := fieldBlock(fe.Field); errs[block] == "" {
			errs[block] = sentence(fe.Message)
		}
	}
	if errs[blockName] == "" {
		if other, err := b.library.GetByName(ctx, d.Name); err == nil && other.ID != meta.ID {
			errs[blockName] = fmt.Sprintf("“%s” is taken. Choose another name, or edit that sticker: /sticker edit %s", clip(other.Name, 100), clip(other.Name, 100))
		} else if err != nil && !errors.Is(err, sticker.ErrNotFound) {
			_, errs[blockName] = saveProblem(ctx, err)
		}
	}
	if msg := errs[blockFile]; msg != "" && !hasBlock(ic, blockFile) {
		// A form without the upload: its URL field is where to fix it.
		delete(errs, blockFile)
		if errs[blockURL] == "" {
			errs[blockURL] = msg
		}
	}
	if len(errs) > 0 {
		return d, errs
	}
	switch {
	case len(files) == 1:
		img, problem := b.downloadImage(ctx, files[0])
		if problem != "" {
			errs[blockFile] = problem
			return d, errs
		}
		d.Image = &img
	case d.ImageURL == "" && current != nil:
		// Edit without a new image: keep the current one.
		if current.ImageURL != "" {
			d.ImageURL = current.ImageURL
			break
		}
		d.SlackFileID = current.SlackFileID
		img, err := b.images.Image(ctx, current.ID)
		switch {
		case err == nil:
			d.Image = &img
		case !errors.Is(err, sticker.ErrNotFound):
			_, errs[blockName] = saveProblem(ctx, err)
		}
	}
	return d, errs
}

// afterSave runs once the modal is closed: it gives an uploaded image its
// Slack copy, then shows the admin the sticker.
func (b *Bot) afterSave(base context.Context, meta modalMeta, user string, st sticker.Sticker, verb string) {
	ctx, cancel := context.WithTimeout(base, b.timeout)
	defer cancel()
	var note md
	if st.ImageURL == "" && st.SlackFileID == "" {
		if b.channel == "" {
			b.log.Warn("stored an uploaded image that nobody can see: STICKER_LIBRARY_CHANNEL is not set", "sticker_id", st.ID)
			note = mdf("Its image is stored, but I can't show it to anyone: *STICKER_LIBRARY_CHANNEL is not set*. " +
				"Ask whoever runs me to set it to a channel I'm a member of and restart me. Until then this sticker doesn't appear in searches.")
		} else if hosted, err := b.hostImage(ctx, st.ID); err != nil {
			b.log.Error("cannot upload a sticker image to Slack", "sticker_id", st.ID, "channel", b.channel, "err", err)
			note = mdf("Its image is stored, but Slack didn't take my copy of it (%s). "+
				"I'll try again when I restart; until then this sticker doesn't appear in searches.", hostFailure(err))
		} else {
			st = hosted
		}
	}
	b.confirm(ctx, meta, user, st, verb, note)
}

func hostFailure(err error) string {
	switch code := slackError(err); code {
	case "not_in_channel", "channel_not_found":
		return code + ": invite me to the STICKER_LIBRARY_CHANNEL channel"
	case "":
		return "it didn't answer"
	default:
		return code
	}
}

// confirm shows the saved sticker to the admin, ephemerally, in the channel
// the command came from (or through the command's response_url where the
// bot cannot post). If Slack no longer has the sticker's image, it is
// uploaded again first.
func (b *Bot) confirm(ctx context.Context, meta modalMeta, user string, st sticker.Sticker, verb string, note md) {
	if meta.Home != nil {
		text := joinMD(" ", mdf("Sticker %s: %s.", verb, stickerLine(st)), note)
		if err := b.publishHome(ctx, user, *meta.Home, "", text); err != nil {
			b.log.Warn("cannot confirm a library change", "sticker_id", st.ID, "user", user, "err", err)
		}
		return
	}
	msg := func(st sticker.Sticker, withImage bool) []slack.Block {
		var blocks []slack.Block
		if img, ok := imageBlock(st); ok && withImage {
			blocks = append(blocks, img)
		}
		text := mdf("Sticker %s: %s.", verb, stickerLine(st))
		if note.s == "" {
			text = mdf("%s Find it with %s.", text, code("/sticker search "+st.Name))
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(text), nil, nil))
		if note.s != "" {
			blocks = append(blocks, slack.NewSectionBlock(mrkdwn(note), nil, nil))
		}
		return blocks
	}
	showable := st.ImageURL != "" || st.SlackFileID != ""
	err := b.postConfirmation(ctx, meta, user, st, msg(st, showable))
	if slackError(err) == "invalid_blocks" && showable {
		if st.SlackFileID != "" {
			b.log.Warn("Slack refused the sticker's image; checking its copy", "sticker_id", st.ID, "file_id", st.SlackFileID)
			if fixed, ferr := b.repairImage(ctx, st); ferr == nil {
				st = fixed
				err = b.postConfirmation(ctx, meta, user, st, msg(st, true))
			} else {
				b.log.Warn("cannot repair the sticker's image", "sticker_id", st.ID, "err", ferr)
			}
		}
		if err != nil {
			b.log.Warn("Slack cannot show a sticker's image", "sticker_id", st.ID, "image_url", st.ImageURL, "err", err)
			note = mdf("But Slack couldn't show its image. Check that it is a public PNG, JPEG or GIF, then fix it with %s.", code("/sticker edit "+st.Name))
			err = b.postConfirmation(ctx, meta, user, st, msg(st, false))
		}
	}
	if err != nil {
		b.log.Warn("cannot confirm a library change", "sticker_id", st.ID, "user", user, "err", err)
	}
}

func (b *Bot) postConfirmation(ctx context.Context, meta modalMeta, user string, st sticker.Sticker, blocks []slack.Block) error {
	text := mdf("Sticker saved: %s", st.Name)
	to := replyTo{channel: meta.Channel, user: user}
	err := b.respond(ctx, to, replyNew, text, blocks)
	switch slackError(err) {
	case "channel_not_found", "not_in_channel", "user_not_in_channel":
		if meta.ResponseURL != "" {
			to.responseURL = meta.ResponseURL
			return b.respond(ctx, to, replyNew, text, blocks)
		}
	}
	return err
}
