package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/sticker"
	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

// percentiles reports p50 and p99 of ds as benchmark metrics.
func percentiles(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	p := func(q float64) float64 { return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// timed runs op b.N times and reports its latency percentiles.
func timed(b *testing.B, op func(i int) error) {
	var ds []time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		if err := op(i); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
		i++
	}
	percentiles(b, ds)
}

// BenchmarkActivity measures the Home tab (a member's, for the most and
// the least active person, and an admin's with the team's stats),
// /sticker stats (the team's, and the most active person's), the
// picker's shelves and the writes (a send, taking one back, a favourite
// set and unset) on testdb.Library's 100,000 stickers and testdb.Sends'
// 1,000,000 sends by 500 people.
//
//	go test -run '^$' -bench BenchmarkActivity -benchtime 200x -count 2 -timeout 30m ./internal/store/
func BenchmarkActivity(b *testing.B) {
	ctx := context.Background()
	db := testdb.New(b)
	testdb.Generate(b, db.Pool, 100_000)
	start := time.Now()
	users := testdb.Sends(b, db.Pool, 1_000_000, 1)
	b.Logf("1,000,000 sends by %d people generated in %v", len(users), time.Since(start).Round(time.Millisecond))
	st := store.New(db.Pool)
	heavy, light := users[0], users[len(users)-1]
	var ids []int64
	if err := db.Pool.QueryRow(ctx, `SELECT array_agg(id ORDER BY usage_count DESC, id) FROM stickers`).Scan(&ids); err != nil {
		b.Fatal(err)
	}
	const days = 30
	home := func(user string, team bool) func(int) error {
		return func(int) error {
			_, err := st.Home(ctx, sticker.HomeQuery{User: user, Now: time.Now(), Limit: 5, Team: team, Days: days})
			return err
		}
	}
	b.Run("Home/member-heavy", func(b *testing.B) { timed(b, home(heavy, false)) })
	b.Run("Home/member-light", func(b *testing.B) { timed(b, home(light, false)) })
	b.Run("Home/admin", func(b *testing.B) { timed(b, home(heavy, true)) })
	b.Run("Stats", func(b *testing.B) {
		timed(b, func(int) error { _, err := st.Stats(ctx, time.Now(), days, 10); return err })
	})
	b.Run("UserStats/heavy", func(b *testing.B) {
		timed(b, func(int) error { _, err := st.UserStats(ctx, heavy, time.Now(), days, 10); return err })
	})
	b.Run("Shelves/heavy", func(b *testing.B) {
		// The picker's three shelves, one after the other as it reads them.
		timed(b, func(int) error {
			if _, err := st.Favourites(ctx, heavy, 10); err != nil {
				return err
			}
			if _, err := st.Recents(ctx, heavy, 10); err != nil {
				return err
			}
			_, err := st.Popular(ctx, time.Now().Add(-7*24*time.Hour), 10)
			return err
		})
	})
	run := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(run), 2))
	zipf := rand.NewZipf(rng, 1.3, 10, uint64(len(ids)-1))
	sent := 0 // keys stay unique across -count runs
	b.Run("RecordSend", func(b *testing.B) {
		timed(b, func(int) error {
			sent++
			return st.RecordSend(ctx, sticker.Send{StickerID: ids[zipf.Uint64()], User: users[rng.IntN(20)],
				Channel: "CBENCH001", Key: fmt.Sprintf("b%d-%d", run, sent), TS: "1700000000.000100", Via: sticker.ViaPostMessage})
		})
	})
	b.Run("MarkRemoved", func(b *testing.B) {
		// Sends taken back at random from the generated history.
		var keys []string
		if err := db.Pool.QueryRow(ctx, `SELECT array_agg(message_key) FROM (
				SELECT message_key FROM sends WHERE removed_at IS NULL AND message_key LIKE 'bench-%'
				ORDER BY hashtext(message_key || $1) LIMIT 2000) k`, fmt.Sprint(run)).Scan(&keys); err != nil {
			b.Fatal(err)
		}
		timed(b, func(i int) error { return st.MarkRemoved(ctx, keys[i%len(keys)], "UADMIN") })
	})
	b.Run("SetFavourite", func(b *testing.B) {
		timed(b, func(i int) error {
			return st.SetFavourite(ctx, users[rng.IntN(len(users))], ids[zipf.Uint64()], i%2 == 0)
		})
	})
}
