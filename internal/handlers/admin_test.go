package handlers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/envelope"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

func TestTagsTextRoundTrip(t *testing.T) {
	for _, tags := range [][]string{
		{"cat"}, {"thumbs up"}, {"a", "b c", "고양이"}, {"ねこ", "猫"},
	} {
		if got := sticker.ParseTags(tagsText(tags)); !slices.Equal(got, tags) {
			t.Errorf("%q → %q → %q", tags, tagsText(tags), got)
		}
	}
}

func TestListMessageLimits(t *testing.T) {
	long := strings.Repeat("<!channel>", 8) // 80 characters that must not mention anyone
	var items []sticker.Sticker
	for range listPageSize {
		st := sticker.Sticker{Name: long, UsageCount: 12345}
		for range sticker.MaxTags {
			st.Tags = append(st.Tags, strings.Repeat("&", sticker.MaxTagLen))
		}
		items = append(items, st)
	}
	blocks := listMessage(items, 1000, 3)
	if len(blocks) > 50 {
		t.Fatalf("%d blocks", len(blocks))
	}
	raw, _ := json.Marshal(blocks)
	var decoded []map[string]any
	_ = json.Unmarshal(raw, &decoded)
	for i, b := range decoded {
		if b["type"] != "section" {
			continue
		}
		text := b["text"].(map[string]any)["text"].(string)
		if n := utf8.RuneCountInString(text); n > maxTextLen {
			t.Errorf("block %d: %d characters", i, n)
		}
		if strings.Contains(text, "<!") {
			t.Errorf("block %d unescaped: %q", i, text[:40])
		}
	}
	ids := []string{}
	last := decoded[len(decoded)-1]
	for _, e := range last["elements"].([]any) {
		ids = append(ids, e.(map[string]any)["action_id"].(string))
	}
	if !slices.Equal(ids, []string{actionListPrev, actionListNext}) {
		t.Errorf("buttons %v", ids)
	}
	if b := listMessage(nil, 0, 0); len(b) != 1 {
		t.Errorf("empty library: %d blocks", len(b))
	}
}

func TestStickerModalLimits(t *testing.T) {
	st := &sticker.Sticker{ID: 7, Name: strings.Repeat("n", 80), Tags: []string{"thumbs up"}, ImageURL: "https://x.example/a.png"}
	meta := modalMeta{Channel: "C1", ResponseURL: "https://hooks.slack.com/commands/T1/" + strings.Repeat("1", 200), ID: 7}
	for _, v := range []slack.ModalViewRequest{stickerModal(nil, meta, true), stickerModal(st, meta, true)} {
		if n := utf8.RuneCountInString(v.Title.Text); n > 24 {
			t.Errorf("title %q", v.Title.Text)
		}
		if len(v.PrivateMetadata) > 3000 {
			t.Errorf("metadata %d bytes", len(v.PrivateMetadata))
		}
		var got modalMeta
		if err := json.Unmarshal([]byte(v.PrivateMetadata), &got); err != nil || got != meta {
			t.Errorf("metadata %q", v.PrivateMetadata)
		}
		var ids []string
		for _, b := range v.Blocks.BlockSet {
			ids = append(ids, b.(*slack.InputBlock).BlockID)
		}
		if !slices.Equal(ids, []string{blockName, blockTags, blockFile, blockURL}) {
			t.Errorf("blocks %v", ids)
		}
	}
}

// Without a library channel that can show uploads, the form offers none,
// and the image URL is required to add a sticker.
func TestStickerModalWithoutUploads(t *testing.T) {
	meta := modalMeta{Channel: "C1", ResponseURL: "https://hooks.slack.com/commands/T1/1/x"}
	uploaded := &sticker.Sticker{ID: 8, Name: "ねこ", SlackFileID: "F0123ABCD"}
	for _, tc := range []struct {
		name        string
		v           slack.ModalViewRequest
		urlOptional bool
	}{
		{"add", stickerModal(nil, meta, false), false},
		{"edit an uploaded sticker", stickerModal(uploaded, modalMeta{Channel: "C1", ID: 8}, false), true},
	} {
		var ids []string
		for _, b := range tc.v.Blocks.BlockSet {
			ib := b.(*slack.InputBlock)
			ids = append(ids, ib.BlockID)
			if ib.BlockID == blockURL && ib.Optional != tc.urlOptional {
				t.Errorf("%s: the image URL is optional: %v", tc.name, ib.Optional)
			}
		}
		if !slices.Equal(ids, []string{blockName, blockTags, blockURL}) {
			t.Errorf("%s: blocks %v", tc.name, ids)
		}
	}
}

// slowStore answers every lookup only when its context ends.
type slowStore struct{ stubStore }

func (slowStore) GetByName(ctx context.Context, _ string) (sticker.Sticker, error) {
	<-ctx.Done()
	return sticker.Sticker{}, ctx.Err()
}

func (slowStore) Get(ctx context.Context, _ int64) (sticker.Sticker, error) {
	<-ctx.Done()
	return sticker.Sticker{}, ctx.Err()
}

type noSlack struct{ Slack }

func submission(t *testing.T, user, callback, meta string, values map[string]string) *envelope.Envelope {
	t.Helper()
	state := map[string]any{}
	for k, v := range values {
		state[k] = map[string]any{k: map[string]any{"type": "plain_text_input", "value": v}}
	}
	p, err := json.Marshal(map[string]any{
		"type": "view_submission", "user": map[string]any{"id": user},
		"view": map[string]any{"callback_id": callback, "private_metadata": meta, "state": map[string]any{"values": state}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &envelope.Envelope{Kind: envelope.Interactive, ID: "e1", Payload: p}
}

func errorsOf(t *testing.T, ack any) map[string]string {
	t.Helper()
	r, ok := ack.(*slack.ViewSubmissionResponse)
	if !ok || r.ResponseAction != slack.RAErrors {
		t.Fatalf("ack %#v", ack)
	}
	return r.Errors
}

func TestViewSubmissionStaysInsideTheAckBudget(t *testing.T) {
	b, err := New(withLibrary(slowStore{}, Config{Slack: noSlack{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Admins: []string{"UADMIN"}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ callback, meta string }{{viewAdd, `{"c":"C1"}`}, {viewEdit, `{"c":"C1","id":3}`}} {
		ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
		start := time.Now()
		ack := b.Dispatch(ctx, submission(t, "UADMIN", c.callback, c.meta, map[string]string{"name": "x", "image_url": "https://x.example/a.png"}))
		cancel()
		if d := time.Since(start); d > 600*time.Millisecond-ackMargin/2 {
			t.Errorf("%s: returned after %v, too close to the ack deadline", c.callback, d)
		}
		if msg := errorsOf(t, ack)[blockName]; !strings.Contains(msg, "Save again") {
			t.Errorf("%s: %q", c.callback, msg)
		}
	}
}

func TestViewSubmissionChecksRights(t *testing.T) {
	b, err := New(withLibrary(slowStore{}, Config{Slack: noSlack{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Admins: []string{"UADMIN"}}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ack := b.Dispatch(ctx, submission(t, "U1", viewAdd, `{"c":"C1"}`, map[string]string{"name": "x"}))
	if msg := errorsOf(t, ack)[blockName]; !strings.Contains(msg, "Only sticker admins") {
		t.Errorf("non-admin: %q", msg)
	}
	for _, meta := range []string{``, `{}`, `{"c":"C1","id":3}`, `not json`} {
		ack := b.Dispatch(ctx, submission(t, "UADMIN", viewAdd, meta, map[string]string{"name": "x"}))
		if msg := errorsOf(t, ack)[blockName]; !strings.Contains(msg, "out of date") {
			t.Errorf("metadata %q: %q", meta, msg)
		}
	}
	if ack := b.Dispatch(ctx, submission(t, "UADMIN", "other_modal", `{}`, nil)); ack != nil {
		t.Errorf("unknown callback: %#v", ack)
	}
}

// fileSlack serves every download with data.
type fileSlack struct {
	Slack
	data []byte
}

func (f fileSlack) GetFileContext(_ context.Context, _ string, w io.Writer) error {
	_, err := w.Write(f.data)
	return err
}

func TestDownloadImageTrustsOnlyTheBytes(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	cases := []struct {
		name string
		data []byte
		file slack.File
		want string // "" ok
	}{
		{"png named gif", png, slack.File{Name: "a.gif", Size: len(png)}, ""},
		{"html named png", []byte("<html>hi</html>"), slack.File{Name: "a.png", Mimetype: "image/png"}, "not a PNG, JPEG or GIF"},
		{"size understated", append(append([]byte{}, png...), make([]byte, sticker.MaxImageBytes)...), slack.File{Name: "a.png", Size: 10}, "over 2 MB"},
		{"size stated", png, slack.File{Name: "a.png", Size: sticker.MaxImageBytes + 1}, "over 2 MB"},
	}
	for _, c := range cases {
		b, err := New(withLibrary(slowStore{}, Config{Slack: fileSlack{data: c.data}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
		if err != nil {
			t.Fatal(err)
		}
		c.file.URLPrivateDownload = "https://files.slack.com/x"
		img, problem := b.downloadImage(context.Background(), c.file)
		switch {
		case c.want == "" && (problem != "" || img.ContentType != "image/png"):
			t.Errorf("%s: %q %q", c.name, problem, img.ContentType)
		case c.want != "" && !strings.Contains(problem, c.want):
			t.Errorf("%s: %q, want %q", c.name, problem, c.want)
		}
	}
}
