package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/envelope"
	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

var errStub = errors.New("stub")

// stubStore and stubSlack answer every call with an error or nothing, so a
// fuzzed payload can reach any path without a database or Slack.
type stubStore struct{}

func (stubStore) Search(context.Context, search.Query, int, int) (search.Page, error) {
	return search.Page{}, nil
}
func (stubStore) Get(context.Context, int64) (sticker.Sticker, error) {
	return sticker.Sticker{}, sticker.ErrNotFound
}
func (stubStore) RecordSend(context.Context, sticker.Send) error { return nil }
func (stubStore) Claim(context.Context, string) (bool, error)    { return true, nil }
func (stubStore) Unclaim(context.Context, string) error          { return nil }
func (stubStore) GetByName(context.Context, string) (sticker.Sticker, error) {
	return sticker.Sticker{}, sticker.ErrNotFound
}
func (stubStore) Save(_ context.Context, id int64, d sticker.Draft) (sticker.Sticker, error) {
	return sticker.Sticker{ID: max(id, 1), Name: d.Name, Tags: d.Tags, ImageURL: d.ImageURL}, nil
}
func (stubStore) Delete(context.Context, int64) (sticker.Sticker, error) {
	return sticker.Sticker{}, sticker.ErrNotFound
}
func (stubStore) List(context.Context, int, int) ([]sticker.Sticker, int64, error) {
	return nil, 0, nil
}
func (stubStore) Image(context.Context, int64) (sticker.Image, error) {
	return sticker.Image{}, sticker.ErrNotFound
}
func (stubStore) SetSlackFile(context.Context, int64, string, []byte) (sticker.Sticker, error) {
	return sticker.Sticker{}, errStub
}
func (stubStore) StoredImages(context.Context, int64, int) ([]sticker.StoredImage, error) {
	return nil, nil
}

func (stubStore) Exclusive(ctx context.Context, _ string, fn func(context.Context) error) (bool, error) {
	return true, fn(ctx)
}

type stubSlack struct{}

func (stubSlack) PostMessageContext(context.Context, string, ...slack.MsgOption) (string, string, error) {
	return "", "", errStub
}
func (stubSlack) PostEphemeralContext(context.Context, string, string, ...slack.MsgOption) (string, error) {
	return "", errStub
}
func (stubSlack) OpenViewContext(context.Context, string, slack.ModalViewRequest) (*slack.ViewResponse, error) {
	return nil, errStub
}
func (stubSlack) UpdateViewContext(context.Context, slack.ModalViewRequest, string, string, string) (*slack.ViewResponse, error) {
	return nil, errStub
}
func (stubSlack) GetFileContext(context.Context, string, io.Writer) error { return errStub }
func (stubSlack) UploadFileContext(context.Context, slack.UploadFileParameters) (*slack.FileSummary, error) {
	return nil, errStub
}
func (stubSlack) GetUserInfoContext(context.Context, string, ...slack.GetUserInfoOption) (*slack.User, error) {
	return nil, errStub
}
func (stubSlack) GetFileInfoContext(context.Context, string, int, int) (*slack.File, []slack.Comment, *slack.Paging, error) {
	return nil, nil, nil, errStub
}
func (stubSlack) PublishViewContext(context.Context, slack.PublishViewContextRequest) (*slack.ViewResponse, error) {
	return nil, errStub
}
func (stubSlack) DeleteMessageContext(context.Context, string, string) (string, string, error) {
	return "", "", errStub
}

// FuzzViewSubmission feeds arbitrary interaction payloads, view_submission
// ones first, to the bot, from decoding to whatever handler they reach: it
// must never panic, and any ack it returns must encode.
func FuzzViewSubmission(f *testing.F) {
	seed := func(user, callback, meta string, values map[string]any) {
		p, _ := json.Marshal(map[string]any{
			"type": "view_submission", "user": map[string]any{"id": user},
			"view": map[string]any{"callback_id": callback, "private_metadata": meta, "state": map[string]any{"values": values}},
		})
		f.Add(p)
	}
	text := func(v string) map[string]any { return map[string]any{"type": "plain_text_input", "value": v} }
	seed("UADMIN", "sticker_add", `{"c":"C1"}`, map[string]any{
		"name": map[string]any{"name": text("cat")}, "tags": map[string]any{"tags": text("a, b")},
		"image_url": map[string]any{"image_url": text("https://x.example/c.png")},
	})
	seed("UADMIN", "sticker_edit", `{"c":"C1","id":3}`, map[string]any{
		"name": map[string]any{"name": text("")},
		"file": map[string]any{"file": map[string]any{"type": "file_input", "files": []any{map[string]any{"id": "F1", "size": 1e9}}}},
	})
	seed("U2", "sticker_add", `not json`, nil)
	seed("U1", "sticker_picker", `p1:x:{"u":"U1","k":"g","s":3}`, nil)
	f.Add([]byte(`{"type":"view_submission","view":{"state":{"values":{"name":null}}}}`))
	f.Add([]byte(`{"type":"view_submission","view":{"state":{"values":{"file":{"file":{"files":[null]}}}}}}`))
	f.Add([]byte(`[]`))
	b, err := New(withLibrary(stubStore{}, Config{Slack: stubSlack{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Admins: []string{"UADMIN"}}))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		ack := b.Dispatch(ctx, &envelope.Envelope{Kind: envelope.Interactive, ID: "e", Payload: payload})
		for len(b.queue) > 0 { // a payload that is no submission runs its handler
			b.do(ctx, <-b.queue)
		}
		b.background.wg.Wait()
		if ack != nil {
			if _, err := json.Marshal(ack); err != nil {
				t.Fatalf("ack %#v does not encode: %v", ack, err)
			}
		}
	})
}

// libraryStore is all a Bot asks of the sticker library, as one value.
type libraryStore interface {
	Searcher
	Library
	Claims
	Images
}

// withLibrary returns cfg with st as the whole library.
func withLibrary(st libraryStore, cfg Config) Config {
	cfg.Search, cfg.Library, cfg.Claims, cfg.Images = st, st, st, st
	return cfg
}
