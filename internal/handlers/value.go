package handlers

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// buttonState is what the preview's buttons carry in their value, so a
// click works without server-side session state, even after a restart.
type buttonState struct {
	StickerID int64
	Pos       int    // position of the sticker among the query's matches
	ThreadTS  string // thread of the mention that asked, if any
	Query     string
}

const (
	valueVersion = "1"
	maxPos       = 10_000
)

var errBadValue = errors.New("malformed button value")

// encode writes "1|id|pos|thread|query". The query is last so it may hold
// any character, "|" included; with MaxQueryLen it stays far below Block
// Kit's 2000-character limit on button values.
func (b buttonState) encode() string {
	return strings.Join([]string{valueVersion, strconv.FormatInt(b.StickerID, 10),
		strconv.Itoa(b.Pos), b.ThreadTS, b.Query}, "|")
}

// decodeButton parses a value written by encode. Values come back from
// Slack's clients and can be forged, so every field is checked.
func decodeButton(v string) (buttonState, error) {
	parts := strings.SplitN(v, "|", 5)
	if len(parts) != 5 || parts[0] != valueVersion || !utf8.ValidString(v) {
		return buttonState{}, errBadValue
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || id <= 0 {
		return buttonState{}, errBadValue
	}
	pos, err := strconv.Atoi(parts[2])
	if err != nil || pos < 0 || pos > maxPos {
		return buttonState{}, errBadValue
	}
	if len(parts[3]) > 32 || strings.Trim(parts[3], "0123456789.") != "" {
		return buttonState{}, errBadValue
	}
	if parts[4] == "" || utf8.RuneCountInString(parts[4]) > sticker.MaxQueryLen {
		return buttonState{}, errBadValue
	}
	return buttonState{StickerID: id, Pos: pos, ThreadTS: parts[3], Query: parts[4]}, nil
}
