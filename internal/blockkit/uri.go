package blockkit

import (
	"net/netip"
	"strings"
)

// ValidURI reports whether s is a URI as RFC 3986 defines one (section
// 3, the ABNF of URI): a scheme, then only the ASCII characters each part
// allows, anything else percent-encoded. Block Kit's URL fields are
// `format: uri`: a host in Unicode, a space, `|`, `{` or a non-ASCII
// character in a path or query is refused, where Go's url.Parse accepts
// most of them.
func ValidURI(s string) bool {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || !validScheme(scheme) {
		return false
	}
	rest, fragment, hasFragment := strings.Cut(rest, "#")
	if hasFragment && !allOf(fragment, queryChar) {
		return false
	}
	rest, query, hasQuery := strings.Cut(rest, "?")
	if hasQuery && !allOf(query, queryChar) {
		return false
	}
	path := rest
	if strings.HasPrefix(rest, "//") {
		authority := rest[2:]
		path = ""
		if i := strings.IndexByte(authority, '/'); i >= 0 {
			authority, path = authority[:i], authority[i:]
		}
		if !validAuthority(authority) {
			return false
		}
	}
	// path-abempty, path-absolute, path-rootless and path-empty are all
	// segments of pchar separated by "/"; "//" at the start was an
	// authority above.
	return allOf(path, func(c byte) bool { return c == '/' || pchar(c) })
}

func validScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// validAuthority checks [ userinfo "@" ] host [ ":" port ].
func validAuthority(a string) bool {
	if userinfo, hostport, ok := strings.Cut(a, "@"); ok {
		if !allOf(userinfo, func(c byte) bool { return c == ':' || unreserved(c) || subDelim(c) }) {
			return false
		}
		a = hostport
	}
	host, port := a, ""
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 || !validIPLiteral(a[1:end]) {
			return false
		}
		host, port = "", a[end+1:]
		if port != "" {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
		}
	} else if h, p, ok := strings.Cut(a, ":"); ok {
		host, port = h, p
	}
	for i := 0; i < len(port); i++ {
		if !isDigit(port[i]) {
			return false
		}
	}
	// reg-name (IPv4 addresses are reg-names too, syntactically).
	return allOf(host, func(c byte) bool { return unreserved(c) || subDelim(c) })
}

// validIPLiteral checks what is inside "[" and "]": an IPv6 address
// (without a zone, which RFC 3986 does not allow) or an IPvFuture.
func validIPLiteral(s string) bool {
	if len(s) > 1 && (s[0] == 'v' || s[0] == 'V') {
		ver, rest, ok := strings.Cut(s[1:], ".")
		return ok && ver != "" && rest != "" && allOf(ver, isHex) &&
			allOf(rest, func(c byte) bool { return c == ':' || unreserved(c) || subDelim(c) }) &&
			!strings.Contains(rest, "%")
	}
	addr, err := netip.ParseAddr(s)
	return err == nil && addr.Is6() && addr.Zone() == ""
}

// allOf reports whether every byte of s is allowed by ok or starts a
// percent-encoded octet ("%" HEXDIG HEXDIG).
func allOf(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
			continue
		}
		if !ok(c) {
			return false
		}
	}
	return true
}

func queryChar(c byte) bool { return c == '/' || c == '?' || pchar(c) }

func pchar(c byte) bool { return unreserved(c) || subDelim(c) || c == ':' || c == '@' }

func unreserved(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

func subDelim(c byte) bool { return strings.IndexByte("!$&'()*+,;=", c) >= 0 }

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
