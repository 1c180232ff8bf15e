package search_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/sticker"
	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

// These tests search a real PostgreSQL library through the Library, the
// way the bot does. Each search is made twice: by an index that has
// followed every change (so the stickers sit in its delta) and by one
// loaded afresh (its base), which must agree.

var followers sync.Map // *store.Store → *search.Library

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newStore(t *testing.T) *store.Store {
	t.Helper()
	return follow(t, store.New(testdb.New(t).Pool))
}

// follow loads a Library that follows st's changes.
func follow(t *testing.T, st *store.Store) *store.Store {
	t.Helper()
	lib := search.NewLibrary(st, quiet())
	if err := lib.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	followers.Store(st, lib)
	t.Cleanup(func() { followers.Delete(st) })
	return st
}

// following returns st's following Library, brought up to date.
func following(t *testing.T, st *store.Store) *search.Library {
	t.Helper()
	v, ok := followers.Load(st)
	if !ok {
		follow(t, st)
		v, _ = followers.Load(st)
	}
	lib := v.(*search.Library)
	if err := lib.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return lib
}

func loaded(t *testing.T, st *store.Store) *search.Library {
	t.Helper()
	lib := search.NewLibrary(st, quiet())
	if err := lib.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return lib
}

func mustCreate(t *testing.T, st *store.Store, name string, tags ...string) sticker.Sticker {
	t.Helper()
	s, err := st.Save(context.Background(), 0, sticker.Draft{
		Name: name, Tags: tags, ImageURL: "https://img.example.com/" + url.PathEscape(name) + ".png", AddedBy: "U1",
	})
	if err != nil {
		t.Fatalf("create %q: %v", name, err)
	}
	return s
}

func names(ms []search.Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

func find(t *testing.T, st *store.Store, q string) []search.Match {
	t.Helper()
	pq, err := search.ParseQuery(q)
	if err != nil {
		t.Fatalf("ParseQuery(%q): %v", q, err)
	}
	var results [][]search.Match
	for _, lib := range []*search.Library{following(t, st), loaded(t, st)} {
		page, err := lib.Search(context.Background(), pq, 0, 10)
		if err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
		results = append(results, page.Matches)
	}
	if a, b := names(results[0]), names(results[1]); !slices.Equal(a, b) {
		t.Errorf("search %q: the following index finds %v, a fresh one %v", q, a, b)
	}
	return results[1]
}

func TestSearchRanking(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	// Each sticker is built to match "cat" by exactly one rule.
	mustCreate(t, st, "catalog", "books")        // prefix of a name
	mustCreate(t, st, "kitty", "cat", "cute")    // exact tag
	mustCreate(t, st, "Cat")                     // exact name
	mustCreate(t, st, "feline", "catnap")        // prefix of a tag
	mustCreate(t, st, "happy cats", "household") // fuzzy (a word of the name)
	mustCreate(t, st, "dog", "puppy")            // no match
	got := names(find(t, st, "cat"))
	want := []string{"Cat", "kitty", "catalog", "feline", "happy cats"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("search cat = %v, want %v", got, want)
	}
	ms := find(t, st, "cat")
	for i, r := range []search.Rank{search.RankExactName, search.RankExactTag, search.RankPrefix, search.RankPrefix, search.RankFuzzy} {
		if ms[i].Rank != r {
			t.Errorf("%s: rank %d, want %d", ms[i].Name, ms[i].Rank, r)
		}
	}

	// Ties go to the most used, then to the name.
	a := mustCreate(t, st, "party b", "fiesta")
	mustCreate(t, st, "party a", "fiesta")
	mustCreate(t, st, "party c", "fiesta")
	for i := 0; i < 3; i++ {
		if err := st.RecordSend(ctx, sticker.Send{StickerID: a.ID, User: "U1", Channel: "C1"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(names(find(t, st, "fiesta")), ","); got != "party b,party a,party c" {
		t.Errorf("ties = %s, want usage first then name", got)
	}
}

func TestSearchFuzzy(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	testdb.LoadSample(t, st)
	tests := []struct{ query, want string }{
		{"catt", "cat"},
		{"hapy", "laughing"},      // tag happy; laughing is used as much, sorts first by name
		{"thumbs up", "thumbsup"}, // exact tag
		{"thumbsup", "thumbsup"},  // exact name
		{"thumb sup", "thumbsup"}, // spacing typo
		{"coffe", "coffee"},
		{"CELEBRATE", "party"},
		{"ship", "rocket"}, // prefix of the tag "ship it"
		{"deploi", "rocket"},
		{"heart eye", "heart eyes"},
	}
	for _, tt := range tests {
		ms := find(t, st, tt.query)
		if len(ms) == 0 || ms[0].Name != tt.want {
			t.Errorf("search %q = %v, want %q first", tt.query, names(ms), tt.want)
		}
	}
}

// TestSearchMultilingual runs the same Korean and Japanese cases in a
// database whose LC_CTYPE is C, where pg_trgm sees no letters beyond ASCII,
// and in one with C.UTF-8, to prove search does not depend on the locale.
func TestSearchMultilingual(t *testing.T) {
	t.Parallel()
	for _, locale := range []string{"C", "C.UTF-8"} {
		t.Run(locale, func(t *testing.T) {
			t.Parallel()
			st := follow(t, store.New(testdb.NewDatabase(t, testdb.Options{Locale: locale}).Pool))
			testdb.LoadSample(t, st)
			tests := []struct{ query, want string }{
				{"고양이", "cat"}, // exact tag
				{"고양", "cat"},  // 2-syllable prefix
				{"고", "cat"},   // 1-syllable prefix
				{"고앙이", "cat"}, // one-syllable typo
				{"양이", "cat"},  // inner part of a word
				{"猫", "cat"},   // kanji, exact tag
				{"ねこ", "cat"},  // hiragana
				{"ネコ", "cat"},  // katakana finds hiragana
				{"ﾈｺ", "cat"},  // half-width katakana
				{"강아지", "dog"},
				{"강아쥐", "dog"},     // typo in the last syllable
				{"ㅋㅋ", "laughing"}, // lone jamo
				{"ㅠㅠ", "crying"},
				{"배포", "rocket"},
				{"축하", "party"},
				{"감사합니다", "thanks"}, // longer than the tag
				{"\u1100\u1169\u110B\u1163\u11BC\u110B\u1175", "cat"}, // macOS NFD 고양이
				{"ＣＡＴ", "cat"}, // full width
				{"  cat  ", "cat"},
			}
			for _, tt := range tests {
				ms := find(t, st, tt.query)
				if len(ms) == 0 || ms[0].Name != tt.want {
					t.Errorf("search %q = %v, want %q first", tt.query, names(ms), tt.want)
				}
			}
		})
	}
}

func TestSearchPaging(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	for _, n := range []string{"wave a", "wave b", "wave c"} {
		mustCreate(t, st, n, "hello")
	}
	mustCreate(t, st, "hallo", "greeting") // a fuzzy match after the three
	q, _ := search.ParseQuery("hello")
	var got []string
	for n := 0; ; n++ {
		m, more, err := following(t, st).Nth(ctx, q, n)
		if err != nil {
			t.Fatalf("Nth(%d): %v", n, err)
		}
		got = append(got, m.Name)
		if !more {
			break
		}
	}
	if strings.Join(got, ",") != "wave a,wave b,wave c,hallo" {
		t.Fatalf("pages = %v", got)
	}
	if _, _, err := following(t, st).Nth(ctx, q, len(got)); !errors.Is(err, sticker.ErrNotFound) {
		t.Fatalf("Nth past the end: %v, want ErrNotFound", err)
	}
}

func TestSearchHostileQueries(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	mustCreate(t, st, "cat", "kitty")
	for _, q := range []string{
		"'; DROP TABLE stickers; --", `%`, `_`, `\`, `cat%`, `" OR 1=1 --`, "<!channel>", "\x00cat",
		"$1", "cat' OR '1'='1", strings.Repeat("a", 100),
	} {
		find(t, st, q) // must not error
	}
	if got := names(find(t, st, "%")); len(got) != 0 {
		t.Errorf("%% matched %v; it is not a wildcard", got)
	}
	if _, err := search.ParseQuery("   "); !errors.Is(err, search.ErrEmptyQuery) {
		t.Errorf("blank query: %v", err)
	}
	if _, err := search.ParseQuery(strings.Repeat("고", 101)); !errors.Is(err, search.ErrQueryTooLong) {
		t.Errorf("long query: %v", err)
	}
	if got := names(find(t, st, "cat")); len(got) != 1 {
		t.Errorf("table damaged? %v", got)
	}
}

// TestSearchKoreanEmojiJapanese covers the rules added with the
// in-process index: Korean initial consonants, emoji and Slack's codes,
// and Japanese long vowels and small kana, in a C-locale and a UTF-8
// database, through both the followed and the freshly loaded index.
func TestSearchKoreanEmojiJapanese(t *testing.T) {
	t.Parallel()
	for _, locale := range []string{"C", "C.UTF-8"} {
		t.Run(locale, func(t *testing.T) {
			t.Parallel()
			st := follow(t, store.New(testdb.NewDatabase(t, testdb.Options{Locale: locale}).Pool))
			testdb.LoadSample(t, st)
			mustCreate(t, st, "wow", "대박")
			mustCreate(t, st, "good work", "수고하셨습니다")
			mustCreate(t, st, "noodles", "ラーメン")
			mustCreate(t, st, "kitten", "にゃー")
			mustCreate(t, st, "confetti", "🎉")
			mustCreate(t, st, "yay", ":tada:")
			mustCreate(t, st, "red heart", "❤️")
			tests := []struct {
				query, want string
				rank        search.Rank
			}{
				{"ㄱㅇㅇ", "cat", search.RankInitials},           // 고양이
				{"ㄷㅂ", "wow", search.RankInitials},            // 대박
				{"ㅅㄱㅎㅅㅅㄴㄷ", "good work", search.RankInitials}, // 수고하셨습니다
				{"ㄱ ㅇ ㅇ", "cat", search.RankInitials},         // spaces do not matter
				{"ㅋㅋ", "laughing", search.RankExactTag},       // an exact tag ranks first
				{"🎉", "party", search.RankExactName},          // its keyword "party"
				{":tada:", "party", search.RankExactName},
				{":TADA:", "party", search.RankExactName},
				{":+1:", "thumbsup", search.RankExactName}, // +1 and thumbsup are one emoji
				{":thumbsup:", "thumbsup", search.RankExactName},
				{"👍🏽", "thumbsup", search.RankExactName}, // skin tones do not matter
				{"❤", "heart", search.RankExactName},
				{"nyaa", "kitten", search.RankFuzzy}, // にゃー
				{"nya", "kitten", search.RankFuzzy},
				{"raamen", "noodles", search.RankFuzzy}, // ラーメン
				{"ra-men", "noodles", search.RankFuzzy},
				{"ramen", "noodles", search.RankFuzzy},
				{"らーめん", "noodles", search.RankExactTag},
			}
			for _, tt := range tests {
				ms := find(t, st, tt.query)
				if len(ms) == 0 || ms[0].Name != tt.want || ms[0].Rank != tt.rank {
					got := "nothing"
					if len(ms) > 0 {
						got = fmt.Sprintf("%q at rank %d", ms[0].Name, ms[0].Rank)
					}
					t.Errorf("search %q: %s first, want %q at rank %d (all: %v)", tt.query, got, tt.want, tt.rank, names(ms))
				}
			}
			// A sticker may carry an emoji among its tags: the emoji, its
			// codes and its names find it.
			for _, q := range []string{"🎉", ":tada:", "tada", "party popper"} {
				if got := names(find(t, st, q)); !slices.Contains(got, "confetti") || !slices.Contains(got, "yay") {
					t.Errorf("search %q = %v, want confetti and yay (tagged 🎉 and :tada:)", q, got)
				}
			}
			if got := names(find(t, st, "❤️")); !slices.Contains(got, "red heart") || got[0] != "heart" {
				t.Errorf("search ❤️ = %v, want heart, then red heart among the rest", got)
			}
		})
	}
}

// A page counts every match of every tier, the fuzzy ones included.
func TestSearchPageCounts(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	for _, n := range []string{"wave a", "wave b", "wave c"} {
		mustCreate(t, st, n, "hello")
	}
	mustCreate(t, st, "hallo", "greeting") // a fuzzy match after the three
	q, _ := search.ParseQuery("hello")
	for _, lib := range []*search.Library{following(t, st), loaded(t, st)} {
		for offset, want := range []string{"wave a", "wave b", "wave c", "hallo", ""} {
			p, err := lib.Search(ctx, q, offset, 1)
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != 4 || p.Capped || (want == "") != (len(p.Matches) == 0) || (want != "" && p.Matches[0].Name != want) {
				t.Errorf("Search(hello, %d) = %+v, want %q of 4", offset, p, want)
			}
		}
		none, _ := search.ParseQuery("zzqqzzqq")
		if p, err := lib.Search(ctx, none, 0, 1); err != nil || p.Total != 0 || len(p.Matches) != 0 {
			t.Errorf("Search(no match) = %+v, %v", p, err)
		}
	}
}
