package main

import (
	"context"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/slacksim"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

// BenchmarkLoad runs the real binary, as a process of its own so its peak
// memory can be read, against the fake Slack on loopback and a library of
// 100,000 stickers, in three phases:
//
//   - steady: 100 /sticker search commands a second for 10 s;
//   - burst: 500 commands sent at once;
//   - flood: 2,000 commands as fast as the fake sends them, over both
//     connections, with a refresh_requested disconnect half way.
//
// It reports ack and reply (preview posted) latencies, how long the burst
// took to be answered, acks over 3 s, lost and doubled replies, and the
// peak RSS of the process (built as the Dockerfile builds it), with its
// anonymous and file-backed parts at the sampled peak. Run it with:
//
//	go test -run '^$' -bench BenchmarkLoad -benchtime 1x ./cmd/stickerbot/
func BenchmarkLoad(b *testing.B) {
	bin := buildBinary(b)
	db := testdb.NewDatabase(b, testdb.Options{})
	vocab := testdb.Generate(b, db.Pool, 100_000)
	queries := loadQueries(vocab)
	fs := slacksim.New(b)
	bot := startBinary(b, bin, fs, db.URL)
	httpAddr := bot.httpAddr
	mem := sampleMemory(bot.pid)
	defer mem.Peak() // stops the sampler if the benchmark fails early
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	fs.WaitConnections(ctx, 2)

	for b.Loop() {
		r := newRecorder(fs, httpAddr)
		// Warm the connection pools and the database's caches.
		r.sendAll(ctx, queries[:50], 0)
		r.wait(ctx)

		r = newRecorder(fs, httpAddr)
		r.sendAll(ctx, queries[:1000], 10*time.Millisecond)
		r.wait(ctx)
		r.report(b, "steady")

		r = newRecorder(fs, httpAddr)
		start := time.Now()
		var wg sync.WaitGroup
		for i := range 500 {
			wg.Go(func() { r.send(ctx, queries[i%len(queries)]) })
		}
		wg.Wait()
		last := r.wait(ctx)
		b.ReportMetric(float64(last.Sub(start).Milliseconds()), "burst500-all-answered-ms")
		r.report(b, "burst")

		r = newRecorder(fs, httpAddr)
		for i := range 2000 {
			if i == 1000 {
				open := fs.OpenConnections()
				fs.Disconnect(open[0].Index, "refresh_requested")
			}
			r.send(ctx, queries[i%len(queries)])
		}
		r.wait(ctx)
		r.report(b, "flood")
	}
	reportPeakMemory(b, mem.Peak())
	b.ReportMetric(0, "ns/op")
	if v := fs.Violations(); len(v) > 0 {
		b.Errorf("protocol violations: %+v", v[:min(len(v), 5)])
	}
}

// loadQueries mixes what people type: exact tags, rare and common (a
// common tag is on thousands of stickers), 2- and 3-letter prefixes,
// typos, Korean words and 2-syllable Korean prefixes.
func loadQueries(v testdb.Vocabulary) []string {
	var qs []string
	for i := 0; len(qs) < 2000; i++ {
		en, ko := v.English[i%len(v.English)], v.Korean[i%len(v.Korean)]
		switch i % 7 {
		case 0:
			qs = append(qs, en)
		case 1:
			qs = append(qs, ko)
		case 2:
			qs = append(qs, en[:3])
		case 3:
			r := []byte(en)
			r[len(r)/2] = 'x'
			qs = append(qs, string(r))
		case 4:
			qs = append(qs, string([]rune(ko)[:2]))
		case 5:
			qs = append(qs, v.Head[i%len(v.Head)])
		default:
			qs = append(qs, en[:2])
		}
	}
	return qs
}

// recorder sends commands and matches them with their acks and replies.
type recorder struct {
	fs   *slacksim.Server
	mu   sync.Mutex
	sent map[string]time.Time // response_url → when the command was sent
	envs []string
	urls map[string]string // envelope id → response_url
	// metrics is the bot's /metrics, for its own view of ack latency:
	// from reading the frame to writing the ack, without the fake's share.
	metrics string
	before  map[float64]float64
	lost    int // not delivered (no connection)
}

func newRecorder(fs *slacksim.Server, httpAddr string) *recorder {
	r := &recorder{fs: fs, sent: map[string]time.Time{}, metrics: "http://" + httpAddr + "/metrics"}
	r.before = r.ackBuckets()
	return r
}

// ackBuckets reads the bot's cumulative ack-latency histogram for slash
// commands: upper bound (seconds) → count.
func (r *recorder) ackBuckets() map[float64]float64 {
	resp, err := http.Get(r.metrics)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	out := map[float64]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, `stickerbot_socket_ack_latency_seconds_bucket{`) || !strings.Contains(line, `type="slash_commands"`) {
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

// botAckQuantile is the smallest bucket bound holding q of the acks counted
// since r began.
func (r *recorder) botAckQuantile(q float64) float64 {
	after := r.ackBuckets()
	var bounds []float64
	for k := range after {
		bounds = append(bounds, k)
	}
	slices.Sort(bounds)
	total := after[math.Inf(1)] - r.before[math.Inf(1)]
	for _, k := range bounds {
		if after[k]-r.before[k] >= q*total {
			return k * 1000
		}
	}
	return math.Inf(1)
}

func (r *recorder) send(ctx context.Context, q string) {

	at := time.Now()
	d := r.fs.SlashCommand(ctx, slacksim.Command{User: "U1", Channel: "C1", Command: "/sticker", Text: "search " + q})
	r.mu.Lock()
	defer r.mu.Unlock()
	if d.Err != nil {
		r.lost++
		return
	}
	r.sent[d.ResponseURL] = at
	r.envs = append(r.envs, d.EnvelopeID)
	if r.urls == nil {
		r.urls = map[string]string{}
	}
	r.urls[d.EnvelopeID] = d.ResponseURL
}

func (r *recorder) sendAll(ctx context.Context, qs []string, every time.Duration) {
	next := time.Now()
	for _, q := range qs {
		r.send(ctx, q)
		if every > 0 {
			next = next.Add(every)
			time.Sleep(time.Until(next))
		}
	}
}

// wait returns when every command sent has a reply (a response_url post,
// or an ack that carries the answer: "busy"), with the last reply's time.
func (r *recorder) wait(ctx context.Context) time.Time {
	var last time.Time
	r.fs.WaitUntil(ctx, "every command answered", func() bool {
		got := map[string]bool{}
		for _, a := range r.fs.Acks() {
			if u, ok := r.urls[a.EnvelopeID]; ok && len(a.Payload) > 0 {
				got[u] = true
			}
		}
		for _, p := range r.fs.ResponsePosts() {
			if _, ok := r.sent[p.URL]; ok {
				got[p.URL] = true
				if p.At.After(last) {
					last = p.At
				}
			}
		}
		return len(got) == len(r.sent)
	})
	return last
}

func (r *recorder) report(b *testing.B, phase string) {
	envs := map[string]bool{}
	for _, e := range r.envs {
		envs[e] = true
	}
	var acks []time.Duration
	late := 0
	for _, a := range r.fs.Acks() {
		if envs[a.EnvelopeID] {
			acks = append(acks, a.Latency)
			if a.Late || a.Latency > 3*time.Second {
				late++
			}
		}
	}
	replies := map[string][]time.Time{}
	for _, p := range r.fs.ResponsePosts() {
		if _, ok := r.sent[p.URL]; ok {
			replies[p.URL] = append(replies[p.URL], p.At)
		}
	}
	var lat []time.Duration
	doubled, busy := 0, 0
	for _, a := range r.fs.Acks() {
		if envs[a.EnvelopeID] && len(a.Payload) > 0 {
			busy++
		}
	}
	for u, ts := range replies {
		lat = append(lat, ts[0].Sub(r.sent[u]))
		if len(ts) > 1 {
			doubled++
		}
	}
	b.ReportMetric(pct(acks, 0.50), phase+"-ack-p50-ms")
	b.ReportMetric(pct(acks, 0.99), phase+"-ack-p99-ms")
	b.ReportMetric(pct(acks, 1), phase+"-ack-max-ms")
	if r.metrics != "" {
		b.ReportMetric(r.botAckQuantile(0.50), phase+"-botside-ack-p50-le-ms")
		b.ReportMetric(r.botAckQuantile(0.99), phase+"-botside-ack-p99-le-ms")
	}
	b.ReportMetric(pct(lat, 0.50), phase+"-reply-p50-ms")
	b.ReportMetric(pct(lat, 0.99), phase+"-reply-p99-ms")
	b.ReportMetric(float64(late), phase+"-acks-over-3s")
	b.ReportMetric(float64(r.lost+len(r.envs)-len(acks)), phase+"-lost")
	b.ReportMetric(float64(doubled), phase+"-doubled")
	b.ReportMetric(float64(busy), phase+"-told-busy")
}

func pct(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[int(q*float64(len(s)-1))].Microseconds()) / 1000
}

// peakRSS reads the process's high-water resident set size (VmHWM).
func peakRSS(b *testing.B, pid int) int64 {
	m, ok := readProcMemory(pid)
	if !ok {
		b.Fatalf("no VmHWM in /proc/%d/status", pid)
	}
	return m.HWM
}
