package slacksim

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/stickerbot/stickerbot/internal/blockkit"
)

// Block Kit surfaces, which differ in the blocks they allow.
const (
	surfaceMessage = string(blockkit.Message)
	surfaceModal   = string(blockkit.Modal)
)

var fileIDPattern = regexp.MustCompile(`^F[A-Z0-9]{8,}$`)

// blockChecker is the checker of Block Kit's documented rules, with what
// only the fake knows: whether a slack_file can be shown. s.mu must be
// held while it runs.
func (s *Server) blockChecker() blockkit.Checker {
	return blockkit.Checker{SlackFile: func(f map[string]any) bool { return s.slackFileUsableLocked(f) }}
}

// validateBlocksLocked checks a blocks array as Slack does, with
// internal/blockkit, and returns the errors in Slack's
// "message [json-pointer:/blocks/...]" format. ok is false when raw is
// not a JSON array of objects (invalid_blocks_format). s.mu must be held.
func (s *Server) validateBlocksLocked(raw json.RawMessage, surface string) (errs []string, ok bool) {
	probs, err := s.blockChecker().Blocks(blockkit.Surface(surface), raw)
	if err != nil {
		return nil, false
	}
	for _, p := range probs {
		errs = append(errs, p.String())
	}
	return errs, true
}

func str(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok
}

// normalizeBlocks adds the block_id and action_id values Slack generates when
// they are missing, so stored messages look like Slack's.
func normalizeBlocks(raw json.RawMessage) json.RawMessage {
	var blocks []map[string]any
	if json.Unmarshal(raw, &blocks) != nil {
		return raw
	}
	for _, b := range blocks {
		if _, ok := b["block_id"]; !ok {
			b["block_id"] = randomID("", 5)
		}
		var els []any
		switch b["type"] {
		case "actions":
			els, _ = b["elements"].([]any)
		case "section":
			if acc, ok := b["accessory"]; ok {
				els = []any{acc}
			}
		case "input":
			if el, ok := b["element"]; ok {
				els = []any{el}
			}
		}
		for _, x := range els {
			if e, ok := x.(map[string]any); ok && e["type"] != "image" {
				if _, ok := e["action_id"]; !ok {
					e["action_id"] = randomID("", 5)
				}
			}
		}
	}
	return mustJSON(blocks)
}

// MrkdwnTexts returns the text of every mrkdwn text object in a Block Kit
// JSON value (blocks array, message or view).
func MrkdwnTexts(blocks json.RawMessage) []string { return Texts(blocks, "mrkdwn") }

// Texts returns the text of every text object of the given types
// ("mrkdwn", "plain_text") in a Block Kit JSON value.
func Texts(blocks json.RawMessage, types ...string) []string {
	var v any
	if len(blocks) == 0 || json.Unmarshal(blocks, &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if typ, _ := str(x["type"]); slices.Contains(types, typ) {
				if t, ok := str(x["text"]); ok {
					out = append(out, t)
				}
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
	return out
}

// HasUnescapedSpecial reports whether mrkdwn text contains Slack control
// sequences that notify or link: <!channel>, <!here>, <!everyone> (also with a
// |label) or a <http...> link. Text that came from user input must have &, <
// and > escaped so none of these can appear.
func HasUnescapedSpecial(text string) bool {
	for _, p := range []string{"<!channel", "<!here", "<!everyone", "<http"} {
		for i := 0; ; {
			j := strings.Index(text[i:], p)
			if j < 0 {
				break
			}
			rest := text[i+j+len(p):]
			if p == "<http" || strings.HasPrefix(rest, ">") || strings.HasPrefix(rest, "|") {
				return true
			}
			i += j + len(p)
		}
	}
	return false
}
