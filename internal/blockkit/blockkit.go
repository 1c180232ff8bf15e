// Package blockkit checks Block Kit payloads (blocks, modals, Home tabs)
// against the rules Slack documents for them: which fields each block,
// element and composition object takes and requires, their lengths and
// counts, `format: uri` for URLs, which blocks and elements each surface
// allows, and the rules across a payload (unique block_id, unique
// action_id within a block, a submit button on a modal with inputs).
//
// The rules were written from Slack's Block Kit reference
// (docs.slack.dev/reference/block-kit) and cross-checked, limit by
// limit, against TightknitAI/slack-block-kit-validator's JSON Schema of
// it. They are a Go table rather than that schema plus a JSON Schema
// library: the surface and payload-level rules, which a schema cannot
// state, sit beside the per-field ones; the simulator (internal/slacksim)
// calls the same checker and answers Slack's way, with a JSON pointer per
// problem; and the bot's module takes no new dependency.
//
// Blocks and elements the bot has no use for (alert, container,
// data tables and charts, plans, task cards, context_actions) are
// reported as unsupported rather than waved through: add their rules
// here before using them.
package blockkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Surface is where blocks are shown; each allows different blocks.
type Surface string

// The surfaces.
const (
	Message Surface = "message" // chat.postMessage, chat.postEphemeral, chat.update, response_url
	Modal   Surface = "modal"   // views.open, views.push, views.update
	Home    Surface = "home"    // views.publish
)

// Problem is one broken rule.
type Problem struct {
	Pointer string // JSON pointer to the offending value, e.g. /blocks/0/text/text
	Message string // what is wrong, in Slack's words where they are known
}

// String formats p as Slack does in invalid_blocks errors.
func (p Problem) String() string { return p.Message + " [json-pointer:" + p.Pointer + "]" }

// ErrNotJSON is returned for a payload that is not the JSON value asked
// for (Slack's invalid_blocks_format).
var ErrNotJSON = errors.New("blockkit: not a JSON array of block objects")

// Checker checks payloads. The zero value checks everything that needs
// no knowledge of the workspace.
type Checker struct {
	// SlackFile, if set, reports whether the slack_file object of an
	// image can be shown (the file exists, is an image and its viewers
	// may see it). Without it only the object's shape is checked.
	SlackFile func(file map[string]any) bool
}

// Blocks checks a blocks array shown on surface; pointers start at
// /blocks. It returns ErrNotJSON when raw is not an array of objects.
func (c Checker) Blocks(surface Surface, raw json.RawMessage) ([]Problem, error) {
	var blocks []any
	if err := json.Unmarshal(raw, &blocks); err != nil || blocks == nil {
		return nil, ErrNotJSON
	}
	for _, b := range blocks {
		if _, ok := b.(map[string]any); !ok {
			return nil, ErrNotJSON
		}
	}
	w := c.walker(surface)
	w.blocks("/blocks", blocks)
	return w.problems, nil
}

// View checks a modal or Home tab view object (its type says which);
// pointers start at /view. It returns ErrNotJSON when raw is not an
// object.
func (c Checker) View(raw json.RawMessage) ([]Problem, error) {
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil || v == nil {
		return nil, ErrNotJSON
	}
	typ, _ := v["type"].(string)
	spec, surface := modalView, Modal
	if typ == "home" {
		spec, surface = homeView, Home
	}
	w := c.walker(surface)
	w.object("/view", v, spec)
	return w.problems, nil
}

func (c Checker) walker(s Surface) *walker {
	return &walker{checker: c, surface: s, blockIDs: map[string]bool{}}
}

// walker collects the problems of one payload.
type walker struct {
	checker  Checker
	surface  Surface
	problems []Problem
	blockIDs map[string]bool
	markdown int // characters in markdown blocks so far
	tables   int
}

func (w *walker) add(ptr, format string, args ...any) {
	w.problems = append(w.problems, Problem{Pointer: ptr, Message: fmt.Sprintf(format, args...)})
}

// rule checks the value at ptr.
type rule func(w *walker, ptr string, v any)

// object is the rules of one kind of JSON object.
type object struct {
	name     string // for messages: "button", "section block"
	fields   map[string]rule
	required []string
	// exactlyOne lists groups of fields of which exactly one is given.
	exactlyOne [][]string
	// atLeastOne lists fields of which one at least is given.
	atLeastOne []string
	// check runs after the fields are checked.
	check func(w *walker, ptr string, o map[string]any)
}

func (w *walker) object(ptr string, v any, spec *object) {
	o, ok := v.(map[string]any)
	if !ok {
		w.add(ptr, "must provide an object")
		return
	}
	for _, f := range spec.required {
		if _, ok := o[f]; !ok {
			w.add(ptr, "missing required field: %s", f)
		}
	}
	for _, group := range spec.exactlyOne {
		n := 0
		for _, f := range group {
			if _, ok := o[f]; ok {
				n++
			}
		}
		if n != 1 {
			w.add(ptr, "must provide exactly one of %s", strings.Join(group, " or "))
		}
	}
	if len(spec.atLeastOne) > 0 && !slices.ContainsFunc(spec.atLeastOne, func(f string) bool { _, ok := o[f]; return ok }) {
		w.add(ptr, "must provide %s", strings.Join(spec.atLeastOne, " or "))
	}
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	slices.Sort(keys) // problems in a stable order
	for _, k := range keys {
		r, ok := spec.fields[k]
		if !ok {
			w.add(ptr+"/"+pointerToken(k), "unknown field %q of %s", k, spec.name)
			continue
		}
		r(w, ptr+"/"+pointerToken(k), o[k])
	}
	if spec.check != nil {
		spec.check(w, ptr, o)
	}
}

func pointerToken(k string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(k)
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// str is a string of min to max characters (max 0: no limit).
func str(min, max int) rule {
	return func(w *walker, ptr string, v any) {
		s, ok := v.(string)
		switch {
		case !ok:
			w.add(ptr, "must be a string")
		case runes(s) < min:
			w.add(ptr, "must be at least %d characters", min)
		case max > 0 && runes(s) > max:
			w.add(ptr, "must be less than %d characters", max+1)
		}
	}
}

// uri is a string of at most max characters that is a URI (RFC 3986);
// with schemes, one of them.
func uri(max int, schemes ...string) rule {
	return func(w *walker, ptr string, v any) {
		s, ok := v.(string)
		switch {
		case !ok:
			w.add(ptr, "must be a string")
		case max > 0 && runes(s) > max:
			w.add(ptr, "must be less than %d characters", max+1)
		case !ValidURI(s):
			w.add(ptr, "must be a valid URI (RFC 3986): percent-encode spaces, non-ASCII characters and |{}<>\"\\^`; the host in its ASCII (punycode) form")
		case len(schemes) > 0 && !slices.ContainsFunc(schemes, func(sc string) bool {
			return len(s) > len(sc) && strings.EqualFold(s[:len(sc)+1], sc+":")
		}):
			w.add(ptr, "must be a valid %s URL", strings.Join(schemes, " or "))
		}
	}
}

func pattern(re *regexp.Regexp, what string) rule {
	return func(w *walker, ptr string, v any) {
		s, ok := v.(string)
		if !ok {
			w.add(ptr, "must be a string")
			return
		}
		if !re.MatchString(s) {
			w.add(ptr, "must be %s", what)
		}
	}
}

func boolean(w *walker, ptr string, v any) {
	if _, ok := v.(bool); !ok {
		w.add(ptr, "must be a boolean")
	}
}

// integer is a whole number from min to max.
func integer(min, max float64) rule {
	return func(w *walker, ptr string, v any) {
		n, ok := v.(float64)
		switch {
		case !ok || n != float64(int64(n)):
			w.add(ptr, "must be an integer")
		case n < min || n > max:
			w.add(ptr, "must be between %s and %s", fmtNum(min), fmtNum(max))
		}
	}
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func enum(values ...string) rule {
	return func(w *walker, ptr string, v any) {
		s, _ := v.(string)
		if !slices.Contains(values, s) {
			w.add(ptr, "must be one of %s", strings.Join(values, ", "))
		}
	}
}

func constant(value string) rule { return enum(value) }

// array holds min to max items (max 0: no limit), each checked by item.
func array(item rule, min, max int) rule {
	return func(w *walker, ptr string, v any) {
		a, ok := v.([]any)
		switch {
		case !ok:
			w.add(ptr, "must provide an array")
			return
		case len(a) < min:
			w.add(ptr, "must provide at least %d item%s", min, plural(min))
		case max > 0 && len(a) > max:
			w.add(ptr, "no more than %d items allowed", max)
		}
		for i, x := range a {
			item(w, ptr+"/"+strconv.Itoa(i), x)
		}
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func obj(spec *object) rule {
	return func(w *walker, ptr string, v any) { w.object(ptr, v, spec) }
}

// oneOfTypes is an object whose "type" picks its rules among specs.
func oneOfTypes(what string, specs map[string]*object) rule {
	return func(w *walker, ptr string, v any) {
		o, ok := v.(map[string]any)
		if !ok {
			w.add(ptr, "must provide an object")
			return
		}
		typ, _ := o["type"].(string)
		spec, ok := specs[typ]
		if !ok {
			names := make([]string, 0, len(specs))
			for n := range specs {
				names = append(names, n)
			}
			slices.Sort(names)
			w.add(ptr+"/type", "%s must be one of %s, not %q", what, strings.Join(names, ", "), typ)
			return
		}
		w.object(ptr, o, spec)
	}
}

// blocks checks the blocks of a payload (or of a container).
func (w *walker) blocks(ptr string, blocks []any) {
	limit := 50
	if w.surface != Message {
		limit = 100
	}
	if len(blocks) > limit {
		w.add(ptr, "no more than %d items allowed", limit)
	}
	for i, b := range blocks {
		w.block(ptr+"/"+strconv.Itoa(i), b)
	}
}

func (w *walker) block(ptr string, v any) {
	b, ok := v.(map[string]any)
	if !ok {
		w.add(ptr, "must provide an object")
		return
	}
	typ, _ := b["type"].(string)
	spec, ok := blockSpecs[typ]
	switch {
	case typ == "":
		w.add(ptr+"/type", "must provide a string")
		return
	case !ok:
		w.add(ptr+"/type", "unsupported type %q", typ)
		return
	case slices.Contains(notOn[w.surface], typ):
		w.add(ptr+"/type", "%s blocks are not allowed in a %s", typ, w.surface)
		return
	}
	if id, ok := b["block_id"].(string); ok {
		if w.blockIDs[id] {
			w.add(ptr+"/block_id", "duplicate block_id %q", id)
		}
		w.blockIDs[id] = true
	}
	w.object(ptr, b, spec)
}

// notOn lists the blocks each surface refuses (Slack's reference gives
// each block's surfaces; file blocks only come back from Slack).
var notOn = map[Surface][]string{
	Message: {"file"},
	Modal:   {"card", "carousel", "file", "markdown", "table"},
	Home:    {"file", "markdown", "table"},
}
