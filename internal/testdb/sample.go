package testdb

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stickerbot/stickerbot/internal/sticker"
	"github.com/stickerbot/stickerbot/internal/store"
)

// SamplePath is examples/stickers.json, the sample library of the README,
// found from this file so any package's tests can use it.
func SamplePath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "examples", "stickers.json")
}

// LoadSample imports the sample library into st.
func LoadSample(tb testing.TB, st *store.Store) {
	tb.Helper()
	f, err := os.Open(SamplePath())
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	drafts, err := sticker.ReadFile(f, "import")
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := st.Import(context.Background(), drafts); err != nil {
		tb.Fatal(err)
	}
}
