package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/handlers"
	"github.com/stickerbot/stickerbot/internal/metrics"
	"github.com/stickerbot/stickerbot/internal/socket"
)

// Metrics must stay a complete observer for both packages: when either
// interface gains a method, this stops compiling until Metrics implements it.
var (
	_ handlers.Observer = (*metrics.Metrics)(nil)
	_ socket.Observer   = (*metrics.Metrics)(nil)
)

// scrape GETs /metrics from h and returns the body in the text format.
func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s\n%s", resp.Status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want text/plain", ct)
	}
	return string(body)
}

// wantLines fails for every line of want missing from body.
func wantLines(t *testing.T, body string, want ...string) {
	t.Helper()
	have := make(map[string]bool)
	for l := range strings.SplitSeq(body, "\n") {
		have[l] = true
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("scrape lacks %q", w)
		}
	}
}

func TestScrape(t *testing.T) {
	m := metrics.New("v1.2.3-test")

	m.EnvelopeReceived("slash_commands")
	m.EnvelopeReceived("slash_commands")
	m.EnvelopeReceived("interactive")
	m.EnvelopeReceived("")
	m.Acked("slash_commands", 200*time.Microsecond)
	m.Acked("slash_commands", 4*time.Second) // beyond the last bucket
	m.Reconnect("refresh_requested")
	m.Reconnect("dead")
	m.Reconnect("dead")
	m.ConnectionsOpen(2)

	m.JobDone("slash_commands", 30*time.Millisecond, nil)
	m.JobDone("slash_commands", 20*time.Second, fmt.Errorf("post: %w", context.DeadlineExceeded))
	m.JobDone("interactive", time.Millisecond, errors.New("boom"))
	m.Searched(700 * time.Microsecond)
	m.Busy("events_api")

	m.WebAPIError("chat.postMessage", "api")
	m.WebAPIError("chat.postMessage", "rate_limited")
	m.WebAPIError("files.info", "http")
	m.WebAPIError("views.open", "") // not an error: not counted

	body := scrape(t, m.Handler())
	wantLines(t, body,
		`stickerbot_socket_envelopes_received_total{type="slash_commands"} 2`,
		`stickerbot_socket_envelopes_received_total{type="interactive"} 1`,
		`stickerbot_socket_envelopes_received_total{type="none"} 1`,
		`stickerbot_socket_ack_latency_seconds_bucket{type="slash_commands",le="5e-05"} 0`,
		`stickerbot_socket_ack_latency_seconds_bucket{type="slash_commands",le="0.00025"} 1`,
		`stickerbot_socket_ack_latency_seconds_bucket{type="slash_commands",le="3"} 1`,
		`stickerbot_socket_ack_latency_seconds_bucket{type="slash_commands",le="+Inf"} 2`,
		`stickerbot_socket_ack_latency_seconds_count{type="slash_commands"} 2`,
		`stickerbot_socket_reconnects_total{reason="refresh_requested"} 1`,
		`stickerbot_socket_reconnects_total{reason="dead"} 2`,
		`stickerbot_socket_connections_open 2`,
		`stickerbot_job_duration_seconds_count{outcome="ok",type="slash_commands"} 1`,
		`stickerbot_job_duration_seconds_bucket{outcome="ok",type="slash_commands",le="0.05"} 1`,
		`stickerbot_job_duration_seconds_count{outcome="timeout",type="slash_commands"} 1`,
		`stickerbot_job_duration_seconds_count{outcome="error",type="interactive"} 1`,
		`stickerbot_search_duration_seconds_bucket{le="0.0001"} 0`,
		`stickerbot_search_duration_seconds_bucket{le="0.001"} 1`,
		`stickerbot_search_duration_seconds_bucket{le="1"} 1`,
		`stickerbot_search_duration_seconds_sum 0.0007`,
		`stickerbot_search_duration_seconds_count 1`,
		`stickerbot_busy_total{type="events_api"} 1`,
		`stickerbot_slack_api_errors_total{error="api",method="chat.postMessage"} 1`,
		`stickerbot_slack_api_errors_total{error="rate_limited",method="chat.postMessage"} 1`,
		`stickerbot_slack_api_errors_total{error="http",method="files.info"} 1`,
		`# TYPE stickerbot_socket_ack_latency_seconds histogram`,
		`# TYPE stickerbot_socket_connections_open gauge`,
	)
	for l := range strings.SplitSeq(body, "\n") {
		if strings.Contains(l, `method="views.open"`) && !strings.HasSuffix(l, " 0") {
			t.Errorf("a nil error was counted: %s", l)
		}
	}
	for _, family := range []string{"go_goroutines", "go_memstats_alloc_bytes", "promhttp_metric_handler_requests_total"} {
		if !strings.Contains(body, "\n"+family+" ") && !strings.Contains(body, "\n"+family+"{") {
			t.Errorf("scrape lacks %s", family)
		}
	}
	// The process collector reads procfs on Linux.
	if runtime.GOOS == "linux" && !strings.Contains(body, "\nprocess_start_time_seconds ") {
		t.Error("scrape lacks process_start_time_seconds")
	}
}

func TestBucketRanges(t *testing.T) {
	body := scrape(t, metrics.New("v1.2.3-test").Handler())
	// Histograms without labels show their buckets before any observation.
	wantLines(t, body,
		`stickerbot_search_duration_seconds_bucket{le="0.0001"} 0`,
		`stickerbot_search_duration_seconds_bucket{le="1"} 0`,
	)
	m := metrics.New("v1.2.3-test")
	m.Acked("events_api", time.Millisecond)
	wantLines(t, scrape(t, m.Handler()),
		`stickerbot_socket_ack_latency_seconds_bucket{type="events_api",le="5e-05"} 0`,
		`stickerbot_socket_ack_latency_seconds_bucket{type="events_api",le="3"} 1`,
	)
}

func TestLabelsBounded(t *testing.T) {
	m := metrics.New("v1.2.3-test")
	m.Reconnect("closed by Slack: something odd") // not identifier-shaped
	for i := range 100 {
		m.Reconnect(fmt.Sprintf("reason_%d", i))
	}
	body := scrape(t, m.Handler())
	if n := strings.Count(body, "stickerbot_socket_reconnects_total{"); n > 33 {
		t.Errorf("%d reconnect series; want at most 33 (32 reasons and other)", n)
	}
	// The known reasons, exported from the start, are among the 32: 18
	// of the new ones get a series of their own, the other 82 and the odd
	// one count as other.
	wantLines(t, body,
		`stickerbot_socket_reconnects_total{reason="reason_0"} 1`,
		fmt.Sprintf(`stickerbot_socket_reconnects_total{reason="other"} %d`, 101-(32-len(metrics.ReconnectReasons))),
	)
}

func TestStickerCount(t *testing.T) {
	m := metrics.New("v1.2.3-test")
	var (
		mu   sync.Mutex
		n    int64 = 42
		fail error
	)
	err := m.RegisterStickerCount(func(ctx context.Context) (int64, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("count called without a deadline")
		}
		mu.Lock()
		defer mu.Unlock()
		return n, fail
	})
	if err != nil {
		t.Fatal(err)
	}
	wantLines(t, scrape(t, m.Handler()),
		`# TYPE stickerbot_stickers gauge`,
		`stickerbot_stickers 42`,
		`stickerbot_sticker_count_errors_total 0`,
	)

	mu.Lock()
	fail = errors.New("database down")
	mu.Unlock()
	body := scrape(t, m.Handler())
	if strings.Contains(body, "\nstickerbot_stickers ") {
		t.Error("stickerbot_stickers reported although counting failed")
	}
	wantLines(t, body, `stickerbot_sticker_count_errors_total 1`, `stickerbot_socket_connections_open 0`)

	if err := m.RegisterStickerCount(func(context.Context) (int64, error) { return 0, nil }); err == nil {
		t.Error("a second RegisterStickerCount succeeded")
	}
	if err := m.RegisterStickerCount(nil); err == nil {
		t.Error("RegisterStickerCount(nil) succeeded")
	}
}

// Two Metrics do not share state: no global registry.
func TestIndependent(t *testing.T) {
	a, b := metrics.New("v1.2.3-test"), metrics.New("v1.2.3-test")
	a.Busy("slash_commands")
	if strings.Contains(scrape(t, b.Handler()), `stickerbot_busy_total{type="slash_commands"} 1`) {
		t.Error("a's observation shows in b's scrape")
	}
}

func TestConcurrent(t *testing.T) {
	m := metrics.New("v1.2.3-test")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				typ := fmt.Sprintf("t%d", (i+j)%40)
				m.EnvelopeReceived(typ)
				m.Acked(typ, time.Duration(j)*time.Microsecond)
				m.JobDone(typ, time.Millisecond, nil)
				m.ConnectionsOpen(j % 3)
			}
		})
	}
	wg.Go(func() {
		for range 5 {
			scrape(t, m.Handler())
		}
	})
	wg.Wait()
	body := scrape(t, m.Handler())
	var total int
	for l := range strings.SplitSeq(body, "\n") {
		if strings.HasPrefix(l, "stickerbot_socket_envelopes_received_total{") {
			var v int
			if _, err := fmt.Sscan(l[strings.LastIndexByte(l, ' ')+1:], &v); err != nil {
				t.Fatal(err)
			}
			total += v
		}
	}
	if total != 8*200 {
		t.Errorf("envelopes total %d, want %d", total, 8*200)
	}
}

// A fresh start exports every counter and histogram of the known label
// values at zero, so an alert on a rate has data before the first event,
// and says which build runs.
func TestEverythingAtZeroFromTheStart(t *testing.T) {
	body := scrape(t, metrics.New("v1.2.3-test").Handler())
	want := []string{
		fmt.Sprintf(`stickerbot_build_info{go_version=%q,version="v1.2.3-test"} 1`, runtime.Version()),
		`stickerbot_searches_total{result="hit"} 0`,
		`stickerbot_searches_total{result="miss"} 0`,
		`stickerbot_sends_total{path="post"} 0`,
		`stickerbot_sends_total{path="response_url"} 0`,
		`stickerbot_socket_connections_open 0`,
		`stickerbot_search_duration_seconds_count 0`,
	}
	for _, typ := range metrics.EnvelopeTypes {
		want = append(want,
			fmt.Sprintf(`stickerbot_socket_envelopes_received_total{type=%q} 0`, typ),
			fmt.Sprintf(`stickerbot_socket_ack_latency_seconds_count{type=%q} 0`, typ),
			fmt.Sprintf(`stickerbot_busy_total{type=%q} 0`, typ))
		for _, o := range metrics.JobOutcomes {
			want = append(want, fmt.Sprintf(`stickerbot_job_duration_seconds_count{outcome=%q,type=%q} 0`, o, typ))
		}
	}
	for _, r := range metrics.ReconnectReasons {
		want = append(want, fmt.Sprintf(`stickerbot_socket_reconnects_total{reason=%q} 0`, r))
	}
	for _, method := range metrics.WebAPIMethods {
		for _, kind := range metrics.WebAPIErrorKinds {
			want = append(want, fmt.Sprintf(`stickerbot_slack_api_errors_total{error=%q,method=%q} 0`, kind, method))
		}
	}
	wantLines(t, body, want...)
}

func TestSearchesAndSends(t *testing.T) {
	m := metrics.New("v1")
	m.SearchResult(true)
	m.SearchResult(true)
	m.SearchResult(false)
	m.Sent("chat.postMessage")
	m.Sent("response_url")
	m.Sent("response_url")
	wantLines(t, scrape(t, m.Handler()),
		`stickerbot_searches_total{result="hit"} 2`,
		`stickerbot_searches_total{result="miss"} 1`,
		`stickerbot_sends_total{path="post"} 1`,
		`stickerbot_sends_total{path="response_url"} 2`,
	)
}
