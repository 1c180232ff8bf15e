package main

import (
	"context"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/slacksim"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

// BenchmarkHome measures what people wait for on the Home tab and
// /sticker stats, end to end: the real binary, as its own process, against
// the fake Slack over Socket Mode, with a library of 100,000 stickers
// (testdb.Generate) and a history of 1,000,000 sends (testdb.Sends: 500
// people, heavy-tailed). "home" times from the app_home_opened frame
// leaving the fake to the fake having applied the views.publish; "stats"
// from the /sticker stats command to its answer at the response_url. Each
// is measured for the most active person, one of the least active, and an
// admin (who also gets the team's numbers), 150 ms apart. Run it with:
//
//	go test -run '^$' -bench BenchmarkHome -benchtime 100x -timeout 30m ./cmd/stickerbot/
func BenchmarkHome(b *testing.B) {
	bin := buildBinary(b)
	db := testdb.NewDatabase(b, testdb.Options{})
	testdb.Generate(b, db.Pool, 100_000)
	people := testdb.Sends(b, db.Pool, 1_000_000, 1)
	heavy, light, admin := people[0], people[len(people)-1], people[1]
	var users []slacksim.User
	for _, id := range people {
		users = append(users, slacksim.User{ID: id, Name: id, RealName: id})
	}
	fs := slacksim.New(b, slacksim.WithUsers(users...))
	bot := startBinary(b, bin, fs, db.URL, "STICKER_ADMINS="+admin)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	fs.WaitConnections(ctx, 2)

	for _, who := range []struct{ name, user string }{{"most-active", heavy}, {"least-active", light}, {"admin", admin}} {
		b.Run("home/"+who.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				before := len(fs.Calls("views.publish"))
				start := time.Now()
				if _, err := fs.AppHomeOpened(ctx, who.user, "home"); err != nil {
					b.Fatal(err)
				}
				fs.WaitUntil(ctx, "the Home tab published", func() bool {
					for _, c := range fs.Calls("views.publish")[before:] {
						if c.Params["user_id"] == who.user {
							if c.Error != "" {
								b.Fatalf("views.publish: %s", c.Error)
							}
							return true
						}
					}
					return false
				})
				lat = append(lat, time.Since(start))
				time.Sleep(150 * time.Millisecond)
			}
			reportLatency(b, lat, bot.pid)
		})
		b.Run("stats/"+who.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				start := time.Now()
				d := fs.SlashCommand(ctx, slacksim.Command{User: who.user, Channel: "C1", Command: "/sticker", Text: "stats"})
				fs.WaitResponse(ctx, d.ResponseURL)
				lat = append(lat, time.Since(start))
				time.Sleep(150 * time.Millisecond)
			}
			reportLatency(b, lat, bot.pid)
		})
	}
}

// reportLatency reports lat's p50, p99 and max, and the peak RSS of the
// process pid so far.
func reportLatency(b *testing.B, lat []time.Duration, pid int) {
	b.ReportMetric(float64(peakRSS(b, pid))/(1<<20), "peak-rss-MiB")
	b.ReportMetric(pct(lat, 0.50), "p50-ms")
	b.ReportMetric(pct(lat, 0.99), "p99-ms")
	b.ReportMetric(pct(lat, 1), "max-ms")
	b.ReportMetric(0, "ns/op")
}
