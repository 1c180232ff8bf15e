package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stickerbot/stickerbot/internal/sticker"
	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

// testPNG is the smallest PNG: 1×1, transparent.
var testPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

func mustImage(t *testing.T, data []byte) *sticker.Image {
	t.Helper()
	img, err := sticker.SniffImage(data)
	if err != nil {
		t.Fatal(err)
	}
	return &img
}

func TestSaveStoredImageIsHiddenUntilHosted(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	img := mustImage(t, testPNG)
	s, err := st.Save(ctx, 0, sticker.Draft{Name: "uploaded", Tags: []string{"upload"}, Image: img, AddedBy: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if s.ImageURL != "" || s.SlackFileID != "" {
		t.Fatalf("saved %+v", s)
	}
	if got := find(t, st, "uploaded"); len(got) != 0 {
		t.Fatalf("an image nobody can see yet is searchable: %v", names(got))
	}
	stored, err := st.Image(ctx, s.ID)
	if err != nil || stored.ContentType != "image/png" || !bytes.Equal(stored.Data, testPNG) {
		t.Fatalf("Image: %+v, %v", stored, err)
	}
	if _, err := st.SetSlackFile(ctx, s.ID, "F0AAAAAAAA", []byte("other digest")); !errors.Is(err, sticker.ErrImageChanged) {
		t.Fatalf("SetSlackFile with a stale digest: %v", err)
	}
	hosted, err := st.SetSlackFile(ctx, s.ID, "F0AAAAAAAA", img.SHA256())
	if err != nil || hosted.SlackFileID != "F0AAAAAAAA" {
		t.Fatalf("SetSlackFile: %+v, %v", hosted, err)
	}
	if got := find(t, st, "upload"); !slices.Equal(names(got), []string{"uploaded"}) {
		t.Fatalf("after hosting: %v", names(got))
	}
	si, err := st.StoredImages(ctx, 0, 10)
	if err != nil || len(si) != 1 || si[0] != (sticker.StoredImage{ID: s.ID, SlackFileID: "F0AAAAAAAA"}) {
		t.Fatalf("StoredImages: %+v, %v", si, err)
	}
	// Switching to an image URL drops the stored image.
	if _, err := st.Save(ctx, s.ID, sticker.Draft{Name: "uploaded", ImageURL: "https://img.example.com/u.png"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Image(ctx, s.ID); !errors.Is(err, sticker.ErrNotFound) {
		t.Fatalf("stored image after switching to a URL: %v", err)
	}
	if _, err := st.SetSlackFile(ctx, 999999, "F0AAAAAAAA", img.SHA256()); !errors.Is(err, sticker.ErrNotFound) {
		t.Fatalf("SetSlackFile of a missing sticker: %v", err)
	}
}

func TestSaveErrors(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	mustCreate(t, st, "cat")
	dog := mustCreate(t, st, "dog")
	if _, err := st.Save(ctx, 0, sticker.Draft{Name: "CAT", ImageURL: "https://x.example/c.png"}); !errors.Is(err, sticker.ErrDuplicateName) {
		t.Errorf("duplicate add: %v", err)
	}
	if _, err := st.Save(ctx, dog.ID, sticker.Draft{Name: "Cat", ImageURL: "https://x.example/c.png"}); !errors.Is(err, sticker.ErrDuplicateName) {
		t.Errorf("rename onto cat: %v", err)
	}
	if _, err := st.Save(ctx, 999999, sticker.Draft{Name: "x", ImageURL: "https://x.example/c.png"}); !errors.Is(err, sticker.ErrNotFound) {
		t.Errorf("missing sticker: %v", err)
	}
	var fe sticker.FieldError
	if _, err := st.Save(ctx, 0, sticker.Draft{Name: "x"}); !errors.As(err, &fe) {
		t.Errorf("no image: %v", err)
	}
	bad := &sticker.Image{ContentType: "image/gif", Data: testPNG}
	if _, err := st.Save(ctx, 0, sticker.Draft{Name: "x", Image: bad}); !errors.As(err, &fe) || fe.Field != "image" {
		t.Errorf("mislabelled image: %v", err)
	}
}

// The schema holds the rules even for SQL that bypasses the store.
func TestImageConstraints(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	exec := func(q string, args ...any) error {
		_, err := db.Pool.Exec(ctx, q, args...)
		return err
	}
	if err := exec(`INSERT INTO stickers (name, name_key) VALUES ('bare', 'bare')`); err == nil {
		t.Error("a sticker without any image was accepted")
	}
	st := store.New(db.Pool)
	s, err := st.Save(ctx, 0, sticker.Draft{Name: "only bytes", Image: mustImage(t, testPNG)})
	if err != nil {
		t.Fatal(err)
	}
	if err := exec(`DELETE FROM sticker_images WHERE sticker_id = $1`, s.ID); err == nil {
		t.Error("removing the only image of a sticker was accepted")
	}
	for name, q := range map[string]string{
		"type":   `UPDATE sticker_images SET content_type = 'text/html' WHERE sticker_id = $1`,
		"digest": `UPDATE sticker_images SET sha256 = sha256('x') WHERE sticker_id = $1`,
		"size":   `UPDATE sticker_images SET data = '', sha256 = sha256('') WHERE sticker_id = $1`,
		"large":  `UPDATE sticker_images SET data = decode(repeat('00', 2097153), 'hex'), sha256 = sha256(decode(repeat('00', 2097153), 'hex')) WHERE sticker_id = $1`,
	} {
		if err := exec(q, s.ID); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := st.Delete(ctx, s.ID); err != nil {
		t.Fatalf("deleting a sticker with a stored image: %v", err)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	for i := range 25 {
		mustCreate(t, st, fmt.Sprintf("s%02d", 24-i))
	}
	var all []string
	for off := 0; off < 30; off += 10 {
		page, total, err := st.List(ctx, off, 10)
		if err != nil || total != 25 {
			t.Fatalf("List(%d): %d, %v", off, total, err)
		}
		for _, s := range page {
			all = append(all, s.Name)
		}
	}
	if len(all) != 25 || !slices.IsSorted(all) {
		t.Fatalf("listed %v", all)
	}
	if page, total, err := st.List(ctx, 100, 10); err != nil || len(page) != 0 || total != 25 {
		t.Fatalf("past the end: %d, %d, %v", len(page), total, err)
	}
}

func TestExportImport(t *testing.T) {
	t.Parallel()
	src := newStore(t)
	ctx := context.Background()
	mustCreate(t, src, "cat", "고양이")
	img := mustImage(t, testPNG)
	if _, err := src.Save(ctx, 0, sticker.Draft{Name: "uploaded", Tags: []string{"a b"}, Image: img, SlackFileID: "F0BBBBBBBB"}); err != nil {
		t.Fatal(err)
	}
	buf := exportFile(t, src)
	drafts, err := sticker.ReadFile(bytes.NewReader(buf.Bytes()), "import")
	if err != nil {
		t.Fatalf("ReadFile of an export: %v\n%s", err, buf.Bytes())
	}
	dst := newStore(t)
	res, err := dst.Import(ctx, drafts)
	if err != nil || res.Added != 2 {
		t.Fatalf("Import: %+v, %v", res, err)
	}
	buf2 := exportFile(t, dst)
	if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
		t.Fatalf("round trip changed the library:\n%s\n%s", buf.Bytes(), buf2.Bytes())
	}
	drafts, _ = sticker.ReadFile(bytes.NewReader(buf.Bytes()), "import")
	if res, err := dst.Import(ctx, drafts); err != nil || res.Unchanged != 2 {
		t.Fatalf("second import: %+v, %v", res, err)
	}
	if got := find(t, dst, "a b"); !slices.Equal(names(got), []string{"uploaded"}) {
		t.Fatalf("imported sticker not searchable: %v", names(got))
	}
}

// exportFile writes st's library as an import file.
func exportFile(t *testing.T, st *store.Store) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	fw := sticker.NewFileWriter(&buf)
	if _, err := st.ExportTo(context.Background(), fw.Write); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}
