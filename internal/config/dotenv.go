package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// DotenvError is a mistake in a .env file, at a line. Its message names
// the file, the line and what is wrong, never a value (a value may be a
// token).
type DotenvError struct {
	File string
	Line int
	Msg  string
}

func (e *DotenvError) Error() string { return fmt.Sprintf("%s line %d: %s", e.File, e.Line, e.Msg) }

// Environment returns what the program reads its settings through: the
// real environment (lookupEnv, os.LookupEnv in production) first, then
// the .env file at path for what it leaves unset. A missing file is no
// error (the environment may hold everything); an unreadable one is,
// and so is the first line it cannot read (a *DotenvError), so one typo
// never silently throws away the whole file.
func Environment(path string, lookupEnv func(string) (string, bool)) (func(string) string, error) {
	b, err := os.ReadFile(path)
	var file map[string]string
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		// The *PathError names the file and why (permission denied, a
		// directory).
		return nil, fmt.Errorf("read settings: %w", err)
	default:
		if file, err = ParseDotenv(path, string(b), lookupEnv); err != nil {
			return nil, err
		}
	}
	return func(k string) string {
		if v, ok := lookupEnv(k); ok {
			return v
		}
		return file[k]
	}, nil
}

// ParseDotenv reads a .env file's text, named file in errors, as
// docker compose and godotenv read it:
//
//	# a comment
//	NAME=value            # unquoted: trimmed, " #" starts a comment
//	export NAME=value     # "export " is allowed and ignored
//	NAME='value'          # single quotes: taken as written
//	NAME="a\nb $OTHER"    # double quotes: \n, \t, \", \\, \$ and $NAME or ${NAME}
//
// Quoted values may span lines. $NAME and ${NAME} in unquoted and
// double-quoted values are the variable's value, from lookupEnv (the real
// environment wins, as it does everywhere) or else from earlier in the
// file; ${NAME:-default} and ${NAME-default} work as in a shell; \$ is a
// dollar sign. The first line that is none of these is a
// *DotenvError.
func ParseDotenv(file, text string, lookupEnv func(string) (string, bool)) (map[string]string, error) {
	p := dotenvParser{file: file, src: strings.ReplaceAll(strings.TrimPrefix(text, "\ufeff"), "\r\n", "\n"), line: 1,
		out: map[string]string{}, lookup: lookupEnv}
	if err := p.parse(); err != nil {
		return nil, err
	}
	return p.out, nil
}

type dotenvParser struct {
	file   string
	src    string
	pos    int
	line   int // of pos
	out    map[string]string
	lookup func(string) (string, bool)
}

func (p *dotenvParser) fail(line int, format string, args ...any) error {
	return &DotenvError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// restOfLine returns the text from pos to the end of its line and moves
// past the line's end.
func (p *dotenvParser) restOfLine() string {
	end := strings.IndexByte(p.src[p.pos:], '\n')
	var s string
	if end < 0 {
		s, p.pos = p.src[p.pos:], len(p.src)
	} else {
		s, p.pos = p.src[p.pos:p.pos+end], p.pos+end+1
		p.line++
	}
	return s
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' }

func (p *dotenvParser) skipBlanks() {
	for p.pos < len(p.src) && isBlank(p.src[p.pos]) {
		p.pos++
	}
}

func isNameStart(c byte) bool { return c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' }

func isNameChar(c byte) bool { return isNameStart(c) || '0' <= c && c <= '9' || c == '.' }

func (p *dotenvParser) parse() error {
	for p.pos < len(p.src) {
		p.skipBlanks()
		if p.pos == len(p.src) {
			return nil
		}
		if c := p.src[p.pos]; c == '\n' || c == '#' {
			p.restOfLine()
			continue
		}
		if err := p.assignment(); err != nil {
			return err
		}
	}
	return nil
}

// assignment reads NAME=value from pos, at the first non-blank of a line.
func (p *dotenvParser) assignment() error {
	line := p.line
	if rest := p.src[p.pos:]; strings.HasPrefix(rest, "export") && len(rest) > 6 && isBlank(rest[6]) {
		p.pos += 6
		p.skipBlanks()
	}
	start := p.pos
	if p.pos == len(p.src) || !isNameStart(p.src[p.pos]) {
		return p.fail(line, "a line must be NAME=value or a # comment, and this one starts with %s: "+
			"a name is letters, digits and _, starting with a letter or _", describeChar(p.src, p.pos))
	}
	for p.pos < len(p.src) && isNameChar(p.src[p.pos]) {
		p.pos++
	}
	name, end := p.src[start:p.pos], p.pos
	p.skipBlanks()
	switch {
	case p.pos == len(p.src) || p.src[p.pos] == '\n' || p.src[p.pos] == '#':
		return p.fail(line, "%s has no =: write %s=value (or comment the line out with #)", name, name)
	case p.src[p.pos] != '=':
		return p.fail(line, "%s is followed by %s where = belongs: write %s=value, with no spaces or other characters in the name",
			name, describeChar(p.src, end), name)
	}
	p.pos++
	p.skipBlanks()
	value, err := p.value(name, line)
	if err != nil {
		return err
	}
	p.out[name] = value
	return nil
}

// describeChar names the character at i for an error, without showing
// anything longer (the line may hold a secret).
func describeChar(s string, i int) string {
	if i >= len(s) || s[i] == '\n' {
		return "nothing"
	}
	switch c := s[i]; {
	case c == ' ' || c == '\t':
		return "a space"
	case c < 0x20 || c == 0x7f:
		return fmt.Sprintf("the control character %#02x", c)
	case c < 0x80:
		return fmt.Sprintf("%q", string(c))
	}
	return "a non-ASCII character"
}

// value reads the value after NAME=, up to and including its line's end.
func (p *dotenvParser) value(name string, line int) (string, error) {
	if p.pos == len(p.src) {
		return "", nil
	}
	q := p.src[p.pos]
	if q != '\'' && q != '"' {
		raw := p.restOfLine()
		// " #" starts a comment; a # inside a word (a URL's fragment, a
		// password) does not.
		for i := 1; i < len(raw); i++ {
			if raw[i] == '#' && isBlank(raw[i-1]) {
				raw = raw[:i]
				break
			}
		}
		if strings.HasPrefix(raw, "#") {
			raw = ""
		}
		return p.expand(strings.TrimRight(raw, " \t\r\f\v"), name, line)
	}
	p.pos++
	var b strings.Builder
	for {
		if p.pos == len(p.src) {
			return "", p.fail(line, "the value of %s opens a %s quote that is never closed: close it, or remove it", name, quoteName(q))
		}
		c := p.src[p.pos]
		if c == q {
			p.pos++
			break
		}
		if c == '\n' {
			p.line++
		}
		if c == '\\' && q == '"' && p.pos+1 < len(p.src) {
			p.pos++
			switch e := p.src[p.pos]; e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '$':
				b.WriteString(`\$`) // kept for expand, which makes it a $
			case '\n':
				p.line++
				b.WriteByte('\n')
			default:
				b.WriteByte(e)
			}
			p.pos++
			continue
		}
		b.WriteByte(c)
		p.pos++
	}
	after := p.line
	rest := strings.TrimLeft(p.restOfLine(), " \t\r\f\v")
	if rest != "" && rest[0] != '#' {
		return "", p.fail(after, "the value of %s goes on after its closing %s quote: "+
			"quote the whole value, or start a comment with a space and #", name, quoteName(q))
	}
	if q == '\'' {
		return b.String(), nil
	}
	return p.expand(b.String(), name, line)
}

func quoteName(q byte) string {
	if q == '"' {
		return `double (")`
	}
	return `single (')`
}

// expand replaces $NAME and ${NAME} with the variable's value; \$ is a
// dollar sign, and so is a $ followed by no name.
func (p *dotenvParser) expand(s, name string, line int) (string, error) {
	if !strings.ContainsRune(s, '$') {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '$':
			b.WriteByte('$')
			i++
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", p.fail(line, "the value of %s has a ${ with no closing }: write ${NAME}, or \\$ for a dollar sign", name)
			}
			ref, def, hasDefault := strings.Cut(s[i+2:i+2+end], "-")
			ifEmpty := hasDefault && strings.HasSuffix(ref, ":")
			ref = strings.TrimSuffix(ref, ":")
			if !validName(ref) {
				return "", p.fail(line, "the value of %s refers to ${%s}, which is not a variable name: write ${NAME} or ${NAME:-default}, or \\$ for a dollar sign", name, describeRef(ref))
			}
			v, set := p.get(ref)
			if hasDefault && (!set || ifEmpty && v == "") {
				v = def
			}
			b.WriteString(v)
			i += 2 + end
		case c == '$' && i+1 < len(s) && isNameStart(s[i+1]):
			j := i + 1
			for j < len(s) && (isNameStart(s[j]) || '0' <= s[j] && s[j] <= '9') {
				j++
			}
			v, _ := p.get(s[i+1 : j])
			b.WriteString(v)
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// describeRef shows a ${…} reference in an error only when it is short
// and plain; otherwise it could be part of a secret.
func describeRef(ref string) string {
	if len(ref) <= 32 && !strings.ContainsAny(ref, "\n") && strings.IndexFunc(ref, func(r rune) bool { return r < 0x20 || r > 0x7e }) < 0 {
		return ref
	}
	return "…"
}

func validName(s string) bool {
	if s == "" || !isNameStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isNameStart(s[i]) && !('0' <= s[i] && s[i] <= '9') {
			return false
		}
	}
	return true
}

// get returns a variable's value and whether it is set: in the real
// environment, or else earlier in the file.
func (p *dotenvParser) get(name string) (string, bool) {
	if p.lookup != nil {
		if v, ok := p.lookup(name); ok {
			return v, true
		}
	}
	v, ok := p.out[name]
	return v, ok
}
