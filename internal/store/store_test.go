package store_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/sticker"
	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

func newStore(t *testing.T) *store.Store {
	t.Helper()
	return store.New(testdb.New(t).Pool)
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
	ms, err := st.Search(context.Background(), pq, 0, 10)
	if err != nil {
		t.Fatalf("Search(%q): %v", q, err)
	}
	return ms
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
		if err := st.RecordSend(ctx, a.ID, "U1", "C1"); err != nil {
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
			st := store.New(testdb.NewDatabase(t, testdb.Options{Locale: locale}).Pool)
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
		m, more, err := st.Nth(ctx, q, n)
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
	if _, _, err := st.Nth(ctx, q, len(got)); !errors.Is(err, sticker.ErrNotFound) {
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

func TestCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	a := mustCreate(t, st, "Cat", "kitty")
	if _, err := st.Save(ctx, 0, sticker.Draft{Name: " ＣＡＴ ", ImageURL: "https://x.example/c.png"}); !errors.Is(err, sticker.ErrDuplicateName) {
		t.Fatalf("duplicate name: %v", err)
	}
	b := mustCreate(t, st, "dog")
	if _, err := st.Save(ctx, b.ID, sticker.Draft{Name: "cat", ImageURL: "https://x.example/d.png"}); !errors.Is(err, sticker.ErrDuplicateName) {
		t.Fatalf("rename onto a taken name: %v", err)
	}
	u, err := st.Save(ctx, a.ID, sticker.Draft{Name: "Kitten", Tags: []string{"고양이"}, ImageURL: "https://x.example/k.png"})
	if err != nil || u.Name != "Kitten" {
		t.Fatalf("update: %v %+v", err, u)
	}
	if ms := find(t, st, "kitty"); len(ms) > 0 && ms[0].Rank != search.RankFuzzy {
		t.Errorf("old tag still matches as %d", ms[0].Rank)
	}
	if got := names(find(t, st, "고양이")); len(got) != 1 || got[0] != "Kitten" {
		t.Errorf("new tag not found: %v", got)
	}
	if err := st.RecordSend(ctx, a.ID, "U1", "C1"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, a.ID); !errors.Is(err, sticker.ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	if _, err := st.Delete(ctx, a.ID); !errors.Is(err, sticker.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if err := st.RecordSend(ctx, a.ID, "U1", "C1"); err != nil {
		t.Fatalf("send of a deleted sticker: %v", err)
	}
	if _, err := st.Save(ctx, a.ID, sticker.Draft{Name: "x", ImageURL: "https://x.example/x.png"}); !errors.Is(err, sticker.ErrNotFound) {
		t.Fatalf("update deleted: %v", err)
	}
}

// TestSchemaConstraints writes past the Go checks to prove the schema holds
// the rules on its own.
func TestSchemaConstraints(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	bad := map[string]string{
		"no image":      `INSERT INTO stickers (name, name_key) VALUES ('a', 'a')`,
		"http url":      `INSERT INTO stickers (name, name_key, image_url) VALUES ('a', 'a', 'http://x/a.png')`,
		"bad file id":   `INSERT INTO stickers (name, name_key, slack_file_id) VALUES ('a', 'a', 'nope')`,
		"empty name":    `INSERT INTO stickers (name, name_key, image_url) VALUES ('', 'x', 'https://x/a.png')`,
		"padded name":   `INSERT INTO stickers (name, name_key, image_url) VALUES (' a', 'a', 'https://x/a.png')`,
		"empty tag":     `INSERT INTO stickers (name, name_key, image_url, tags) VALUES ('a', 'a', 'https://x/a.png', '{""}')`,
		"negative uses": `INSERT INTO stickers (name, name_key, image_url, usage_count) VALUES ('a', 'a', 'https://x/a.png', -1)`,
		"non-ascii key": `INSERT INTO search_keys (key) VALUES ('고')`,
		"spaced key":    `INSERT INTO search_keys (key) VALUES ('a b')`,
	}
	for name, q := range bad {
		if _, err := db.Pool.Exec(ctx, q); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO stickers (name, name_key, image_url) VALUES ('A', 'a', 'https://x/a.png'), ('a', 'a', 'https://x/b.png')`); err == nil {
		t.Error("duplicate name_key accepted")
	}
}

func TestImport(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	drafts := []sticker.Draft{
		{Name: "cat", Tags: []string{"kitty"}, ImageURL: "https://x.example/cat.png"},
		{Name: "dog", ImageURL: "https://x.example/dog.png"},
	}
	res, err := st.Import(ctx, drafts)
	if err != nil || res != (store.ImportResult{Added: 2}) {
		t.Fatalf("first import: %+v %v", res, err)
	}
	res, err = st.Import(ctx, drafts)
	if err != nil || res != (store.ImportResult{Unchanged: 2}) {
		t.Fatalf("second import: %+v %v", res, err)
	}
	drafts[0].Tags = []string{"kitty", "고양이"}
	res, err = st.Import(ctx, drafts)
	if err != nil || res != (store.ImportResult{Updated: 1, Unchanged: 1}) {
		t.Fatalf("third import: %+v %v", res, err)
	}
	if n, _ := st.Count(ctx); n != 2 {
		t.Fatalf("count = %d", n)
	}
}

func TestClaim(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	first, err := st.Claim(ctx, "ev:Ev1")
	if err != nil || !first {
		t.Fatalf("first claim: %v %v", first, err)
	}
	again, err := st.Claim(ctx, "ev:Ev1")
	if err != nil || again {
		t.Fatalf("second claim: %v %v", again, err)
	}
	if n, err := st.ExpireClaims(ctx, 0); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
}

func TestPruneKeys(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	st := store.New(db.Pool)
	ctx := context.Background()
	a := mustCreate(t, st, "zebra", "stripes")
	mustCreate(t, st, "horse", "stripes")
	if _, err := st.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	// Only words unused for an hour go; pretend the hour has passed.
	if _, err := db.Pool.Exec(ctx, `UPDATE search_keys SET touched_at = now() - interval '2 hours'`); err != nil {
		t.Fatal(err)
	}
	if n, err := st.PruneKeys(ctx); err != nil || n != 1 {
		t.Fatalf("pruned %d (want zebra only): %v", n, err)
	}
	if got := names(find(t, st, "stripes")); len(got) != 1 || got[0] != "horse" {
		t.Fatalf("after pruning: %v", got)
	}
}

func TestExclusive(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	inner := false
	ran, err := st.Exclusive(ctx, "t-"+t.Name(), func(ctx context.Context) error {
		// While it is held, nobody else gets it.
		again, err := st.Exclusive(ctx, "t-"+t.Name(), func(context.Context) error { inner = true; return nil })
		if err != nil || again {
			t.Errorf("second holder: %v %v", again, err)
		}
		return nil
	})
	if err != nil || !ran || inner {
		t.Fatalf("first holder: ran %v, err %v, inner ran %v", ran, err, inner)
	}
	if ran, err := st.Exclusive(ctx, "t-"+t.Name(), func(context.Context) error { return nil }); !ran || err != nil {
		t.Fatalf("lock not released: %v %v", ran, err)
	}
}
