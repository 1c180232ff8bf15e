package slacksim_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/slacksim"
)

func TestUploadV2AndDownload(t *testing.T) {
	fs := slacksim.New(t)
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)

	// Private upload (no channel).
	sum, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "cat.png", Title: "Cat", FileSize: len(pngBytes), Reader: bytes.NewReader(pngBytes)})
	if err != nil || !strings.HasPrefix(sum.ID, "F") || sum.Title != "Cat" {
		t.Fatalf("upload: %+v %v", sum, err)
	}
	up := fs.Calls(slacksim.MethodFileUpload)
	if len(up) != 1 || up[0].Status != 200 || !strings.HasPrefix(up[0].Params["url"], fs.URL()+"/upload/") {
		t.Errorf("upload calls = %+v", up)
	}
	file, _, _, err := api.GetFileInfoContext(ctx, sum.ID, 0, 0)
	if err != nil || file.Name != "cat.png" || file.Mimetype != "image/png" || file.Size != len(pngBytes) || len(file.Channels) != 0 ||
		!strings.HasPrefix(file.URLPrivate, fs.URL()+"/files-pri/") {
		t.Fatalf("files.info = %+v %v", file, err)
	}
	// Private files cannot back a slack_file image.
	img := slack.NewImageBlockSlackFile(&slack.SlackFileObject{ID: sum.ID}, "cat", "", nil)
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(img)); err == nil || err.Error() != "invalid_blocks" {
		t.Errorf("private slack_file: %v", err)
	}

	var buf bytes.Buffer
	if err := api.GetFileContext(ctx, file.URLPrivateDownload, &buf); err != nil || !bytes.Equal(buf.Bytes(), pngBytes) {
		t.Errorf("download: %v (%d bytes)", err, buf.Len())
	}
	// Another token is sent to the sign-in page, which slack-go reports.
	other := slack.New("xoxb-someone-else", slack.OptionAPIURL(fs.APIURL()))
	buf.Reset()
	if err := other.GetFileContext(ctx, file.URLPrivate, &buf); err == nil || !strings.Contains(err.Error(), "sign-in") {
		t.Errorf("download with another token: %v", err)
	}
	// So is the bot for a file private to a user.
	theirs := fs.AddFile(slacksim.FileSpec{Name: "secret.gif", Data: []byte("GIF89a"), User: "U2"})
	if err := api.GetFileContext(ctx, theirs.URLPrivate, &buf); err == nil || !strings.Contains(err.Error(), "sign-in") {
		t.Errorf("download of a user's private file: %v", err)
	}
	if _, _, _, err := api.GetFileInfoContext(ctx, theirs.ID, 0, 0); err == nil || err.Error() != "file_not_found" {
		t.Errorf("files.info of a user's private file: %v", err)
	}

	// Shared upload posts a file message and can back a slack_file image.
	shared, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "dog.png", FileSize: len(pngBytes), Content: string(pngBytes), Channel: "C1", InitialComment: "a dog"})
	if err != nil {
		t.Fatal(err)
	}
	m := fs.WaitMessage(ctx, "C1", nil)
	if m.Text != "a dog" || len(m.Files) != 1 || m.Files[0] != shared.ID {
		t.Errorf("file message = %+v", m)
	}
	img = slack.NewImageBlockSlackFile(&slack.SlackFileObject{ID: shared.ID}, "dog", "", nil)
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(img)); err != nil {
		t.Errorf("shared slack_file: %v", err)
	}
	if _, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "x.png", FileSize: 3, Content: "abc", Channel: "C2"}); err == nil || !strings.Contains(err.Error(), "not_in_channel") {
		t.Errorf("upload to a channel without the bot: %v", err)
	}
	if v := fs.Violations(); len(v) != 0 {
		t.Errorf("violations: %v", v)
	}
}

func TestUploadLengthAndFailures(t *testing.T) {
	fs := slacksim.New(t)
	ctx := testCtx(t, 5*time.Second)
	api := newAPI(fs)
	if _, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "a.txt", FileSize: 10, Content: "abc"}); err != nil {
		t.Fatal(err)
	}
	if v := fs.Violations(); len(v) != 1 || v[0].Kind != slacksim.ViolationUploadLength {
		t.Errorf("violations = %v", v)
	}
	fs.FailNext(slacksim.MethodFileUpload, 1, slacksim.Failure{Status: 500})
	_, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "a.txt", FileSize: 3, Content: "abc"})
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 500 || !strings.HasPrefix(err.Error(), "UploadToURL:") {
		t.Errorf("upload failure: %v", err)
	}
	fs.FailNext("files.getUploadURLExternal", 1, slacksim.Failure{Error: "file_uploads_disabled"})
	if _, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "a.txt", FileSize: 3, Content: "abc"}); err == nil || !strings.Contains(err.Error(), "file_uploads_disabled") {
		t.Errorf("getUploadURLExternal failure: %v", err)
	}
}
