package main

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/slacksim"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

// BenchmarkPickerTyping measures keystroke to grid in the picker: the real
// binary, as its own process, against the fake Slack over Socket Mode and
// a library of 100,000 stickers. Each iteration types a word in three
// keystrokes (the first one, two and three letters of a tag, or syllables
// of a Korean one), and times from the moment the last keystroke's frame
// has left the fake to the moment the fake has applied the views.update
// that shows that query's grid. Iterations are 2 s apart, a person
// looking at what they found, which keeps the updates within the bot's
// own Tier 4 budget (100 a minute); "typing" spaces keystrokes 120 ms
// apart (a fast typist), "burst" sends the three at once. It reports
// p50, p99 and max latency, views.update calls per word (the coalescing),
// the bot's own search time (its histogram's bucket bound at p50 and p99)
// and the process's peak RSS. Run it with:
//
//	go test -run '^$' -bench BenchmarkPickerTyping -benchtime 30x ./cmd/stickerbot/
func BenchmarkPickerTyping(b *testing.B) {
	bin := buildBinary(b)
	db := testdb.NewDatabase(b, testdb.Options{})
	vocab := testdb.Generate(b, db.Pool, 100_000)
	fs := slacksim.New(b)
	bot := startBinary(b, bin, fs, db.URL)
	httpAddr := bot.httpAddr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	fs.WaitConnections(ctx, 2)

	// Words to type, as their three keystrokes.
	var words [][3]string
	for i := range 400 {
		if i%2 == 0 {
			w := vocab.English[i%len(vocab.English)]
			if len(w) >= 3 {
				words = append(words, [3]string{w[:1], w[:2], w[:3]})
			}
			continue
		}
		if r := []rune(vocab.Korean[i%len(vocab.Korean)]); len(r) >= 3 {
			words = append(words, [3]string{string(r[:1]), string(r[:2]), string(r[:3])})
		}
	}
	d := fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker"})
	fs.WaitAck(ctx, d.EnvelopeID)
	fs.WaitUntil(ctx, "picker open", func() bool { return len(fs.OpenViews("U1")) == 1 })

	next := 0
	for _, c := range []struct {
		name string
		gap  time.Duration
	}{{"typing", 120 * time.Millisecond}, {"burst", 0}} {
		b.Run(c.name, func(b *testing.B) {
			var lat []time.Duration
			updates := 0
			searches := histogram{url: "http://" + httpAddr + "/metrics", name: "stickerbot_search_duration_seconds_bucket"}
			searches.start()
			for b.Loop() {
				w := words[next%len(words)]
				next++
				before := len(fs.Calls("views.update"))
				var last time.Time
				for k, text := range w {
					if k > 0 && c.gap > 0 {
						time.Sleep(c.gap)
					}
					if d := fs.Type(ctx, slacksim.Typing{User: "U1", ActionID: "picker_query", Value: text}); d.Err != nil {
						b.Fatal(d.Err)
					}
					last = time.Now()
				}
				want := "“" + w[2] + "”"
				fs.WaitUntil(ctx, "grid for "+w[2], func() bool {
					for _, call := range fs.Calls("views.update")[before:] {
						if call.Error == "" && strings.Contains(statusOf(call.View()), want) {
							return true
						}
					}
					return false
				})
				lat = append(lat, time.Since(last))
				time.Sleep(300 * time.Millisecond) // a stale render, if any, would land now
				calls := fs.Calls("views.update")[before:]
				updates += len(calls)
				if st := statusOf(calls[len(calls)-1].View()); !strings.Contains(st, want) {
					b.Fatalf("after typing %q the picker shows %q", w[2], st)
				}
				time.Sleep(2*time.Second - 300*time.Millisecond)
			}
			b.ReportMetric(pct(lat, 0.50), "keystroke-to-grid-p50-ms")
			b.ReportMetric(pct(lat, 0.99), "keystroke-to-grid-p99-ms")
			b.ReportMetric(pct(lat, 1), "keystroke-to-grid-max-ms")
			b.ReportMetric(float64(updates)/float64(len(lat)), "views.update/word")
			b.ReportMetric(searches.quantile(0.50), "search-p50-le-ms")
			b.ReportMetric(searches.quantile(0.99), "search-p99-le-ms")
			b.ReportMetric(float64(peakRSS(b, bot.pid))/(1<<20), "peak-rss-MiB")
			b.ReportMetric(0, "ns/op")
		})
	}
	if v := fs.Violations(); len(v) > 0 {
		b.Errorf("protocol violations: %+v", v[:min(len(v), 5)])
	}
	if e := fs.UserErrors(); len(e) > 0 {
		b.Errorf("users saw errors: %+v", e[:min(len(e), 5)])
	}
}

// histogram reads one of the bot's Prometheus histograms (its cumulative
// buckets) from /metrics, to tell a quantile of what it counted since
// start, as the smallest bucket bound (ms) holding it.
type histogram struct {
	url, name string
	before    map[float64]float64
}

func (h *histogram) buckets() map[float64]float64 {
	resp, err := http.Get(h.url)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	out := map[float64]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, h.name+"{") {
			continue
		}
		le := line[strings.Index(line, `le="`)+4:]
		le = le[:strings.Index(le, `"`)]
		f := strings.Fields(line)
		n, _ := strconv.ParseFloat(f[len(f)-1], 64)
		bound, err := strconv.ParseFloat(le, 64)
		if err != nil {
			bound = math.Inf(1)
		}
		out[bound] = n
	}
	return out
}

func (h *histogram) start() { h.before = h.buckets() }

func (h *histogram) quantile(q float64) float64 {
	after := h.buckets()
	bounds := slices.Sorted(maps.Keys(after))
	total := after[math.Inf(1)] - h.before[math.Inf(1)]
	for _, k := range bounds {
		if after[k]-h.before[k] >= q*total {
			return k * 1000
		}
	}
	return math.Inf(1)
}

// statusOf returns the status line of a picker view (JSON).
func statusOf(view json.RawMessage) string {
	var v struct {
		Blocks []struct {
			BlockID  string `json:"block_id"`
			Elements []struct {
				Text string `json:"text"`
			} `json:"elements"`
		} `json:"blocks"`
	}
	_ = json.Unmarshal(view, &v)
	for _, bl := range v.Blocks {
		if bl.BlockID == "picker_status" && len(bl.Elements) > 0 {
			return bl.Elements[0].Text
		}
	}
	return ""
}
