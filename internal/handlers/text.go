package handlers

import (
	"strings"
	"unicode/utf8"
)

// Slack sends &, < and > in user text HTML-encoded, and reads them the same
// way in mrkdwn: decode what comes in, encode what goes out, nothing else.
var (
	unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
	escaper   = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
)

// unescape decodes the three entities Slack encodes in user text.
func unescape(s string) string { return unescaper.Replace(s) }

// escape makes s safe in a mrkdwn field: <!channel> or <https://x|y> in a
// query or a sticker name stays text, never a mention or a link.
func escape(s string) string { return escaper.Replace(s) }

// clip shortens s to at most n characters (runes) with an ellipsis, for
// Block Kit fields with length limits.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
