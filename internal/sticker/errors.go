package sticker

import "errors"

// Errors the library's implementations return, for errors.Is.
var (
	// ErrNotFound: no sticker (or no stored image) with that id or name.
	ErrNotFound = errors.New("sticker not found")
	// ErrDuplicateName: another sticker's name folds to the same term.
	ErrDuplicateName = errors.New("a sticker with that name already exists")
	// ErrImageChanged: the sticker's stored image is no longer the one
	// that was uploaded to Slack (it was edited meanwhile).
	ErrImageChanged = errors.New("the sticker's image changed")
)

// StoredImage names a sticker with a stored image, and its Slack copy
// ("" when there is none yet).
type StoredImage struct {
	ID          int64
	SlackFileID string
}
