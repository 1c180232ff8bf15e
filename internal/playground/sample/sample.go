// Package sample is the playground's sample library: the stickers of
// examples/stickers.json with their images stored in the import file
// (Twemoji, CC-BY 4.0; see ATTRIBUTION.md), so a playground shows pictures
// without internet. make-sample.sh rebuilds stickers.json.
package sample

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

//go:embed stickers.json
var file []byte

// AddedBy is the added_by of the sample's stickers.
const AddedBy = "sample"

// File returns the sample as an import file (what `stickerbot import`
// reads), for callers that want the bytes.
func File() []byte { return bytes.Clone(file) }

// Drafts returns the sample's stickers, checked as `stickerbot import`
// checks a file. An error means the embedded file is broken: a bug.
func Drafts() ([]sticker.Draft, error) {
	drafts, err := sticker.ReadFile(bytes.NewReader(file), AddedBy)
	if err != nil {
		return nil, fmt.Errorf("playground sample: %w", err)
	}
	return drafts, nil
}
