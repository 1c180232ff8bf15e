package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stickerbot/stickerbot/internal/search"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// Page counts what Search pages through, every tier, and caps the count.
func TestPageCounts(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	for _, n := range []string{"wave a", "wave b", "wave c"} {
		mustCreate(t, st, n, "hello")
	}
	mustCreate(t, st, "hallo", "greeting") // a fuzzy match after the three
	q, _ := search.ParseQuery("hello")
	for offset, want := range []string{"wave a", "wave b", "wave c", "hallo", ""} {
		p, err := st.Page(ctx, q, offset, 1)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != 4 || p.Capped || (want == "") != (len(p.Matches) == 0) || (want != "" && p.Matches[0].Name != want) {
			t.Errorf("Page(hello, %d) = %+v, want %q of 4", offset, p, want)
		}
	}
	none, _ := search.ParseQuery("zzqqzzqq")
	if p, err := st.Page(ctx, none, 0, 1); err != nil || p.Total != 0 || len(p.Matches) != 0 {
		t.Errorf("Page(no match) = %+v, %v", p, err)
	}

	var drafts []sticker.Draft
	for i := range search.TotalCap + 5 {
		drafts = append(drafts, sticker.Draft{Name: fmt.Sprintf("many %d", i), Tags: []string{"many"},
			ImageURL: "https://x.example/m.png", AddedBy: "test"})
	}
	if _, err := st.Import(ctx, drafts); err != nil {
		t.Fatal(err)
	}
	many, _ := search.ParseQuery("many")
	if p, err := st.Page(ctx, many, 0, 1); err != nil || p.Total != search.TotalCap || !p.Capped || len(p.Matches) != 1 {
		t.Errorf("Page(many) = total %d, capped %v, %d matches, %v; want %d, capped", p.Total, p.Capped, len(p.Matches), err, search.TotalCap)
	}
}
