package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/blockkit"
	"github.com/stickerbot/stickerbot/internal/envelope"
	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// hostileLibrary holds names and tags that would notify, link or format
// if they reached mrkdwn as they are.
func hostileLibrary() *memLibrary {
	l := &memLibrary{}
	for _, st := range []sticker.Sticker{
		{Name: "<!channel> party", Tags: []string{"<!here>", "a&b", "`code`"}, ImageURL: "https://x.example/party.png", UsageCount: 0},
		{Name: "<@UEVIL> & <https://evil.example|click>", Tags: []string{"<#C0123>", "&lt;"}, ImageURL: "https://x.example/evil.png", UsageCount: 1},
		{Name: "<!date^1392734382^{date}|x> > quote", Tags: []string{"<!everyone>"}, SlackFileID: "F0123ABCD", UsageCount: 2},
		{Name: "hidden <!subteam^S1>", UsageCount: 12345},
		{Name: "legacy &amp;", ImageURL: "https://例え.jp/ねこ.png", UsageCount: 3},
		{Name: "broken <!here>", ImageURL: "https://exa|mple.com/a.png", UsageCount: 4},
	} {
		l.add(st)
	}
	for i := range listPageSize {
		l.add(sticker.Sticker{Name: fmt.Sprintf("filler <!here> %d", i), ImageURL: "https://x.example/f.png"})
	}
	return l
}

// The user IDs the bot may mention: the admins, in refusals (which are
// ephemeral).
var textAdmins = []string{"UADMIN", "UADMIN2"}

// The conversations the bot may link to (which notifies nobody): those
// it was asked to post in ("Sent to #x" in a picker).
var textChannels = []string{"C1"}

// TestTexts walks every message and view the bot shows (driving it
// through every command, button and form, as an admin and as a member,
// with a library of hostile names) and every builder (called directly,
// see TestTextsCoverEveryBuilder), and checks each:
//   - in mrkdwn (and a message's text) every < opens only a mention of an
//     admin, in an ephemeral message, or a link to a conversation the bot
//     was asked to post in; every & is an entity;
//   - plain_text holds no markup (Slack would show it literally);
//   - the blocks or view pass Block Kit's documented rules (blockkit).
func TestTexts(t *testing.T) {
	lib := hostileLibrary()
	rec := newSlackRecorder(t)
	act := newMemActivity(lib)
	cfg := withLibrary(lib, Config{
		Slack:  slack.New("xoxb-test", slack.OptionAPIURL(rec.srv.URL+"/api/")),
		Logger: slog.New(slog.DiscardHandler), Admins: textAdmins, LibraryChannel: "CLIBRARY",
		ViewUpdatesPerMinute: 1e6, Activity: act, Shelves: act,
	})
	cfg.Library = memLibraryWithSends{lib, act}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	x := newExplorer(t, b, rec)
	for _, user := range []string{"UADMIN", "U2"} {
		for _, text := range []string{"", "help", "party", "search &lt;!channel&gt;", "&lt;@UEVIL&gt;", "serach cat",
			"--help", strings.Repeat("long ", 25), "add", "add &lt;!here&gt;", "edit", "edit nothing &lt;!here&gt;",
			"edit legacy &amp;amp;", "delete", "delete &lt;!channel&gt; party", "list", "list 2", "list x", "list 99999",
			"favs", "favs 2", "favs x", "stats"} {
			x.command(user, text)
		}
		x.mention(user, "<@UBOT> party")
		x.mention(user, "<@UBOT> add")
		x.directMessage(user, "hi")
		x.directMessage(user, "&lt;!channel&gt; party")
		x.directMessage(user, "edit party")
		x.homeOpened(user)
		x.messageShortcut(user, shortcutReply)
		x.globalShortcut(user, shortcutSend)
		x.removeShortcut(user, "")
		x.removeShortcut(user, "abcdefgh23456777")
		x.explore(user)
	}
	// Sent stickers taken back: by their sender, by an admin, by someone
	// else; again once gone.
	for _, s := range slices.Clone(act.sends) {
		for _, user := range []string{"U2", s.User, "UADMIN", s.User} {
			x.removeShortcut(user, s.Key)
		}
	}
	for _, user := range []string{"UADMIN", "U2"} {
		x.command(user, "stats")
		x.homeOpened(user)
		x.explore(user)
	}
	// Members use what admins were shown (a forged click is refused),
	// and forms are submitted with every kind of mistake.
	for _, s := range slices.Clone(x.shown) {
		for _, e := range s.elements() {
			x.dispatch(envelope.Interactive, map[string]any{"type": "block_actions", "user": map[string]any{"id": "U2", "username": "u2"},
				"channel": map[string]any{"id": "C1"}, "response_url": x.hook,
				"actions": []any{map[string]any{"type": "button", "block_id": e.blockID, "action_id": e.actionID, "value": e.value}}})
		}
	}
	for _, values := range []map[string]string{
		{blockName: "   ", blockURL: "https://x.example/a.png"},
		{blockName: strings.Repeat("n", 81), blockURL: "https://x.example/a.png"},
		{blockName: "<!channel> party", blockURL: "https://x.example/a.png"},
		{blockName: "new", blockURL: "https://exa|mple.com/a.png"},
		{blockName: "new", blockURL: "http://x.example/a.png"},
		{blockName: "new", blockURL: "https://x.example/a b.png"},
		{blockName: "new", blockURL: "https://x.example/a.png", blockTags: strings.Repeat("t,", 30)},
		{blockName: "new"},
	} {
		x.submit("UADMIN", viewAdd, `{"c":"C1"}`, values)
		x.submit("U2", viewAdd, `{"c":"C1"}`, values)
	}
	x.submit("UADMIN", viewEdit, `{"c":"C1"}`, map[string]string{blockName: "x"}) // out of date

	data := libraryStrings(lib)
	if len(x.shown) < 50 {
		t.Fatalf("only %d messages and views shown", len(x.shown))
	}
	for i, s := range x.shown {
		checkSurface(t, fmt.Sprintf("shown %d (%s)", i, s.path), s, data)
	}
	for i, ack := range x.acks {
		switch a := ack.(type) {
		case *slack.ViewSubmissionResponse:
			for block, msg := range a.Errors {
				checkPlain(t, fmt.Sprintf("ack %d, field error on %s", i, block), msg, data)
			}
		case slack.Msg:
			checkMrkdwn(t, fmt.Sprintf("ack %d", i), a.Text, false)
		default:
			t.Errorf("ack %d: %#v", i, ack)
		}
	}

	// Every builder, directly, with the same data.
	for name, s := range builtSurfaces(b, lib) {
		checkSurface(t, name, s, data)
	}
}

// builtSurfaces calls every builder with hostile data.
func builtSurfaces(b *Bot, lib *memLibrary) map[string]surface {
	out := map[string]surface{}
	msg := func(name string, text md, blocks []slack.Block, public bool) {
		raw, _ := json.Marshal(blocks)
		out[name] = surface{text: text.s, raw: raw, public: public}
	}
	view := func(name string, v slack.ModalViewRequest) {
		raw, _ := json.Marshal(v)
		out[name] = surface{raw: raw, callback: v.CallbackID}
	}
	note := joinMD(" · ", mdf("a <note>"), msgNoImage)
	for i, st := range lib.stickers {
		state := buttonState{StickerID: st.ID, Pos: i, Origin: originCommand, Query: "<!channel> & <@UEVIL>"}
		for j, at := range []place{{pos: i, total: len(lib.stickers)}, {total: 1}, {pos: i, total: 1000, capped: true}} {
			msg(fmt.Sprintf("preview %d/%d", i, j), previewText(st), previewMessage(st, state, at, star(j%3), note), false)
		}
		for _, how := range []origin{originUnknown, originCommand, originMention, originPicker, originReply, originShortcut, originDM, originFavs, originHome} {
			for _, by := range []sender{{}, {Name: st.Name}, {Name: "<@UEVIL>", Avatar: "https://avatars.example.com/a.png"}} {
				blocks, text := sentMessage(st, by, how, "abcdefgh23456777")
				msg(fmt.Sprintf("sent %d %c %q", i, how, by.Name), text, blocks, true)
			}
		}
		msg(fmt.Sprintf("delete %d", i), mdf("Delete %s?", st.Name), deleteMessage(st), false)
		msg(fmt.Sprintf("preview without images %d", i), previewText(st), withoutImages(previewMessage(st, state, place{total: 2}, starOn, note)), false)
		msg(fmt.Sprintf("image %d", i), previewText(st), withImage(st, noticeMessage(mdf("x"))...), false)
		msg(fmt.Sprintf("line %d", i), stickerLine(st), noticeMessage(stickerLine(st)), false)
		msg(fmt.Sprintf("picker result %d", i), stickerLine(st), resultBlocks(st), false)
		for _, uploads := range []bool{true, false} {
			view(fmt.Sprintf("edit modal %d %v", i, uploads), stickerModal(&st, modalMeta{Channel: "C1", ID: st.ID}, uploads))
			view(fmt.Sprintf("add modal %d %v", i, uploads), stickerModal(&sticker.Sticker{Name: st.Name}, modalMeta{Channel: "C1"}, uploads))
		}
	}
	view("add modal", stickerModal(nil, modalMeta{Channel: "C1"}, true))
	hostileQuery := "<!channel> & <@UEVIL>"
	var matches []search.Match
	for _, st := range lib.stickers[:pickerPageSize] {
		matches = append(matches, search.Match{Sticker: st})
	}
	shelves := []shelf{{title: "Your favourites", stickers: lib.stickers[:3]}, {title: "Popular in the team", stickers: lib.stickers[3:6]}}
	for _, meta := range []pickerMeta{
		{User: "U2", Kind: pickChannel, Channel: "C1", ResponseURL: "https://hooks.example/x"},
		{User: "U2", Kind: pickThread, Channel: "C1", ThreadTS: "1.2"},
		{User: "U2", Kind: pickAnywhere, Pending: 1},
	} {
		meta.Query = hostileQuery
		note := mdf(":white_check_mark: Sent %s %s.", bold(lib.stickers[0].Name), where(replyTo{channel: "C1", threadTS: meta.ThreadTS}))
		for name, pv := range map[string]pickerView{
			"page":      {page: &search.Page{Matches: matches, Total: search.TotalCap, Capped: true}, note: note},
			"page 2":    {page: &search.Page{Matches: matches[:3], Total: pickerPageSize + 3}},
			"no match":  {page: &search.Page{}},
			"shelves":   {shelves: shelves, note: note},
			"empty":     {},
			"too long":  {problem: msgTooLong},
			"outage":    {problem: msgUnavailable, note: note},
			"broken":    {broken: true},
			"shelfless": {note: mdf("That sticker was deleted meanwhile.")},
		} {
			pv.meta = meta
			if name == "page 2" {
				pv.meta.Page = 1
			}
			view(fmt.Sprintf("picker %s %s", meta.Kind, name), b.pickerModal(pv))
			msg(fmt.Sprintf("picker status %s %s", meta.Kind, name), pickerStatus(pv), noticeMessage(pickerStatus(pv)), false)
		}
	}
	msg("list", mdf("list"), listMessage(lib.stickers[:listPageSize], int64(len(lib.stickers)), 0), false)
	msg("list end", mdf("list"), listMessage(lib.stickers[listPageSize:], int64(len(lib.stickers)), 1), false)
	msg("list empty", mdf("list"), listMessage(nil, 0, 0), false)
	favs := lib.stickers[:min(favsPageSize, len(lib.stickers))]
	msg("favs", mdf("favs"), favsMessage(favs, int64(len(lib.stickers))+favsPageSize, 1), false)
	msg("favs one page", mdf("favs"), favsMessage(favs[:2], 2, 0), false)
	msg("stats blocks", mdf("stats"), statsBlocks(sticker.Stats{}), false)
	msg("favs none", mdf("favs"), favsMessage(nil, 0, 0), false)
	msg("row", stickerLine(lib.stickers[0]), stickerRow(lib.stickers[0], mdf("<extra> & more"),
		slack.NewButtonBlockElement(actionFavsSend, "1", plain("Send"))), false)
	days := make([]sticker.DayCount, homeDays)
	for i := range days {
		days[i] = sticker.DayCount{Day: time.Date(2026, 11, 18+i, 0, 0, 0, 0, time.UTC), Sends: int64(i * i % 37)}
	}
	top := []sticker.StickerCount{{Sticker: lib.stickers[0], Sends: 1234}, {Sticker: lib.stickers[1], Sends: 1}}
	stats := sticker.Stats{Days: days, WeekSends: 1234, WeekSenders: 1, Top: top, NeverSent: 40, NeverSentSample: lib.stickers[:3], Library: 1000}
	for name, st := range map[string]sticker.Stats{"": stats, " empty": {Days: make([]sticker.DayCount, homeDays)}, " none never": {Top: top, Library: 3}} {
		msg("team stats"+name, mdf("Sticker stats"), teamStatsMessage(st), false)
	}
	for name, us := range map[string]sticker.UserStats{"": {WeekSends: 1, AllSends: 1234, Days: days, Top: top, Favourites: 1}, " empty": {}} {
		msg("user stats"+name, mdf("Your sticker stats"), userStatsMessage(us), false)
	}
	home := sticker.Home{Library: 1000, Favourites: lib.stickers[:homeShelf], FavouritesTotal: 12, Recents: lib.stickers[1:4],
		Popular: top, Team: &stats, Newest: lib.stickers[:homeShelf]}
	for _, admin := range []bool{true, false} {
		for _, ok := range []bool{true, false} {
			for name, h := range map[string]sticker.Home{"": home, " empty": {}} {
				for _, meta := range []homeMeta{{}, {Channel: "C1", Favs: 5}} {
					v := homeView(h, meta, admin, ok, mdf("Sent %s to %s.", bold(lib.stickers[0].Name), conversationName("C1")))
					raw, _ := json.Marshal(v)
					out[fmt.Sprintf("home%s admin=%v ok=%v %+v", name, admin, ok, meta)] = surface{raw: raw, home: true}
					if len(v.Blocks.BlockSet) > 100 {
						panic(fmt.Sprintf("a Home tab of %d blocks", len(v.Blocks.BlockSet)))
					}
				}
			}
		}
	}
	notices := map[string]md{
		"newest": newestText(lib.stickers[:3]), "newest none": newestText(nil), "bars": bars(days),
		"top": topText(mdf("*Top*"), top, 3, mdf("none"), mdf("deleted")), "top deleted": topText(mdf("*Top*"), nil, 3, mdf("none"), mdf("deleted")),
		"usage dm": dmUsageText,
		"usage":    usageText, "unavailable": msgUnavailable, "busy": msgBusy, "failed": msgFailed,
		"bad button": msgBadButton, "gone": msgGone, "no image": msgNoImage, "too long": msgTooLong,
		"no match":    noMatchText("<!channel> & <@UEVIL>"),
		"refusal":     b.adminsOnly("list <!here> stickers"),
		"refusal one": (&Bot{admins: textAdmins[:1]}).adminsOnly("x"), "refusal none": (&Bot{}).adminsOnly("x"),
		"code": code("`<!here>`"), "bold": bold("<!here>"), "mention": mention("not an id <!here>"),
		"list of": listMD([]md{mention("UADMIN"), mdf("<b>"), mdf("&")}),
		"channel": channelLink("C1"), "not a channel": channelLink("<!here> C1"),
		"conversation": conversationName("C1"), "dm": conversationName("D1"), "no conversation": conversationName("<#C0123>"),
		"in the thread": where(replyTo{channel: "C1", threadTS: "1.2"}), "to": where(replyTo{channel: "C1"}),
		"picker broken": msgPickerBroken,
	}
	for _, err := range []error{
		slack.SlackErrorResponse{Err: "not_in_channel"}, slack.SlackErrorResponse{Err: "is_archived"},
		slack.SlackErrorResponse{Err: "<!here>"}, &slack.RateLimitedError{},
		slack.StatusCodeError{Code: 500, Status: "500 <Internal> & Error"}, errors.New("<!channel>"),
	} {
		notices["send failed "+err.Error()] = sendFailedText(err)
	}
	for _, via := range []string{sticker.ViaPostMessage, sticker.ViaResponseURL, ""} {
		for _, code := range []string{"cant_delete_message", "channel_not_found", "<!here>"} {
			notices["cant delete "+via+" "+code] = cantDeleteText(via, code)
		}
	}
	for name, text := range notices {
		msg(name, text, noticeMessage(text), false)
	}
	return out
}

// libraryStrings are the names and tags of lib: data, which plain_text
// shows as it is.
func libraryStrings(lib *memLibrary) []string {
	var out []string
	for _, st := range lib.stickers {
		out = append(out, st.Name)
		out = append(out, st.Tags...)
	}
	// Longest first, so that a name is removed before a part of it.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

func checkSurface(t *testing.T, where string, s surface, data []string) {
	t.Helper()
	if s.text != "" {
		checkMrkdwn(t, where+": text", s.text, s.public)
	}
	if len(s.raw) == 0 {
		return
	}
	var v any
	if err := json.Unmarshal(s.raw, &v); err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	walkText(v, "", func(ptr, typ, text string) {
		if typ == "mrkdwn" {
			checkMrkdwn(t, where+": "+ptr, text, s.public)
		} else {
			checkPlain(t, where+": "+ptr, text, data)
		}
	})
	var probs []blockkit.Problem
	var err error
	if s.callback != "" || s.home {
		probs, err = blockkit.Checker{}.View(s.raw)
	} else {
		probs, err = blockkit.Checker{}.Blocks(blockkit.Message, s.raw)
	}
	if err != nil || len(probs) > 0 {
		t.Errorf("%s breaks Block Kit's rules: %v %v\n%s", where, err, probs, s.raw)
	}
}

// walkText calls f for every text object in v.
func walkText(v any, ptr string, f func(ptr, typ, text string)) {
	switch x := v.(type) {
	case map[string]any:
		if typ, _ := x["type"].(string); typ == "mrkdwn" || typ == "plain_text" {
			if s, ok := x["text"].(string); ok {
				f(ptr, typ, s)
			}
		}
		for k, y := range x {
			walkText(y, ptr+"/"+k, f)
		}
	case []any:
		for i, y := range x {
			walkText(y, fmt.Sprintf("%s/%d", ptr, i), f)
		}
	}
}

var (
	allowedMention = regexp.MustCompile(`^<@([UW][A-Z0-9]+)>`)
	allowedChannel = regexp.MustCompile(`^<#([CG][A-Z0-9]+)>`)
	entity         = regexp.MustCompile(`^&(amp|lt|gt);`)
)

// checkMrkdwn fails on a < that is not a mention the bot meant (an
// admin, in an ephemeral message) or a link to a conversation it was
// asked to post in, a > that closes none, and a & that is no entity.
func checkMrkdwn(t *testing.T, where, text string, public bool) {
	t.Helper()
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '<':
			if c := allowedChannel.FindStringSubmatch(text[i:]); c != nil && slices.Contains(textChannels, c[1]) {
				i += len(c[0]) - 1
				continue
			}
			m := allowedMention.FindStringSubmatch(text[i:])
			switch {
			case m == nil:
				t.Errorf("%s: unescaped < at %d: %q", where, i, text)
				return
			case !slices.Contains(textAdmins, m[1]):
				t.Errorf("%s: mentions %s, who is not an admin: %q", where, m[1], text)
			case public:
				t.Errorf("%s: a message everyone sees mentions %s: %q", where, m[1], text)
			}
			i += len(m[0]) - 1
		case '>':
			t.Errorf("%s: unescaped > at %d: %q", where, i, text)
			return
		case '&':
			if !entity.MatchString(text[i:]) {
				t.Errorf("%s: unescaped & at %d: %q", where, i, text)
				return
			}
		}
	}
}

var (
	plainMarkup = regexp.MustCompile("`|&(amp|lt|gt);|<[@#!]|(^|\\s)\\*[^*\\s][^*]*\\*($|[\\s.,:;])|(^|\\s)_[^_\\s][^_]*_($|[\\s.,:;])")
)

// checkPlain fails on markup in plain text (code, bold, entities,
// mentions), which Slack would show literally, once the library's own
// names and tags are taken out.
func checkPlain(t *testing.T, where, text string, data []string) {
	t.Helper()
	rest := text
	for _, d := range data {
		rest = strings.ReplaceAll(rest, d, "")
		rest = strings.ReplaceAll(rest, clip(d, 100), "")
	}
	if m := plainMarkup.FindString(rest); m != "" {
		t.Errorf("%s: plain text with markup %q: %q", where, m, text)
	}
}

// TestTextsCoverEveryBuilder: every function of the package that builds
// what users read (it returns md, blocks or a view) is called by
// builtSurfaces, so a new builder cannot skip TestTexts.
func TestTextsCoverEveryBuilder(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	builders := map[string]token.Position{}
	var called map[string]bool
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		if name == "texts_test.go" {
			called = map[string]bool{}
			ast.Inspect(f, func(n ast.Node) bool {
				switch c := n.(type) {
				case *ast.CallExpr:
					switch fn := c.Fun.(type) {
					case *ast.Ident:
						called[fn.Name] = true
					case *ast.SelectorExpr:
						called[fn.Sel.Name] = true
					}
				}
				return true
			})
			continue
		}
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Type.Results == nil {
				continue
			}
			for _, r := range fd.Type.Results.List {
				switch typ := types(r.Type); typ {
				case "md", "[]slack.Block", "slack.ModalViewRequest":
					builders[fd.Name.Name] = fset.Position(fd.Pos())
				}
			}
		}
	}
	if len(builders) < 10 {
		t.Fatalf("found only %d builders: %v", len(builders), builders)
	}
	for name, pos := range builders {
		if !called[name] {
			t.Errorf("%s (%s) builds what users read, but TestTexts does not call it: add it to builtSurfaces", name, pos)
		}
	}
}

// types writes a result type as the source does: md, []slack.Block.
func types(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.ArrayType:
		return "[]" + types(x.Elt)
	case *ast.SelectorExpr:
		return types(x.X) + "." + x.Sel.Name
	case *ast.StarExpr:
		return "*" + types(x.X)
	}
	return ""
}
