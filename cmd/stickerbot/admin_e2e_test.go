package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/handlers"
	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/slacksim"
	"github.com/stickerbot/stickerbot/internal/sticker"
	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

const admin = "UADMIN"

// pngBytes is a small valid PNG, different for each seed.
func pngBytes(t *testing.T, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: seed, G: 100, B: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// openModal runs text as user in C1 and returns the modal it opened.
func (h *harness) openModal(t *testing.T, user, text string) slacksim.View {
	t.Helper()
	d := h.command(user, "C1", text)
	h.fs.WaitAck(h.ctx, d.EnvelopeID)
	var v slacksim.View
	h.fs.WaitUntil(h.ctx, "modal opened by "+text, func() bool {
		views := h.fs.OpenViews(user)
		if len(views) == 0 {
			return false
		}
		v = views[len(views)-1]
		return true
	})
	return v
}

// submit presses Save on user's modal and returns the field errors of the
// ack (nil: the modal closed).
func (h *harness) submit(t *testing.T, user string, values map[string]string, files ...string) map[string]string {
	t.Helper()
	sub := slacksim.Submission{User: user, Values: values}
	if len(files) > 0 {
		sub.Files = map[string][]string{"file": files}
	}
	d := h.fs.ViewSubmission(h.ctx, sub)
	if d.Err != nil {
		t.Fatalf("submit %v: %v", values, d.Err)
	}
	return ackErrors(t, h.fs.WaitAck(h.ctx, d.EnvelopeID))
}

func ackErrors(t *testing.T, ack slacksim.Ack) map[string]string {
	t.Helper()
	if ack.Late {
		t.Errorf("view_submission acked late (%v)", ack.Latency)
	}
	if len(ack.Payload) == 0 {
		return nil
	}
	var resp struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(ack.Payload, &resp); err != nil || resp.ResponseAction != "errors" || len(resp.Errors) == 0 {
		t.Fatalf("ack payload %s", ack.Payload)
	}
	return resp.Errors
}

// confirmation waits for the n-th ephemeral message to the admin in C1
// posted with chat.postEphemeral (from 1).
func (h *harness) confirmation(t *testing.T, n int) slacksim.Message {
	t.Helper()
	var m slacksim.Message
	h.fs.WaitUntil(h.ctx, "confirmation", func() bool {
		var got []slacksim.Message
		for _, x := range h.fs.Messages("C1") {
			if x.Ephemeral && x.User == admin && x.Source == "chat.postEphemeral" {
				got = append(got, x)
			}
		}
		if len(got) < n {
			return false
		}
		m = got[n-1]
		return true
	})
	return m
}

// imageOf returns the image block of a message: its image_url or slack_file id.
func imageOf(t *testing.T, raw json.RawMessage) (url, fileID string) {
	t.Helper()
	for _, b := range blocks(t, raw) {
		if b["type"] == "image" {
			url, _ = b["image_url"].(string)
			if sf, ok := b["slack_file"].(map[string]any); ok {
				fileID, _ = sf["id"].(string)
			}
			return url, fileID
		}
	}
	return "", ""
}

func (h *harness) count(t *testing.T) int64 {
	t.Helper()
	n, err := h.store.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// searchImage runs /sticker query as U1 and returns the preview's image.
func (h *harness) searchImage(t *testing.T, query string) (url, fileID string) {
	t.Helper()
	d := h.command("U1", "C1", query)
	r := h.fs.WaitResponse(h.ctx, d.ResponseURL)
	return imageOf(t, r.Blocks)
}

func TestAdminAddWithURL(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	v := h.openModal(t, admin, "add Rocket launch")
	if v.CallbackID != "sticker_add" || strings.Join(v.InputBlockIDs(), ",") != "name,tags,file,image_url" {
		t.Fatalf("modal %s: callback %q, inputs %v", v.JSON, v.CallbackID, v.InputBlockIDs())
	}
	var input []map[string]any
	_ = json.Unmarshal(v.Blocks, &input)
	file := input[2]["element"].(map[string]any)
	if file["type"] != "file_input" || file["max_files"] != 1.0 || len(file["filetypes"].([]any)) != 4 {
		t.Errorf("file input %v", file)
	}
	if name := input[0]["element"].(map[string]any); name["max_length"] != 80.0 || name["initial_value"] != "Rocket launch" {
		t.Errorf("name input %v", input[0])
	}
	errs := h.submit(t, admin, map[string]string{
		"name": "  Rocket launch ", "tags": "space, 로켓, ロケット, to the moon", "image_url": "https://example.com/rocket.png",
	})
	if errs != nil {
		t.Fatalf("valid submission got errors %v", errs)
	}
	if len(h.fs.OpenViews(admin)) != 0 {
		t.Error("the modal stayed open")
	}
	st, err := h.store.GetByName(context.Background(), "rocket launch")
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != "Rocket launch" || !slices.Equal(st.Tags, []string{"space", "로켓", "ロケット", "to the moon"}) || st.AddedBy != admin {
		t.Errorf("saved %+v", st)
	}
	m := h.confirmation(t, 1)
	if u, _ := imageOf(t, m.Blocks); u != "https://example.com/rocket.png" {
		t.Errorf("confirmation shows %q: %s", u, m.Blocks)
	}
	if !strings.Contains(strings.Join(m.MrkdwnTexts(), " "), "Rocket launch") {
		t.Errorf("confirmation %v", m.MrkdwnTexts())
	}
	// Searchable at once, by name and by any tag.
	for _, q := range []string{"rocket launch", "로켓", "moon"} {
		if u, _ := h.searchImage(t, q); u != "https://example.com/rocket.png" {
			t.Errorf("/sticker %s shows %q", q, u)
		}
	}
}

func TestAdminAddValidation(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	notImage := h.fs.AddFile(slacksim.FileSpec{Name: "cat.png", Data: []byte("<!DOCTYPE html><html>not an image</html>"), User: admin, Channels: []string{"C1"}})
	big := append(pngBytes(t, 1), bytes.Repeat([]byte{0}, 2<<20)...)
	tooBig := h.fs.AddFile(slacksim.FileSpec{Name: "huge.png", Data: big, User: admin, Channels: []string{"C1"}})
	good := h.fs.AddFile(slacksim.FileSpec{Name: "ok.png", Data: pngBytes(t, 2), User: admin, Channels: []string{"C1"}})
	url := "https://example.com/x.png"
	var many []string
	for i := range 21 {
		many = append(many, "tag"+jsonInt(int64(i)))
	}
	before := h.count(t)
	h.openModal(t, admin, "add")
	cases := []struct {
		name   string
		values map[string]string
		files  []string
		block  string
		want   string
	}{
		{"blank name", map[string]string{"name": "   ", "image_url": url}, nil, "name", "Give the sticker a name"},
		{"long name", map[string]string{"name": strings.Repeat("n", 81), "image_url": url}, nil, "name", "at most 80"},
		{"name taken", map[string]string{"name": "CAT", "image_url": url}, nil, "name", "taken"},
		{"no image", map[string]string{"name": "new one"}, nil, "file", "Upload an image"},
		{"both", map[string]string{"name": "new one", "image_url": url}, []string{good.ID}, "image_url", "not both"},
		{"http URL", map[string]string{"name": "new one", "image_url": "http://example.com/x.png"}, nil, "image_url", "https://"},
		{"not a URL", map[string]string{"name": "new one", "image_url": "rocket"}, nil, "image_url", "https://"},
		{"not an image", map[string]string{"name": "new one"}, []string{notImage.ID}, "file", "not a PNG, JPEG or GIF"},
		{"too big", map[string]string{"name": "new one"}, []string{tooBig.ID}, "file", "over 2 MB"},
		{"too many tags", map[string]string{"name": "new one", "image_url": url, "tags": strings.Join(many, ", ")}, nil, "tags", "at most 20"},
	}
	for _, c := range cases {
		errs := h.submit(t, admin, c.values, c.files...)
		if !strings.Contains(errs[c.block], c.want) {
			t.Errorf("%s: errors %v, want %q on %s", c.name, errs, c.want, c.block)
		}
		if len(h.fs.OpenViews(admin)) != 1 {
			t.Fatalf("%s: the modal closed", c.name)
		}
	}
	if n := h.count(t); n != before {
		t.Errorf("invalid submissions changed the library: %d stickers, had %d", n, before)
	}
}

func TestAdminSlowDownloadStillAcks(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	f := h.fs.AddFile(slacksim.FileSpec{Name: "slow.png", Data: pngBytes(t, 3), User: admin, Channels: []string{"C1"}})
	h.openModal(t, admin, "add")
	h.fs.FailNext(slacksim.MethodFileDownload, 1, slacksim.Failure{Delay: 5 * time.Second})
	errs := h.submit(t, admin, map[string]string{"name": "slow"}, f.ID)
	if !strings.Contains(errs["file"], "Save again") {
		t.Fatalf("errors %v, want a field error asking to save again", errs)
	}
	if len(h.fs.UserErrors()) != 0 {
		t.Errorf("user errors: %v", h.fs.UserErrors())
	}
}

func TestAdminAddWithFile(t *testing.T) {
	t.Parallel()
	lib := slacksim.Channel{ID: "CLIBRARY", Name: "sticker-library", BotMember: true, Members: []string{admin}}
	h := startBot(t, map[string]string{"STICKER_LIBRARY_CHANNEL": lib.ID},
		slacksim.WithChannels(append(slacksim.DefaultChannels(), lib)...),
		slacksim.WithFileProcessing(400*time.Millisecond)) // image blocks fail until processed
	data := pngBytes(t, 4)
	// Named .gif, but a PNG: the bytes decide.
	up := h.fs.AddFile(slacksim.FileSpec{Name: "party.gif", Data: data, User: admin, Channels: []string{"C1"}})
	h.openModal(t, admin, "add")
	if errs := h.submit(t, admin, map[string]string{"name": "party parrot", "tags": "party"}, up.ID); errs != nil {
		t.Fatalf("errors %v", errs)
	}
	m := h.confirmation(t, 1)
	_, fileID := imageOf(t, m.Blocks)
	if fileID == "" || fileID == up.ID {
		t.Fatalf("confirmation shows file %q (the admin's upload is %s): %s", fileID, up.ID, m.Blocks)
	}
	copyFile, ok := h.fs.GetFile(fileID)
	if !ok || !bytes.Equal(copyFile.Data, data) || copyFile.User != slacksim.BotUserID || !slices.Contains(copyFile.Channels, lib.ID) {
		t.Fatalf("the Slack copy %+v", copyFile)
	}
	for _, c := range h.fs.Calls("chat.postEphemeral") {
		if c.Error != "" {
			t.Errorf("chat.postEphemeral failed with %s: the bot used a file before Slack had processed it", c.Error)
		}
	}
	// The bytes are in the library, with the sniffed type.
	st, err := h.store.GetByName(context.Background(), "party parrot")
	if err != nil {
		t.Fatal(err)
	}
	img, err := h.store.Image(context.Background(), st.ID)
	if err != nil || img.ContentType != "image/png" || !bytes.Equal(img.Data, data) || st.SlackFileID != fileID {
		t.Fatalf("stored %+v %q, %v", st, img.ContentType, err)
	}
	if _, f := h.searchImage(t, "party parrot"); f != fileID {
		t.Errorf("search shows file %q, want %s", f, fileID)
	}

	// Slack loses the copy (deleted from the channel): the next time the
	// bot shows it and Slack refuses, it uploads the stored bytes again.
	lost := "F0LOST0000"
	if _, err := h.db.Pool.Exec(context.Background(), `UPDATE stickers SET slack_file_id = $2 WHERE id = $1`, st.ID, lost); err != nil {
		t.Fatal(err)
	}
	h.openModal(t, admin, "edit party parrot")
	if errs := h.submit(t, admin, map[string]string{"name": "party parrot", "tags": "party, parrot"}); errs != nil {
		t.Fatalf("edit errors %v", errs)
	}
	m = h.confirmation(t, 2)
	_, again := imageOf(t, m.Blocks)
	if again == "" || again == lost || again == fileID {
		t.Fatalf("after the loss the confirmation shows %q: %s", again, m.Blocks)
	}
	if f, ok := h.fs.GetFile(again); !ok || !bytes.Equal(f.Data, data) {
		t.Fatalf("re-uploaded file %+v", f)
	}
	h.fs.WaitUntil(h.ctx, "new copy recorded", func() bool {
		st, err := h.store.Get(context.Background(), st.ID)
		return err == nil && st.SlackFileID == again
	})

	// Lost once more: the preview repairs it, and Send posts the new copy.
	if _, err := h.db.Pool.Exec(context.Background(), `UPDATE stickers SET slack_file_id = $2 WHERE id = $1`, st.ID, lost); err != nil {
		t.Fatal(err)
	}
	d := h.command("U1", "C1", "party parrot")
	preview := h.accepted(d.ResponseURL)
	if _, f := imageOf(t, preview.Blocks); f == "" || f == lost {
		t.Fatalf("preview after the loss shows %q", f)
	}
	h.fs.BlockAction(h.ctx, slacksim.Click{User: "U1", Message: preview.Message, ActionID: "sticker_send"})
	posted := h.fs.WaitMessage(h.ctx, "C1", func(m slacksim.Message) bool { return !m.Ephemeral && m.Source == "chat.postMessage" })
	if _, f := imageOf(t, posted.Blocks); f == "" || f == lost {
		t.Fatalf("sent sticker shows %q", f)
	}
}

// TestAdminFileWithoutLibraryChannel: without a library channel nobody
// could see an uploaded image, so the add form offers no upload and asks
// for the image's URL instead.
func TestAdminFileWithoutLibraryChannel(t *testing.T) {
	t.Parallel()
	h := startBot(t, map[string]string{"STICKER_LIBRARY_CHANNEL": ""})
	v := h.openModal(t, admin, "add")
	if ids := strings.Join(v.InputBlockIDs(), ","); ids != "name,tags,image_url" {
		t.Fatalf("the form offers %s", ids)
	}
	var input []map[string]any
	_ = json.Unmarshal(v.Blocks, &input)
	if input[2]["optional"] == true {
		t.Errorf("the image URL is optional, with no other way to give an image: %v", input[2])
	}
	if errs := h.submit(t, admin, map[string]string{"name": "linked", "image_url": "https://example.com/linked.png"}); errs != nil {
		t.Fatalf("errors %v", errs)
	}
	if _, err := h.store.GetByName(context.Background(), "linked"); err != nil {
		t.Fatal(err)
	}
}

func TestAdminNonAdminRefused(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	for _, text := range []string{"add", "edit cat", "delete cat", "list"} {
		d := h.command("U1", "C1", text)
		r := h.fs.WaitResponse(h.ctx, d.ResponseURL)
		if !strings.Contains(strings.Join(r.Message.MrkdwnTexts(), " "), "Only sticker admins") {
			t.Errorf("/sticker %s by a non-admin: %v", text, r.Message.MrkdwnTexts())
		}
		// Who to ask, named (an ephemeral mention notifies nobody).
		if !strings.Contains(strings.Join(r.Message.MrkdwnTexts(), " "), "<@"+admin+">") {
			t.Errorf("/sticker %s by a non-admin does not name the admin: %v", text, r.Message.MrkdwnTexts())
		}
	}
	if len(h.fs.Views()) != 0 {
		t.Errorf("a non-admin got a modal")
	}
}

func TestAdminForgedRequestsChangeNothing(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	cat, err := h.store.GetByName(context.Background(), "cat")
	if err != nil {
		t.Fatal(err)
	}
	before := h.count(t)
	// A view_submission Slack never asked U1 for, crafted by hand.
	for _, c := range []struct{ callback, meta string }{
		{"sticker_add", `{"c":"C1"}`},
		{"sticker_edit", `{"c":"C1","id":` + jsonInt(cat.ID) + `}`},
	} {
		d := h.fs.Interactive(h.ctx, map[string]any{
			"type": "view_submission", "user": map[string]any{"id": "U1", "username": "u1", "team_id": slacksim.TeamID},
			"team": map[string]any{"id": slacksim.TeamID}, "api_app_id": slacksim.AppID, "trigger_id": "1.2.abc",
			"view": map[string]any{
				"id": "VFORGED", "type": "modal", "callback_id": c.callback, "private_metadata": c.meta,
				"state": map[string]any{"values": map[string]any{
					"name":      map[string]any{"name": map[string]any{"type": "plain_text_input", "value": "pwned"}},
					"image_url": map[string]any{"image_url": map[string]any{"type": "plain_text_input", "value": "https://evil.example/x.png"}},
				}},
			},
		})
		errs := ackErrors(t, h.fs.WaitAck(h.ctx, d.EnvelopeID))
		if !strings.Contains(errs["name"], "Only sticker admins") {
			t.Errorf("forged %s acked with %v", c.callback, errs)
		}
	}
	// Button clicks crafted by hand: delete, list paging.
	for _, a := range []struct{ id, value string }{{"sticker_delete", jsonInt(cat.ID)}, {"sticker_list_next", "1"}} {
		d := h.fs.Interactive(h.ctx, map[string]any{
			"type": "block_actions", "user": map[string]any{"id": "U1"}, "team": map[string]any{"id": slacksim.TeamID},
			"trigger_id": "2.3.abc" + a.id, "response_url": h.fs.URL() + "/hooks/forged/" + a.id,
			"channel":   map[string]any{"id": "C1"},
			"container": map[string]any{"type": "message", "channel_id": "C1", "is_ephemeral": true},
			"actions":   []any{map[string]any{"type": "button", "action_id": a.id, "block_id": "b", "value": a.value}},
		})
		h.fs.WaitAck(h.ctx, d.EnvelopeID)
	}
	h.fs.WaitUntil(h.ctx, "refusals logged", func() bool {
		return strings.Count(h.logs.String(), "non-admin") >= 4
	})
	if _, err := h.store.GetByName(context.Background(), "cat"); err != nil {
		t.Errorf("cat: %v", err)
	}
	if _, err := h.store.GetByName(context.Background(), "pwned"); !errors.Is(err, sticker.ErrNotFound) {
		t.Errorf("pwned: %v", err)
	}
	if n := h.count(t); n != before {
		t.Errorf("%d stickers, had %d", n, before)
	}
	if n := len(h.fs.Calls("chat.postMessage")) + len(h.fs.Calls("views.open")); n != 0 {
		t.Errorf("%d calls for forged requests", n)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestAdminEdit(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	cat, err := h.store.GetByName(context.Background(), "cat")
	if err != nil {
		t.Fatal(err)
	}
	v := h.openModal(t, admin, "edit CAT")
	if v.CallbackID != "sticker_edit" || !strings.Contains(v.PrivateMetadata, jsonInt(cat.ID)) {
		t.Fatalf("edit modal: callback %q, metadata %q", v.CallbackID, v.PrivateMetadata)
	}
	var input []map[string]any
	_ = json.Unmarshal(v.Blocks, &input)
	initial := func(i int) string { s, _ := input[i]["element"].(map[string]any)["initial_value"].(string); return s }
	if initial(0) != "cat" || initial(3) != cat.ImageURL || !slices.Equal(sticker.ParseTags(initial(1)), cat.Tags) {
		t.Errorf("pre-filled with %q %q %q", initial(0), initial(1), initial(3))
	}
	// A rename onto another sticker's name is refused.
	if errs := h.submit(t, admin, map[string]string{"name": "Dog", "image_url": cat.ImageURL}); !strings.Contains(errs["name"], "taken") {
		t.Errorf("rename onto dog: %v", errs)
	}
	// Same name, other case, new tags; the image is kept when left empty.
	if errs := h.submit(t, admin, map[string]string{"name": "Kitty cat", "tags": "meow"}); errs != nil {
		t.Fatalf("edit: %v", errs)
	}
	st, err := h.store.Get(context.Background(), cat.ID)
	if err != nil || st.Name != "Kitty cat" || !slices.Equal(st.Tags, []string{"meow"}) || st.ImageURL != cat.ImageURL {
		t.Fatalf("after edit %+v, %v", st, err)
	}
	if _, err := h.store.GetByName(context.Background(), "cat"); !errors.Is(err, sticker.ErrNotFound) {
		t.Errorf("old name still there: %v", err)
	}
	if u, _ := h.searchImage(t, "meow"); u != cat.ImageURL {
		t.Errorf("new tag finds %q", u)
	}
	if !strings.Contains(strings.Join(h.confirmation(t, 1).MrkdwnTexts(), " "), "updated") {
		t.Error("no confirmation")
	}
	d := h.command(admin, "C1", "edit no such sticker")
	if r := h.fs.WaitResponse(h.ctx, d.ResponseURL); !strings.Contains(strings.Join(r.Message.MrkdwnTexts(), " "), "no sticker named") {
		t.Errorf("edit of an unknown sticker: %v", r.Message.MrkdwnTexts())
	}
}

func TestAdminDeleteWithConfirm(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	dog, err := h.store.GetByName(context.Background(), "dog")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.store.RecordSend(context.Background(), sticker.Send{StickerID: dog.ID, User: "U1", Channel: "C1"}); err != nil {
		t.Fatal(err)
	}
	d := h.command(admin, "C1", "delete dog")
	ask := h.fs.WaitResponse(h.ctx, d.ResponseURL)
	var confirm map[string]any
	for _, b := range blocks(t, ask.Blocks) {
		if b["type"] == "actions" {
			for _, e := range b["elements"].([]any) {
				if e.(map[string]any)["action_id"] == "sticker_delete" {
					confirm, _ = e.(map[string]any)["confirm"].(map[string]any)
				}
			}
		}
	}
	if confirm == nil || confirm["title"] == nil || confirm["confirm"] == nil {
		t.Fatalf("the Delete button has no confirm dialog: %s", ask.Blocks)
	}
	if _, err := h.store.Get(context.Background(), dog.ID); err != nil {
		t.Fatalf("deleted before the click: %v", err)
	}
	click := h.fs.BlockAction(h.ctx, slacksim.Click{User: admin, Message: ask.Message, ActionID: "sticker_delete"})
	done := h.fs.WaitResponse(h.ctx, click.ResponseURL)
	if !done.ReplaceOriginal || !strings.Contains(strings.Join(done.Message.MrkdwnTexts(), " "), "Deleted") {
		t.Errorf("after delete: %+v", done)
	}
	if _, err := h.store.Get(context.Background(), dog.ID); !errors.Is(err, sticker.ErrNotFound) {
		t.Fatalf("dog: %v", err)
	}
	var name string
	var id *int64
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT sticker_name, sticker_id FROM sends`).Scan(&name, &id); err != nil || name != "dog" || id != nil {
		t.Errorf("send history: %q %v %v", name, id, err)
	}
	if u, _ := h.searchImage(t, "dog"); u == dog.ImageURL {
		t.Error("a deleted sticker is still found")
	}
	// Cancel leaves the sticker alone.
	d = h.command(admin, "C1", "delete cat")
	ask = h.fs.WaitResponse(h.ctx, d.ResponseURL)
	click = h.fs.BlockAction(h.ctx, slacksim.Click{User: admin, Message: ask.Message, ActionID: "sticker_delete_cancel"})
	if r := h.fs.WaitResponse(h.ctx, click.ResponseURL); !r.DeleteOriginal {
		t.Errorf("cancel: %+v", r)
	}
	if _, err := h.store.GetByName(context.Background(), "cat"); err != nil {
		t.Errorf("cancel deleted cat: %v", err)
	}
}

func TestAdminListPaging(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	// A name that would mention everyone, unescaped.
	if _, err := h.store.Save(context.Background(), 0, sticker.Draft{Name: "<!channel> alert", ImageURL: "https://example.com/a.png"}); err != nil {
		t.Fatal(err)
	}
	total := int(h.count(t))
	d := h.command(admin, "C1", "list")
	page := h.fs.WaitResponse(h.ctx, d.ResponseURL)
	var seen []string
	for i := 0; ; i++ {
		bs := blocks(t, page.Blocks)
		if len(bs) > 50 {
			t.Fatalf("page %d has %d blocks", i, len(bs))
		}
		texts := page.Message.MrkdwnTexts()
		for _, text := range texts {
			if len(text) > 3000 || slacksim.HasUnescapedSpecial(text) {
				t.Errorf("page %d: text %q", i, text)
			}
		}
		if !strings.Contains(texts[1], "page "+jsonInt(int64(i+1))+" of") {
			t.Errorf("page %d header %q", i, texts[1])
		}
		for _, b := range bs[1:] {
			if b["type"] == "section" {
				seen = append(seen, b["text"].(map[string]any)["text"].(string))
			}
		}
		ids := buttons(t, page.Blocks)
		if i > 0 && !slices.Contains(ids, "sticker_list_prev") {
			t.Errorf("page %d has no Previous: %v", i, ids)
		}
		if !slices.Contains(ids, "sticker_list_next") {
			break
		}
		if i > 10 {
			t.Fatal("too many pages")
		}
		click := h.fs.BlockAction(h.ctx, slacksim.Click{User: admin, Message: page.Message, ActionID: "sticker_list_next"})
		page = h.fs.WaitResponse(h.ctx, click.ResponseURL)
		if !page.ReplaceOriginal {
			t.Fatalf("Next did not replace the list: %+v", page)
		}
	}
	if len(seen) != total {
		t.Errorf("listed %d stickers, the library has %d", len(seen), total)
	}
	back := h.fs.BlockAction(h.ctx, slacksim.Click{User: admin, Message: page.Message, ActionID: "sticker_list_prev"})
	prev := h.fs.WaitResponse(h.ctx, back.ResponseURL)
	if texts := prev.Message.MrkdwnTexts(); len(texts) < 2 || !strings.Contains(texts[1], "page "+jsonInt(int64((total-1)/10))+" of") {
		t.Errorf("Previous shows %v", texts)
	}
}

// TestExportImportRoundTrip: export, then import into an empty database,
// gives the same library, uploaded images included.
func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	src := testdb.New(t)
	st := store.New(src.Pool)
	ctx := context.Background()
	testdb.LoadSample(t, st)
	img, err := sticker.SniffImage(pngBytes(t, 9))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Save(ctx, 0, sticker.Draft{Name: "uploaded", Tags: []string{"file", "파일"}, Image: &img, SlackFileID: "F0COPY00001"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Save(ctx, 0, sticker.Draft{Name: "not hosted yet", Image: &img}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	backup := filepath.Join(dir, "backup.json")
	if out, err := runCLI(t, map[string]string{"DATABASE_URL": src.URL}, "export", backup); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"stickerbot", "export", "-"}, envOf(map[string]string{"DATABASE_URL": src.URL}), nil, &stdout, &stderr); err != nil {
		t.Fatalf("export -: %v\n%s", err, stderr.String())
	}
	first, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, stdout.Bytes()) {
		t.Error("export - differs from export FILE")
	}
	if !bytes.Contains(first, []byte(`"image_content_type": "image/png"`)) {
		t.Errorf("no image bytes in the export")
	}

	dst := testdb.NewDatabase(t, testdb.Options{Empty: true})
	if out, err := runCLI(t, map[string]string{"DATABASE_URL": dst.URL}, "import", backup); err != nil || !strings.Contains(out, "34 added") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	again := filepath.Join(dir, "again.json")
	if out, err := runCLI(t, map[string]string{"DATABASE_URL": dst.URL}, "export", again); err != nil {
		t.Fatalf("export again: %v\n%s", err, out)
	}
	second, err := os.ReadFile(again)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Errorf("the library changed in the round trip:\n%s\n---\n%s", first, second)
	}
	// Importing the backup again changes nothing.
	if out, err := runCLI(t, map[string]string{"DATABASE_URL": dst.URL}, "import", backup); err != nil || !strings.Contains(out, "34 unchanged") {
		t.Fatalf("import again: %v\n%s", err, out)
	}
	got, err := store.New(dst.Pool).Image(ctx, mustGet(t, store.New(dst.Pool), "uploaded").ID)
	if err != nil || !bytes.Equal(got.Data, img.Data) {
		t.Errorf("image after the round trip: %v", err)
	}
}

func mustGet(t *testing.T, st *store.Store, name string) sticker.Sticker {
	t.Helper()
	s, err := st.GetByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSyncImages: at start the bot gives every stored image a Slack copy
// Slack still has: missing copies and lost ones are uploaded again.
func TestSyncImages(t *testing.T) {
	t.Parallel()
	lib := slacksim.Channel{ID: "CLIBRARY", Name: "sticker-library", BotMember: true}
	fs := slacksim.New(t, slacksim.WithChannels(append(slacksim.DefaultChannels(), lib)...), slacksim.WithFileProcessing(100*time.Millisecond))
	db := testdb.New(t)
	st := store.New(db.Pool)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	data := pngBytes(t, 7)
	img, err := sticker.SniffImage(data)
	if err != nil {
		t.Fatal(err)
	}
	kept := fs.AddFile(slacksim.FileSpec{Name: "kept.png", Data: data, Channels: []string{lib.ID}})
	save := func(name, fileID string) sticker.Sticker {
		s, err := st.Save(ctx, 0, sticker.Draft{Name: name, Image: &img, SlackFileID: fileID})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	missing, lost, fine := save("missing", ""), save("lost", "F0LOST0000"), save("fine", kept.ID)
	logs := &syncBuffer{}
	index := search.NewLibrary(st, slog.New(slog.NewTextHandler(logs, nil)))
	if err := index.Load(ctx); err != nil {
		t.Fatal(err)
	}
	newBot := func(library string) *handlers.Bot {
		b, err := handlers.New(handlers.Config{
			Search:         index,
			Library:        libraryStore(st, index),
			Claims:         st,
			Images:         libraryStore(st, index),
			Slack:          slack.New(fs.BotToken(), slack.OptionAPIURL(fs.APIURL())),
			Logger:         slog.New(slog.NewTextHandler(logs, nil)),
			LibraryChannel: library,
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	newBot("").SyncImages(ctx)
	if !strings.Contains(logs.String(), "hidden from searches") || len(fs.Calls("files.completeUploadExternal")) != 0 {
		t.Errorf("without a library channel: %s", logs.String())
	}
	newBot(lib.ID).SyncImages(ctx)
	for _, c := range []struct {
		s       sticker.Sticker
		newCopy bool
	}{{missing, true}, {lost, true}, {fine, false}} {
		got, err := st.Get(ctx, c.s.ID)
		if err != nil {
			t.Fatal(err)
		}
		f, ok := fs.GetFile(got.SlackFileID)
		switch {
		case !ok || !bytes.Equal(f.Data, data) || !slices.Contains(f.Channels, lib.ID):
			t.Errorf("%s: Slack copy %q: %+v", c.s.Name, got.SlackFileID, f)
		case c.newCopy == (got.SlackFileID == c.s.SlackFileID):
			t.Errorf("%s: copy %q, was %q", c.s.Name, got.SlackFileID, c.s.SlackFileID)
		}
	}
	if n := len(fs.Calls("files.completeUploadExternal")); n != 2 {
		t.Errorf("%d uploads, want 2", n)
	}
	pq, _ := search.ParseQuery("missing")
	if page, err := index.Search(ctx, pq, 0, 1); err != nil || len(page.Matches) != 1 {
		t.Errorf("once uploaded, the sticker is searchable: %v %v", page, err)
	}
}

// Where the bot cannot post (not a member), the confirmation goes through
// the command's response_url instead.
func TestAdminConfirmationWhereTheBotIsNotAMember(t *testing.T) {
	t.Parallel()
	h := startBot(t, nil)
	d := h.command(admin, "C2", "add")
	h.fs.WaitUntil(h.ctx, "modal", func() bool { return len(h.fs.OpenViews(admin)) == 1 })
	if errs := h.submit(t, admin, map[string]string{"name": "elsewhere", "image_url": "https://example.com/e.png"}); errs != nil {
		t.Fatalf("errors %v", errs)
	}
	h.fs.WaitCall(h.ctx, "chat.postEphemeral", func(c slacksim.Call) bool { return c.Error == "not_in_channel" })
	r := h.fs.WaitResponse(h.ctx, d.ResponseURL)
	if u, _ := imageOf(t, r.Blocks); u != "https://example.com/e.png" || !r.Message.Ephemeral {
		t.Errorf("confirmation %+v", r)
	}
}
