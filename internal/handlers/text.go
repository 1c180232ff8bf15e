package handlers

import (
	"fmt"
	"regexp"
	"strconv"
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
// query or a sticker name stays text, never a mention or a link. It is
// the one escaping function: md values are made with it.
func escape(s string) string { return escaper.Replace(s) }

// md is mrkdwn as the bot writes it: text that went through escape, and
// the markup the bot means (*bold*, `code`, a mention). It is a struct so
// that no string, not even a constant, passes for it: every mrkdwn text
// and every message's text is made by mdf or the helpers below.
type md struct{ s string }

// String returns the mrkdwn.
func (m md) String() string { return m.s }

// mdf formats mrkdwn. format is the bot's own text: it is escaped like any
// other (so "<words>" reads as written), keeping its *bold* and `code`.
// String arguments are escaped; md arguments go in as they are; numbers
// as fmt prints them; anything else escaped as fmt prints it.
func mdf(format string, args ...any) md {
	conv := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case md:
			conv[i] = v.s
		case string:
			conv[i] = escape(v)
		case int, int64:
			conv[i] = v
		default:
			conv[i] = escape(fmt.Sprint(v))
		}
	}
	return md{fmt.Sprintf(escape(format), conv...)}
}

// code shows s as inline code. A backtick would end it, so it becomes an
// apostrophe.
func code(s string) md { return md{"`" + escape(strings.ReplaceAll(s, "`", "'")) + "`"} }

// bold shows s in bold.
func bold(s string) md { return md{"*" + escape(s) + "*"} }

var slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]+$`)

// mention shows a user's name, as Slack renders <@U…>. In an ephemeral
// message it notifies nobody; in a message others see, it notifies the
// user: never use it there for someone who did not ask for it. An ID that
// is none comes out as text.
func mention(userID string) md {
	if !slackUserID.MatchString(userID) {
		return mdf("%s", userID)
	}
	return md{"<@" + userID + ">"}
}

// channelLink shows a conversation by its name, as Slack renders <#C…>;
// it notifies nobody. An ID that is none comes out as text.
func channelLink(id string) md {
	if !slackChannelID.MatchString(id) {
		return mdf("%s", id)
	}
	return md{"<#" + id + ">"}
}

var slackChannelID = regexp.MustCompile(`^[CG][A-Z0-9]+$`)

// joinMD joins parts with sep (the bot's text, escaped), skipping empty ones.
func joinMD(sep string, parts ...md) md {
	var out []string
	for _, p := range parts {
		if p.s != "" {
			out = append(out, p.s)
		}
	}
	return md{strings.Join(out, escape(sep))}
}

// listMD joins items as a reader would: "a", "a and b", "a, b and c".
func listMD(items []md) md {
	switch len(items) {
	case 0:
		return md{}
	case 1:
		return items[0]
	}
	return joinMD(" and ", joinMD(", ", items[:len(items)-1]...), items[len(items)-1])
}

// clip shortens s to at most n characters (runes) with an ellipsis, for
// Block Kit fields with length limits.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// count writes n as people read it: 7, 1,234.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// sentText says how often a sticker was sent: "never sent", "sent once",
// "sent twice", "sent 1,234 times".
func sentText(n int64) string {
	switch n {
	case 0:
		return "never sent"
	case 1:
		return "sent once"
	case 2:
		return "sent twice"
	}
	return "sent " + count(n) + " times"
}

// sentSentence is sentText as a sentence about a sticker: "It has never
// been sent.", "It has been sent once."
func sentSentence(n int64) string {
	if n == 0 {
		return "It has never been sent."
	}
	return "It has been " + sentText(n) + "."
}
