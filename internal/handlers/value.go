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
	Origin    origin // how the preview was asked for, for the attribution
	ThreadTS  string // thread of the mention that asked, if any
	Query     string
}

const maxPos = 10_000

var errBadValue = errors.New("malformed button value")

// encode writes "2|id|pos|origin|thread|query". The query is last so it
// may hold any character, "|" included; with MaxQueryLen it stays far
// below Block Kit's 2000-character limit on button values.
func (b buttonState) encode() string {
	return strings.Join([]string{"2", strconv.FormatInt(b.StickerID, 10),
		strconv.Itoa(b.Pos), string(rune(b.Origin)), b.ThreadTS, b.Query}, "|")
}

// decodeButton parses a value written by encode, or by the version before
// it ("1|id|pos|thread|query", without the origin: a preview still on
// screen when the bot was upgraded). Values come back from Slack's clients
// and can be forged, so every field is checked.
func decodeButton(v string) (buttonState, error) {
	if !utf8.ValidString(v) {
		return buttonState{}, errBadValue
	}
	version, rest, _ := strings.Cut(v, "|")
	var id, pos, org, thread, query string
	switch version {
	case "1":
		parts := strings.SplitN(rest, "|", 4)
		if len(parts) != 4 {
			return buttonState{}, errBadValue
		}
		id, pos, thread, query = parts[0], parts[1], parts[2], parts[3]
		org = string(rune(originUnknown))
		if thread != "" {
			org = string(rune(originMention)) // only mentions answer in threads
		}
	case "2":
		parts := strings.SplitN(rest, "|", 5)
		if len(parts) != 5 {
			return buttonState{}, errBadValue
		}
		id, pos, org, thread, query = parts[0], parts[1], parts[2], parts[3], parts[4]
	default:
		return buttonState{}, errBadValue
	}
	b := buttonState{ThreadTS: thread, Query: query}
	var err error
	if b.StickerID, err = strconv.ParseInt(id, 10, 64); err != nil || b.StickerID <= 0 {
		return buttonState{}, errBadValue
	}
	if b.Pos, err = strconv.Atoi(pos); err != nil || b.Pos < 0 || b.Pos > maxPos {
		return buttonState{}, errBadValue
	}
	if len(org) != 1 {
		return buttonState{}, errBadValue
	}
	switch b.Origin = origin(org[0]); b.Origin {
	case originUnknown, originCommand, originMention, originDM:
	default:
		return buttonState{}, errBadValue
	}
	if len(thread) > 32 || strings.Trim(thread, "0123456789.") != "" {
		return buttonState{}, errBadValue
	}
	if query == "" || utf8.RuneCountInString(query) > sticker.MaxQueryLen {
		return buttonState{}, errBadValue
	}
	return b, nil
}
