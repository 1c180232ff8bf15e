package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/playground"
	"github.com/stickerbot/stickerbot/internal/playground/sample"
)

// BenchmarkPlaygroundStart measures what a newcomer waits for: the built
// binary runs `stickerbot playground` with nothing configured (so it
// starts its own throwaway PostgreSQL), and the clock stops when it prints
// its URL and when the whole sample library is searchable (every sticker's
// image copied into #sticker-library, as the page shows it). It also
// reports the process's peak RSS. Run it with:
//
//	go test -run '^$' -bench BenchmarkPlaygroundStart -benchtime 3x ./cmd/stickerbot/
func BenchmarkPlaygroundStart(b *testing.B) {
	bin := buildBinary(b)
	drafts, err := sample.Drafts()
	if err != nil {
		b.Fatal(err)
	}
	urlLine := regexp.MustCompile(`open (http://\S+)`)
	var toURL, toLibrary time.Duration
	var rss int64
	for b.Loop() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd := exec.Command(bin, "playground")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PLAYGROUND_ADDR=" + addr, "LOG_LEVEL=warn"}
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = io.Discard
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		url := ""
		for url == "" && lines.Scan() {
			if m := urlLine.FindStringSubmatch(lines.Text()); m != nil {
				url = m[1]
			}
		}
		if url == "" {
			b.Fatal("the playground printed no URL")
		}
		toURL += time.Since(start)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		for libraryFiles(ctx, b, url) < len(drafts) {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		toLibrary += time.Since(start)
		rss = max(rss, peakRSS(b, cmd.Process.Pid))
		_ = cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			b.Fatalf("the playground did not stop cleanly: %v", err)
		}
	}
	n := float64(b.N)
	b.ReportMetric(toURL.Seconds()/n, "s-to-url")
	b.ReportMetric(toLibrary.Seconds()/n, "s-to-library")
	b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MiB")
	b.ReportMetric(0, "ns/op")
}

// libraryFiles counts the images in #sticker-library, as the page sees it.
func libraryFiles(ctx context.Context, b testing.TB, url string) int {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/state", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			b.Fatalf("the sample library was not searchable within 60s: %v", err)
		}
		return 0
	}
	defer resp.Body.Close()
	var st playground.State
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, m := range st.Messages {
		if m.Channel == playgroundLibrary {
			n += len(m.Files)
		}
	}
	return n
}
