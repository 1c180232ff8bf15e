package blockkit_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/blockkit"
)

func TestValidURI(t *testing.T) {
	for _, tc := range []struct {
		uri  string
		want bool
	}{
		{"https://example.com/cat.png", true},
		{"https://example.com", true},
		{"https://example.com:8443/a/b.png?x=1&y=%20#frag", true},
		{"https://user:pw@example.com/", true},
		{"https://[2001:db8::1]/a.png", true},
		{"https://[2001:db8::1]:443/a.png", true},
		{"https://[v1.fe80::a+en1]/", true},
		{"https://192.0.2.1/a.png", true},
		{"https://xn--r8jz45g.jp/%E3%81%AD%E3%81%93.png", true},
		{"https://example.com/a%7Cb.png?v=%7B1%7D", true},
		{"mailto:someone@example.com", true},
		{"urn:isbn:0451450523", true},
		{"https://example.com/a:b@c!$&'()*+,;=", true},
		{"https://example.com/?q=/?:@", true},

		{"", false},
		{"example.com/cat.png", false},
		{"//example.com/cat.png", false},
		{"1https://example.com", false},
		{"https://例え.jp/ねこ.png", false},
		{"https://example.com/스티커/고양이.png", false},
		{"https://example.com/a|b.png?v={1}", false},
		{"https://example.com/a b.png", false},
		{"https://example.com/a\tb.png", false},
		{"https://example.com/a\x00b.png", false},
		{"https://exa mple.com/", false},
		{"https://exa|mple.com/", false},
		{"https://example.com:80a/", false},
		{"https://[2001:db8::1/", false},
		{"https://[fe80::1%25en0]/", false},
		{"https://[192.0.2.1]/", false},
		{"https://a@b@example.com/", false},
		{"https://example.com/%zz", false},
		{"https://example.com/%4", false},
		{"https://example.com/a#b#c", false},
		{"https://example.com/<script>", false},
		{`https://example.com/a\b`, false},
		{"https://example.com/a^b`c", false},
		{"https://example.com/a\"b", false},
	} {
		if got := blockkit.ValidURI(tc.uri); got != tc.want {
			t.Errorf("ValidURI(%q) = %v, want %v", tc.uri, got, tc.want)
		}
	}
}

// FuzzValidURI: never panics, accepts only printable ASCII, and
// whatever it accepts Go's URL parser reads too (the RFC's URIs are a
// subset of what url.Parse takes, but for percent-encoded ASCII in a
// host, which the RFC allows and Go refuses).
func FuzzValidURI(f *testing.F) {
	for _, s := range []string{"https://example.com/a.png", "https://[::1]:80/?q#f", "https://例え.jp/", "a:b%", "https://a@b:1/c?d#e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !blockkit.ValidURI(s) {
			return
		}
		for i := 0; i < len(s); i++ {
			if s[i] <= ' ' || s[i] >= 0x7f {
				t.Fatalf("ValidURI(%q): byte %#x is not allowed", s, s[i])
			}
		}
		if _, err := url.Parse(s); err != nil && !strings.Contains(err.Error(), "invalid URL escape") {
			t.Fatalf("ValidURI(%q) but url.Parse: %v", s, err)
		}
	})
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func plainText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

// What slack-go builds passes.
func TestSlackGoBlocksPass(t *testing.T) {
	confirm := slack.NewConfirmationBlockObject(plainText("Sure?"), plainText("Really."), plainText("Yes"), plainText("No"))
	del := slack.NewButtonBlockElement("del", "1", plainText("Delete")).WithStyle(slack.StyleDanger)
	del.Confirm = confirm
	blocks := []slack.Block{
		slack.NewImageBlock("https://example.com/a.png", "alt", "", plainText("title")),
		slack.NewImageBlockSlackFile(&slack.SlackFileObject{ID: "F0123ABCD"}, "alt", "img", nil),
		slack.NewContextBlock("", mrkdwn("*bold*"), plainText("plain"),
			slack.NewImageBlockElement("https://example.com/avatar.png", "Ana")),
		slack.NewSectionBlock(mrkdwn("hi"), []*slack.TextBlockObject{mrkdwn("a"), plainText("b")},
			slack.NewAccessory(slack.NewButtonBlockElement("acc", "v", plainText("Go")))),
		slack.NewActionBlock("acts", slack.NewButtonBlockElement("send", "v", plainText("Send")).WithStyle(slack.StylePrimary), del),
		slack.NewHeaderBlock(plainText("Header")),
		slack.NewDividerBlock(),
	}
	probs, err := blockkit.Checker{}.Blocks(blockkit.Message, mustJSON(t, blocks))
	if err != nil || len(probs) > 0 {
		t.Errorf("message: %v %v", probs, err)
	}
	modal := slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: "cb", Title: plainText("Add a sticker"), Submit: plainText("Save"),
		Close: plainText("Cancel"), PrivateMetadata: `{"c":"C1"}`,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("name", plainText("Name"), plainText("hint"),
				slack.NewPlainTextInputBlockElement(plainText("e.g. cat"), "name").WithMaxLength(80)),
			slack.NewInputBlock("file", plainText("File"), nil,
				slack.NewFileInputBlockElement("file").WithFileTypes("png").WithMaxFiles(1)).WithOptional(true),
			slack.NewInputBlock("pick", plainText("Pick"), nil,
				slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, plainText("Search"), "pick")),
		}},
	}
	probs, err = blockkit.Checker{}.View(mustJSON(t, modal))
	if err != nil || len(probs) > 0 {
		t.Errorf("modal: %v %v", probs, err)
	}
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks[:4]}}
	probs, err = blockkit.Checker{}.View(mustJSON(t, home))
	if err != nil || len(probs) > 0 {
		t.Errorf("home: %v %v", probs, err)
	}
}

func TestProblems(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	button := `{"type":"button","text":{"type":"plain_text","text":"Go"},"action_id":"go"}`
	input := `{"type":"input","label":{"type":"plain_text","text":"L"},"element":{"type":"plain_text_input","action_id":"x"}}`
	for _, tc := range []struct {
		name    string
		surface blockkit.Surface
		blocks  string
		want    string // a problem's String contains it
	}{
		{"51 blocks", blockkit.Message, "[" + strings.TrimSuffix(strings.Repeat(`{"type":"divider"},`, 51), ",") + "]", "no more than 50 items allowed [json-pointer:/blocks]"},
		{"section text 3001", blockkit.Message, `[{"type":"section","text":{"type":"mrkdwn","text":"` + long(3001) + `"}}]`, "[json-pointer:/blocks/0/text/text]"},
		{"section field 2001", blockkit.Message, `[{"type":"section","fields":[{"type":"mrkdwn","text":"` + long(2001) + `"}]}]`, "[json-pointer:/blocks/0/fields/0/text]"},
		{"section without text", blockkit.Message, `[{"type":"section"}]`, "must provide text or fields"},
		{"empty text", blockkit.Message, `[{"type":"section","text":{"type":"mrkdwn","text":""}}]`, "[json-pointer:/blocks/0/text/text]"},
		{"emoji on mrkdwn", blockkit.Message, `[{"type":"section","text":{"type":"mrkdwn","text":"a","emoji":true}}]`, "[json-pointer:/blocks/0/text/emoji]"},
		{"mrkdwn button", blockkit.Message, `[{"type":"actions","elements":[{"type":"button","text":{"type":"mrkdwn","text":"*Go*"}}]}]`, "must be plain_text [json-pointer:/blocks/0/elements/0/text/type]"},
		{"button text 76", blockkit.Message, `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"` + long(76) + `"}}]}]`, "[json-pointer:/blocks/0/elements/0/text/text]"},
		{"button value 2001", blockkit.Message, `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"a"},"value":"` + long(2001) + `"}]}]`, "[json-pointer:/blocks/0/elements/0/value]"},
		{"button style", blockkit.Message, `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"a"},"style":"green"}]}]`, "[json-pointer:/blocks/0/elements/0/style]"},
		{"duplicate action_id", blockkit.Message, `[{"type":"actions","elements":[` + button + `,` + button + `]}]`, "duplicate action_id"},
		{"26 actions", blockkit.Message, `[{"type":"actions","elements":[` + strings.TrimSuffix(strings.Repeat(`{"type":"button","text":{"type":"plain_text","text":"a"}},`, 26), ",") + `]}]`, "no more than 25 items allowed"},
		{"input in actions", blockkit.Message, `[{"type":"actions","elements":[{"type":"plain_text_input","action_id":"x"}]}]`, "[json-pointer:/blocks/0/elements/0/type]"},
		{"11 context elements", blockkit.Message, `[{"type":"context","elements":[` + strings.TrimSuffix(strings.Repeat(`{"type":"plain_text","text":"a"},`, 11), ",") + `]}]`, "no more than 10 items allowed"},
		{"image without alt_text", blockkit.Message, `[{"type":"image","image_url":"https://example.com/a.png"}]`, "missing required field: alt_text"},
		{"image with both", blockkit.Message, `[{"type":"image","image_url":"https://example.com/a.png","slack_file":{"id":"F0123ABCD"},"alt_text":"a"}]`, "exactly one of image_url or slack_file"},
		{"image with neither", blockkit.Message, `[{"type":"image","alt_text":"a"}]`, "exactly one of image_url or slack_file"},
		{"image_url ftp", blockkit.Message, `[{"type":"image","image_url":"ftp://example.com/a.png","alt_text":"a"}]`, "[json-pointer:/blocks/0/image_url]"},
		{"image_url 3001", blockkit.Message, `[{"type":"image","image_url":"https://example.com/` + long(2982) + `","alt_text":"a"}]`, "[json-pointer:/blocks/0/image_url]"},
		{"image_url unicode host", blockkit.Message, `[{"type":"image","image_url":"https://例え.jp/ねこ.png","alt_text":"a"}]`, "valid URI (RFC 3986)"},
		{"image_url hangul path", blockkit.Message, `[{"type":"image","image_url":"https://example.com/스티커/고양이.png","alt_text":"a"}]`, "[json-pointer:/blocks/0/image_url]"},
		{"image_url pipe and braces", blockkit.Message, `[{"type":"image","image_url":"https://example.com/a|b.png?v={1}","alt_text":"a"}]`, "[json-pointer:/blocks/0/image_url]"},
		{"context image unicode", blockkit.Message, `[{"type":"context","elements":[{"type":"image","image_url":"https://例え.jp/a.png","alt_text":"a"}]}]`, "[json-pointer:/blocks/0/elements/0/image_url]"},
		{"alt_text 2001", blockkit.Message, `[{"type":"image","image_url":"https://example.com/a.png","alt_text":"` + long(2001) + `"}]`, "[json-pointer:/blocks/0/alt_text]"},
		{"image title mrkdwn", blockkit.Message, `[{"type":"image","image_url":"https://example.com/a.png","alt_text":"a","title":{"type":"mrkdwn","text":"x"}}]`, "[json-pointer:/blocks/0/title/type]"},
		{"slack_file bad id", blockkit.Message, `[{"type":"image","slack_file":{"id":"X1"},"alt_text":"a"}]`, "[json-pointer:/blocks/0/slack_file/id]"},
		{"block_id 256", blockkit.Message, `[{"type":"divider","block_id":"` + long(256) + `"}]`, "[json-pointer:/blocks/0/block_id]"},
		{"duplicate block_id", blockkit.Message, `[{"type":"divider","block_id":"x"},{"type":"divider","block_id":"x"}]`, "duplicate block_id"},
		{"unknown field", blockkit.Message, `[{"type":"divider","colour":"red"}]`, `unknown field "colour"`},
		{"unknown block", blockkit.Message, `[{"type":"sectoin"}]`, `unsupported type "sectoin"`},
		{"header 151", blockkit.Message, `[{"type":"header","text":{"type":"plain_text","text":"` + long(151) + `"}}]`, "[json-pointer:/blocks/0/text/text]"},
		{"confirm text 301", blockkit.Message, `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"a"},"confirm":{"title":{"type":"plain_text","text":"t"},"text":{"type":"plain_text","text":"` + long(301) + `"},"confirm":{"type":"plain_text","text":"y"},"deny":{"type":"plain_text","text":"n"}}}]}]`, "[json-pointer:/blocks/0/elements/0/confirm/text/text]"},
		{"file_input in a message", blockkit.Message, `[{"type":"input","label":{"type":"plain_text","text":"F"},"element":{"type":"file_input"}}]`, "file_input is only allowed in modals"},
		{"markdown in a modal", blockkit.Modal, `[{"type":"markdown","text":"**a**"}]`, "markdown blocks are not allowed in a modal"},
		{"carousel in a modal", blockkit.Modal, `[{"type":"carousel","elements":[{"type":"card","title":{"type":"plain_text","text":"a"}}]}]`, "not allowed in a modal"},
		{"101 blocks in a modal", blockkit.Modal, "[" + strings.TrimSuffix(strings.Repeat(`{"type":"divider"},`, 101), ",") + "]", "no more than 100 items allowed"},
		{"placeholder 151", blockkit.Modal, `[{"type":"input","label":{"type":"plain_text","text":"L"},"element":{"type":"plain_text_input","placeholder":{"type":"plain_text","text":"` + long(151) + `"}}}]`, "[json-pointer:/blocks/0/element/placeholder/text]"},
		{"max_length 3001", blockkit.Modal, `[{"type":"input","label":{"type":"plain_text","text":"L"},"element":{"type":"plain_text_input","max_length":3001}}]`, "[json-pointer:/blocks/0/element/max_length]"},
		{"max_files 11", blockkit.Modal, `[{"type":"input","label":{"type":"plain_text","text":"L"},"element":{"type":"file_input","max_files":11}}]`, "[json-pointer:/blocks/0/element/max_files]"},
		{"input without element", blockkit.Modal, `[{"type":"input","label":{"type":"plain_text","text":"L"}}]`, "missing required field: element"},
		{"ok input", blockkit.Modal, `[` + input + `]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probs, err := blockkit.Checker{}.Blocks(tc.surface, json.RawMessage(tc.blocks))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range probs {
				got = append(got, p.String())
			}
			all := strings.Join(got, "\n")
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("problems: %s", all)
			case tc.want != "" && !strings.Contains(all, tc.want):
				t.Errorf("problems %q, want one containing %q", got, tc.want)
			}
		})
	}
}

func TestViews(t *testing.T) {
	input := `{"type":"input","label":{"type":"plain_text","text":"L"},"element":{"type":"plain_text_input"}}`
	for _, tc := range []struct{ name, view, want string }{
		{"no submit", `{"type":"modal","title":{"type":"plain_text","text":"T"},"blocks":[` + input + `]}`, "must provide submit when the view has input blocks"},
		{"title 25", `{"type":"modal","title":{"type":"plain_text","text":"` + strings.Repeat("t", 25) + `"},"blocks":[{"type":"divider"}]}`, "[json-pointer:/view/title/text]"},
		{"no title", `{"type":"modal","blocks":[{"type":"divider"}]}`, "missing required field: title"},
		{"no blocks", `{"type":"modal","title":{"type":"plain_text","text":"T"},"blocks":[]}`, "[json-pointer:/view/blocks]"},
		{"private_metadata 3001", `{"type":"modal","title":{"type":"plain_text","text":"T"},"blocks":[{"type":"divider"}],"private_metadata":"` + strings.Repeat("m", 3001) + `"}`, "[json-pointer:/view/private_metadata]"},
		{"home markdown", `{"type":"home","blocks":[{"type":"markdown","text":"a"}]}`, "not allowed in a home"},
		{"home file_input", `{"type":"home","blocks":[{"type":"input","label":{"type":"plain_text","text":"F"},"element":{"type":"file_input"}}]}`, "only allowed in modals"},
		{"ok", `{"type":"modal","title":{"type":"plain_text","text":"T"},"submit":{"type":"plain_text","text":"Save"},"blocks":[` + input + `]}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probs, err := blockkit.Checker{}.View(json.RawMessage(tc.view))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range probs {
				got = append(got, p.String())
			}
			all := strings.Join(got, "\n")
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("problems: %s", all)
			case tc.want != "" && !strings.Contains(all, tc.want):
				t.Errorf("problems %q, want one containing %q", got, tc.want)
			}
		})
	}
}

func TestSlackFileCallback(t *testing.T) {
	c := blockkit.Checker{SlackFile: func(f map[string]any) bool { return f["id"] == "F0000GOOD" }}
	probs, _ := c.Blocks(blockkit.Message, json.RawMessage(`[{"type":"image","slack_file":{"id":"F0000GOOD"},"alt_text":"a"},{"type":"image","slack_file":{"id":"F00000BAD"},"alt_text":"a"}]`))
	if len(probs) != 1 || probs[0].String() != "invalid slack file [json-pointer:/blocks/1/slack_file]" {
		t.Errorf("problems %v", probs)
	}
}

func TestNotJSON(t *testing.T) {
	for _, raw := range []string{"{nope", `{"type":"divider"}`, `[1]`, `[null]`, `null`} {
		if _, err := (blockkit.Checker{}).Blocks(blockkit.Message, json.RawMessage(raw)); !errors.Is(err, blockkit.ErrNotJSON) {
			t.Errorf("Blocks(%s): %v, want ErrNotJSON", raw, err)
		}
	}
	if _, err := (blockkit.Checker{}).View(json.RawMessage(`[]`)); !errors.Is(err, blockkit.ErrNotJSON) {
		t.Errorf("View([]): %v", err)
	}
}

// FuzzBlocks: any JSON is checked without a panic.
func FuzzBlocks(f *testing.F) {
	for _, s := range []string{`[{"type":"section","text":{"type":"mrkdwn","text":"a"}}]`, `[{"type":"actions","elements":[{"type":"button"}]}]`,
		`[{"type":"input","element":{"type":"static_select","options":[{}]}}]`, `[{"type":"rich_text","elements":[{"type":"rich_text_list","elements":[{}]}]}]`,
		`{"type":"modal","blocks":[{"type":"image","slack_file":{}}]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = blockkit.Checker{}.Blocks(blockkit.Message, json.RawMessage(s))
		_, _ = blockkit.Checker{}.View(json.RawMessage(s))
	})
}
