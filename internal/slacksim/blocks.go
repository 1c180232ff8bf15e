package slacksim

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Block Kit surfaces, which differ in their block limit and in the
// blocks and elements they allow.
const (
	surfaceMessage = "message"
	surfaceModal   = "modal"
	surfaceHome    = "home"
)

// blockSurfaces lists the surfaces each block type is allowed on, from
// Slack's Block Kit reference ("Available in surfaces"). Types missing
// here are unknown to the checker.
var blockSurfaces = map[string][]string{
	"actions":         {surfaceMessage, surfaceModal, surfaceHome},
	"context":         {surfaceMessage, surfaceModal, surfaceHome},
	"divider":         {surfaceMessage, surfaceModal, surfaceHome},
	"header":          {surfaceMessage, surfaceModal, surfaceHome},
	"image":           {surfaceMessage, surfaceModal, surfaceHome},
	"input":           {surfaceMessage, surfaceModal, surfaceHome},
	"rich_text":       {surfaceMessage, surfaceModal, surfaceHome},
	"section":         {surfaceMessage, surfaceModal, surfaceHome},
	"video":           {surfaceMessage, surfaceModal, surfaceHome},
	"card":            {surfaceMessage, surfaceModal, surfaceHome},
	"alert":           {surfaceModal},
	"carousel":        {surfaceMessage, surfaceHome},
	"markdown":        {surfaceMessage},
	"file":            {surfaceMessage},
	"call":            {surfaceMessage},
	"context_actions": {surfaceMessage},
	"table":           {surfaceMessage},
	"plan":            {surfaceMessage},
	"task_card":       {surfaceMessage},
	"container":       {surfaceMessage},
}

// elementSurfaces lists the surfaces of the elements not allowed on every
// surface.
var elementSurfaces = map[string][]string{
	"file_input": {surfaceModal},
}

var fileIDPattern = regexp.MustCompile(`^F[A-Z0-9]{8,}$`)

// blockCheck collects Block Kit errors in Slack's "message [json-pointer:/...]"
// format.
type blockCheck struct {
	s        *Server
	surface  string
	errs     []string
	blockIDs map[string]bool
}

func (c *blockCheck) add(ptr, format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...)+" [json-pointer:"+ptr+"]")
}

// validateBlocksLocked checks a blocks array for the limits Slack enforces (and
// a few structural rules). ok is false when raw is not a JSON array of objects
// (invalid_blocks_format). The error strings mimic Slack's wording where it is
// known; treat them as approximate. s.mu must be held.
func (s *Server) validateBlocksLocked(raw json.RawMessage, surface string) (errs []string, ok bool) {
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, false
	}
	for _, b := range blocks {
		if b == nil {
			return nil, false
		}
	}
	c := &blockCheck{s: s, surface: surface, blockIDs: map[string]bool{}}
	limit := 50
	if surface != surfaceMessage {
		limit = 100
	}
	if len(blocks) > limit {
		c.add("/blocks", "no more than %d items allowed", limit)
	}
	for i, b := range blocks {
		c.block(fmt.Sprintf("/blocks/%d", i), b)
	}
	return c.errs, true
}

func str(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// maxLen checks that field (if present) is a string of at most n characters.
func (c *blockCheck) maxLen(ptr string, v any, n int) {
	if v == nil {
		return
	}
	s, ok := str(v)
	if !ok {
		c.add(ptr, "must be a string")
		return
	}
	if runes(s) > n {
		c.add(ptr, "must be less than %d characters", n+1)
	}
}

// text checks a text object; plainOnly rejects mrkdwn.
func (c *blockCheck) text(ptr string, v any, maxChars int, plainOnly, required bool) {
	if v == nil {
		if required {
			c.add(ptr, "must provide an object")
		}
		return
	}
	o, ok := v.(map[string]any)
	if !ok {
		c.add(ptr, "must provide an object")
		return
	}
	typ, _ := str(o["type"])
	switch {
	case typ == "plain_text":
	case typ == "mrkdwn" && !plainOnly:
	case plainOnly:
		c.add(ptr+"/type", "must be plain_text")
	default:
		c.add(ptr+"/type", "must be one of plain_text, mrkdwn")
	}
	t, ok := str(o["text"])
	switch {
	case !ok:
		c.add(ptr+"/text", "must provide a string")
	case runes(t) < 1:
		c.add(ptr+"/text", "must be more than 0 characters")
	case runes(t) > maxChars:
		c.add(ptr+"/text", "must be less than %d characters", maxChars+1)
	}
}

// elements returns a block's elements, checking there are 1 to max.
func (c *blockCheck) elements(ptr string, b map[string]any, max int) []any {
	els, _ := b["elements"].([]any)
	if len(els) == 0 {
		c.add(ptr+"/elements", "must provide at least 1 item")
	}
	if len(els) > max {
		c.add(ptr+"/elements", "no more than %d items allowed", max)
	}
	return els
}

func (c *blockCheck) block(ptr string, b map[string]any) {
	if id, ok := b["block_id"]; ok {
		s, isStr := str(id)
		switch {
		case !isStr:
			c.add(ptr+"/block_id", "must be a string")
		case runes(s) > 255:
			c.add(ptr+"/block_id", "must be less than 256 characters")
		case c.blockIDs[s]:
			c.add(ptr+"/block_id", "duplicate block_id %q", s)
		default:
			c.blockIDs[s] = true
		}
	}
	typ, _ := str(b["type"])
	if on, known := blockSurfaces[typ]; known && !slices.Contains(on, c.surface) {
		c.add(ptr+"/type", "%s blocks are not allowed in a %s (only in: %s)", typ, c.surface, strings.Join(on, ", "))
		return
	}
	switch typ {
	case "section":
		if b["text"] == nil && b["fields"] == nil {
			c.add(ptr, "must provide text or fields")
		}
		c.text(ptr+"/text", b["text"], 3000, false, false)
		if f, ok := b["fields"].([]any); ok {
			if len(f) > 10 {
				c.add(ptr+"/fields", "no more than 10 items allowed")
			}
			for i, x := range f {
				c.text(fmt.Sprintf("%s/fields/%d", ptr, i), x, 2000, false, true)
			}
		}
		if acc, ok := b["accessory"].(map[string]any); ok {
			c.element(ptr+"/accessory", acc)
		}
	case "context":
		els := c.elements(ptr, b, 10)
		for i, x := range els {
			p := fmt.Sprintf("%s/elements/%d", ptr, i)
			e, _ := x.(map[string]any)
			if t, _ := str(e["type"]); t == "image" {
				c.image(p, e)
			} else {
				c.text(p, x, 3000, false, true)
			}
		}
	case "image":
		c.image(ptr, b)
		c.text(ptr+"/title", b["title"], 2000, true, false)
	case "actions":
		els := c.elements(ptr, b, 25)
		seen := map[string]bool{}
		for i, x := range els {
			p := fmt.Sprintf("%s/elements/%d", ptr, i)
			e, ok := x.(map[string]any)
			if !ok {
				c.add(p, "must provide an object")
				continue
			}
			c.element(p, e)
			if id, ok := str(e["action_id"]); ok {
				if seen[id] {
					c.add(p+"/action_id", "duplicate action_id %q in block", id)
				}
				seen[id] = true
			}
		}
	case "header":
		c.text(ptr+"/text", b["text"], 150, true, true)
	case "input":
		c.text(ptr+"/label", b["label"], 2000, true, true)
		if e, ok := b["element"].(map[string]any); ok {
			c.element(ptr+"/element", e)
		} else {
			c.add(ptr+"/element", "must provide an object")
		}
	case "markdown":
		c.maxLen(ptr+"/text", b["text"], 12000)
	case "divider", "rich_text", "file", "video", "call", "context_actions", "card", "carousel", "table", "plan", "task_card", "alert", "container":
	case "":
		c.add(ptr+"/type", "must provide a string")
	default:
		c.add(ptr+"/type", "unsupported type %q", typ)
	}
}

// image checks an image block or image element.
func (c *blockCheck) image(ptr string, b map[string]any) {
	alt, ok := str(b["alt_text"])
	switch {
	case !ok:
		c.add(ptr, "missing required field: alt_text")
	case runes(alt) > 2000:
		c.add(ptr+"/alt_text", "must be less than 2001 characters")
	}
	_, hasURL := b["image_url"]
	sf, hasFile := b["slack_file"]
	switch {
	case hasURL && hasFile:
		c.add(ptr, "must provide exactly one of image_url or slack_file")
	case !hasURL && !hasFile:
		c.add(ptr, "must provide exactly one of image_url or slack_file")
	case hasURL:
		u, _ := str(b["image_url"])
		pu, err := url.Parse(u)
		switch {
		case runes(u) > 3000:
			c.add(ptr+"/image_url", "must be less than 3001 characters")
		case err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "":
			c.add(ptr+"/image_url", "must be a valid http(s) URL")
		}
	default:
		if !c.s.slackFileUsableLocked(sf) {
			c.add(ptr+"/slack_file", "invalid slack file")
		}
	}
}

// element checks an interactive (or image) block element.
func (c *blockCheck) element(ptr string, e map[string]any) {
	typ, _ := str(e["type"])
	c.maxLen(ptr+"/action_id", e["action_id"], 255)
	if on, limited := elementSurfaces[typ]; limited && !slices.Contains(on, c.surface) {
		c.add(ptr+"/type", "%s elements are not allowed in a %s (only in: %s)", typ, c.surface, strings.Join(on, ", "))
	}
	switch typ {
	case "button":
		c.text(ptr+"/text", e["text"], 75, true, true)
		c.maxLen(ptr+"/value", e["value"], 2000)
		c.maxLen(ptr+"/url", e["url"], 3000)
		if st, ok := e["style"]; ok {
			if s, _ := str(st); s != "primary" && s != "danger" {
				c.add(ptr+"/style", "must be one of primary, danger")
			}
		}
	case "image":
		c.image(ptr, e)
	case "":
		c.add(ptr+"/type", "must provide a string")
	}
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
func MrkdwnTexts(blocks json.RawMessage) []string {
	var v any
	if len(blocks) == 0 || json.Unmarshal(blocks, &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "mrkdwn" {
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
