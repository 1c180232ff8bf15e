package handlers

// How uploaded sticker images are shown to everyone.
//
// A file uploaded through the modal's file_input belongs to the admin and is
// private to them: an image block's slack_file pointing at it fails with
// invalid_blocks for everyone else, as it does while Slack is still
// processing a file. So the bot downloads the upload (url_private, bot
// token), checks and keeps the bytes in PostgreSQL (sticker_images), and
// shows its own copy: it uploads the bytes with files.uploadV2 into
// STICKER_LIBRARY_CHANNEL, a channel it is a member of, waits until
// files.info reports a mimetype (processing done), and only then records the
// file ID on the sticker, which is when the sticker becomes searchable. If
// Slack loses that copy (files.info: file_not_found), it is uploaded again
// from the stored bytes: when a confirmation fails, and for every stored
// image when the bot starts (SyncImages).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// capBuffer keeps at most max bytes and fails a write past that.
type capBuffer struct {
	bytes.Buffer
	max int
}

var errTooBig = errors.New("file larger than the limit")

func (c *capBuffer) Write(p []byte) (int, error) {
	if c.Len()+len(p) > c.max {
		return 0, errTooBig
	}
	return c.Buffer.Write(p)
}

// downloadImage fetches an uploaded file with the bot token and checks
// its bytes; problem, if not empty, is the field error for the form.
func (b *Bot) downloadImage(ctx context.Context, f slack.File) (img sticker.Image, problem string) {
	tooBig := fmt.Sprintf("This file is over %d MB, the most a sticker can be. Upload a smaller one.", sticker.MaxImageBytes>>20)
	if f.Size > sticker.MaxImageBytes {
		return img, tooBig
	}
	u := f.URLPrivateDownload
	if u == "" {
		u = f.URLPrivate
	}
	if u == "" {
		b.log.Warn("uploaded file has no url_private", "file_id", f.ID)
		return img, "I couldn't read that file. Please upload it again."
	}
	buf := &capBuffer{max: sticker.MaxImageBytes}
	err := b.slack.GetFileContext(ctx, u, buf)
	switch {
	case errors.Is(err, errTooBig):
		return img, tooBig
	case err != nil && ctx.Err() != nil:
		b.log.Warn("file download ran out of time", "file_id", f.ID, "err", err)
		return img, "Slack was slow to hand me the file. Please press Save again."
	case err != nil:
		b.log.Warn("cannot download an uploaded file", "file_id", f.ID, "err", err)
		return img, "I couldn't download that file from Slack. Please upload it again."
	}
	img, err = sticker.SniffImage(buf.Bytes())
	var fe sticker.FieldError
	if errors.As(err, &fe) {
		return img, "This file " + fe.Message + "."
	}
	if err != nil {
		return img, "I couldn't read that file. Please upload it again."
	}
	return img, ""
}

// showSticker runs post, which shows *st. When Slack refuses it because it
// has lost the library's copy of a sticker's image, the stored image is
// uploaded again, *st updated, and post runs once more.
func (b *Bot) showSticker(ctx context.Context, st *sticker.Sticker, post func(sticker.Sticker) error) error {
	err := post(*st)
	if err == nil || st.SlackFileID == "" || !refusedBlocks(err) {
		return err
	}
	fixed, ferr := b.repairImage(ctx, *st)
	if ferr != nil {
		b.log.Warn("cannot repair a sticker's image", "sticker_id", st.ID, "err", ferr)
		return err
	}
	*st = fixed
	return post(fixed)
}

// uploadsShown reports whether an uploaded image can be shown to everyone:
// the library channel is set and, as far as the check at start knows,
// usable.
func (b *Bot) uploadsShown() bool { return b.channel != "" && (b.usable == nil || b.usable()) }

// hostImage uploads sticker id's stored image to the library channel,
// waits until Slack has processed it, and records it on the sticker.
func (b *Bot) hostImage(ctx context.Context, id int64) (sticker.Sticker, error) {
	if b.channel == "" {
		return sticker.Sticker{}, errors.New("STICKER_LIBRARY_CHANNEL is not set")
	}
	img, err := b.images.Image(ctx, id)
	if err != nil {
		return sticker.Sticker{}, err
	}
	st, err := b.library.Get(ctx, id)
	if err != nil {
		return sticker.Sticker{}, err
	}
	f, err := b.slack.UploadFileContext(ctx, slack.UploadFileParameters{
		Filename: fmt.Sprintf("sticker-%d.%s", id, img.Ext()),
		FileSize: len(img.Data),
		Reader:   bytes.NewReader(img.Data),
		Title:    clip(st.Name, 250),
		Channel:  b.channel,
		InitialComment: mdf("Image of the sticker “%s”. I show it from here: please keep this file.",
			clip(st.Name, 100)).s,
	})
	if err != nil {
		return sticker.Sticker{}, b.wrapSlack("files.uploadV2", err)
	}
	if err := b.waitProcessed(ctx, f.ID); err != nil {
		return sticker.Sticker{}, err
	}
	hosted, err := b.images.SetSlackFile(ctx, id, f.ID, img.SHA256())
	if err != nil {
		return sticker.Sticker{}, err
	}
	b.log.Info("sticker image uploaded to Slack", "sticker_id", id, "file_id", f.ID, "channel", b.channel)
	return hosted, nil
}

// waitProcessed polls files.info until Slack reports the file's mimetype:
// before that, image blocks referring to it fail.
func (b *Bot) waitProcessed(ctx context.Context, fileID string) error {
	delay := 100 * time.Millisecond
	for {
		f, _, _, err := b.slack.GetFileInfoContext(ctx, fileID, 0, 0)
		if err != nil {
			return b.wrapSlack("files.info", err)
		}
		if f.Mimetype != "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("file %s still processing: %w", fileID, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*2, 2*time.Second)
	}
}

// repairImage makes sure Slack still has sticker st's image copy, and
// uploads the stored image again when it has lost it (files.info:
// file_not_found) or there is none. A sticker without a stored image
// cannot be repaired.
func (b *Bot) repairImage(ctx context.Context, st sticker.Sticker) (sticker.Sticker, error) {
	if st.SlackFileID != "" {
		_, _, _, err := b.slack.GetFileInfoContext(ctx, st.SlackFileID, 0, 0)
		switch {
		case err == nil:
			return st, b.waitProcessed(ctx, st.SlackFileID)
		case slackError(err) != "file_not_found":
			return st, b.wrapSlack("files.info", err)
		}
		b.log.Warn("Slack lost a sticker image; uploading it again", "sticker_id", st.ID, "file_id", st.SlackFileID)
	}
	return b.hostImage(ctx, st.ID)
}

// syncPace spaces SyncImages' checks by default: files.info is Tier 4 (100+
// a minute), shared with the rest of the bot.
const syncPace = 700 * time.Millisecond

// SyncImages gives every stored sticker image a Slack copy that Slack
// still has: it uploads the missing ones and those Slack lost. It returns
// when done or when ctx ends; the bot runs it at start. Without
// STICKER_LIBRARY_CHANNEL it only warns about images nobody can see.
func (b *Bot) SyncImages(ctx context.Context) {
	// One replica at a time, or each would upload its own copies.
	ran, err := b.images.Exclusive(ctx, "sync-images", func(ctx context.Context) error {
		b.syncImages(ctx)
		return nil
	})
	switch {
	case err != nil:
		b.log.Warn("cannot check stored sticker images", "err", err)
	case !ran:
		b.log.Info("another replica is checking stored sticker images")
	}
}

func (b *Bot) syncImages(ctx context.Context) {
	const batch = 100
	var after int64
	checked, uploaded, failed, hidden := 0, 0, 0, 0
	for ctx.Err() == nil {
		page, err := b.images.StoredImages(ctx, after, batch)
		if err != nil {
			b.log.Warn("cannot list stored sticker images", "err", err)
			return
		}
		for _, si := range page {
			after = si.ID
			checked++
			if b.channel == "" {
				if si.SlackFileID == "" {
					hidden++
				}
				continue
			}
			jctx, cancel := context.WithTimeout(ctx, b.timeout)
			st, err := b.library.Get(jctx, si.ID)
			var fixed sticker.Sticker
			if err == nil {
				fixed, err = b.repairImage(jctx, st)
			}
			cancel()
			switch {
			case errors.Is(err, sticker.ErrNotFound) || errors.Is(err, sticker.ErrImageChanged):
				// Deleted or edited meanwhile: its own save handles it.
			case err != nil:
				failed++
				b.log.Warn("cannot give a sticker image a Slack copy", "sticker_id", si.ID, "err", err)
			case fixed.SlackFileID != si.SlackFileID:
				uploaded++
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(b.pace):
			}
		}
		if len(page) < batch {
			break
		}
	}
	if hidden > 0 {
		b.log.Warn("stickers with uploaded images are hidden from searches: set STICKER_LIBRARY_CHANNEL to a channel the bot is in", "count", hidden)
	}
	if checked > 0 {
		b.log.Info("checked stored sticker images", "checked", checked, "uploaded", uploaded, "failed", failed)
	}
}
