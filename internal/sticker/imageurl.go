package sticker

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/stickerbot/stickerbot/internal/blockkit"
)

// NormalizeImageURL returns the image URL s as Slack is sent it and the
// library stores it: a URI as RFC 3986 defines it, which Block Kit's
// image_url requires. White space around s is dropped; the scheme and
// host are lower-cased; a host in Unicode becomes its ASCII (punycode)
// form, as IDNA looks it up; every character a path, query or fragment
// cannot hold as written (non-ASCII letters, |, {, }, a % that starts no
// escape, …) is percent-encoded as UTF-8, while existing %XX escapes stay
// as they are. So https://例え.jp/ねこ.png becomes
// https://xn--r8jz45g.jp/%E3%81%AD%E3%81%93.png. Normalizing a normalized
// URL changes nothing.
//
// It returns a FieldError on "image_url" when s cannot be made valid: not
// https, no host, a host that is no host name (a | in it) or that IDNA
// refuses, a user name or password, white space or control characters
// inside it, or more than MaxURLLen characters once encoded.
func NormalizeImageURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", urlError("is not valid UTF-8 text")
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			return "", urlError("has a space in it: remove it, or write it as %20")
		}
		return "", urlError(fmt.Sprintf("has a control character (%U) in it", r))
	}
	const scheme = "https://"
	if len(s) < len(scheme) || !strings.EqualFold(s[:len(scheme)], scheme) {
		return "", urlError("must be an https:// URL")
	}
	rest := s[len(scheme):]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	host, err := normalizeAuthority(rest[:end])
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	b.WriteString(scheme)
	b.WriteString(host)
	encodeRest(&b, rest[end:])
	out := b.String()
	if n := len(out); n > MaxURLLen {
		return "", urlError(fmt.Sprintf("is %d characters once its non-ASCII characters are encoded; at most %d", n, MaxURLLen))
	}
	if !blockkit.ValidURI(out) {
		// Unreachable by construction (the fuzz test says so); a guard
		// so that nothing Block Kit would refuse is ever stored.
		return "", urlError("is not a valid URL")
	}
	return out, nil
}

func urlError(msg string) error { return FieldError{Field: "image_url", Message: msg} }

// normalizeAuthority returns host[:port] in ASCII, lower case.
func normalizeAuthority(a string) (string, error) {
	if strings.Contains(a, "@") {
		return "", urlError("must not hold a user name or password (the part before @)")
	}
	host, port := a, ""
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", urlError("has an IPv6 address without its closing ]")
		}
		addr, err := netip.ParseAddr(a[1:end])
		if err != nil || !addr.Is6() || addr.Zone() != "" {
			return "", urlError(fmt.Sprintf("has %q, which is not an IPv6 address", a[1:end]))
		}
		host, port = "["+addr.String()+"]", a[end+1:]
		if port != "" && port[0] != ':' {
			return "", urlError("has something other than a port after its IPv6 address")
		}
		port = strings.TrimPrefix(port, ":")
	} else {
		if h, p, ok := strings.Cut(a, ":"); ok {
			host, port = h, p
		}
		var err error
		if host, err = asciiHost(host); err != nil {
			return "", err
		}
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '+' {
			return "", urlError(fmt.Sprintf("has %q as its port; a port is a number from 1 to 65535", port))
		}
		host += ":" + port
	}
	return host, nil
}

// asciiHost returns a host name in lower-case ASCII: a Unicode name in
// its punycode form (IDNA's lookup rules map full-width and upper-case
// letters first). ASCII names keep the underscores some hosts use.
func asciiHost(h string) (string, error) {
	if h == "" {
		return "", urlError("has no host name")
	}
	ascii := h
	for i := 0; i < len(h); i++ {
		if h[i] >= utf8.RuneSelf {
			var err error
			if ascii, err = idna.Lookup.ToASCII(h); err != nil {
				return "", urlError(fmt.Sprintf("has %q as its host, which is not a valid host name", h))
			}
			break
		}
	}
	ascii = strings.ToLower(ascii)
	for _, label := range strings.Split(strings.TrimSuffix(ascii, "."), ".") {
		if label == "" {
			return "", urlError(fmt.Sprintf("has %q as its host, which has an empty part", h))
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", urlError(fmt.Sprintf("has %q as its host, which is not a valid host name (%q is not allowed in one)", h, c))
			}
		}
	}
	return ascii, nil
}

// encodeRest writes the path, query and fragment of a URL with every byte
// they cannot hold percent-encoded: the first ? starts the query, the
// first # the fragment (a later # is encoded).
func encodeRest(b *strings.Builder, s string) {
	part := 0 // 0 path, 1 query, 2 fragment
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '?' && part == 0:
			part = 1
			b.WriteByte(c)
		case c == '#' && part < 2:
			part = 2
			b.WriteByte(c)
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteString(s[i : i+3])
			i += 2
		case uriChar(c, part > 0):
			b.WriteByte(c)
		default:
			const hex = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
}

// uriChar reports whether c may appear as itself in a path (pchar or /),
// or in a query or fragment (also ?), RFC 3986 section 3.3 and 3.4.
func uriChar(c byte, query bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	case strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0:
		return true
	}
	return query && c == '?'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
