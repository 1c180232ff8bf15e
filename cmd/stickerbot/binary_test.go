package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/slacksim"
)

// buildBinary builds the stickerbot binary into a temporary directory the
// way the Dockerfile builds the shipped one (no cgo, -trimpath, symbol
// table and DWARF stripped), with the given build tags, and returns its
// path. Benchmarks that measure the process (its memory above all: the
// binary's pages are a third of its RSS) measure what operators run.
func buildBinary(tb testing.TB, tags ...string) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "stickerbot")
	args := []string{"build", "-trimpath", "-ldflags=-s -w"}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	build := exec.Command("go", append(args, "-o", bin, ".")...)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// runningBot is the binary running as a process of its own against a
// fake Slack, as benchmarks run it.
type runningBot struct {
	cmd      *exec.Cmd
	httpAddr string // its metrics and health endpoints
	pid      int
}

// startBinary runs bin against fs and the database at databaseURL (with
// the environment variables in extra, "NAME=value"), its HTTP endpoints
// on a free loopback port, until tb ends: then it is interrupted, and its
// log shown if tb failed.
func startBinary(tb testing.TB, bin string, fs *slacksim.Server, databaseURL string, extra ...string) *runningBot {
	tb.Helper()
	httpAddr := freeLoopbackAddr(tb)
	cmd := exec.Command(bin)
	cmd.Env = append([]string{
		"SLACK_BOT_TOKEN=" + fs.BotToken(), "SLACK_APP_TOKEN=" + fs.AppToken(),
		"SLACK_API_URL=" + fs.APIURL(), "DATABASE_URL=" + databaseURL, "LOG_LEVEL=warn",
		"HTTP_ADDR=" + httpAddr,
	}, extra...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if tb.Failed() {
			tb.Logf("bot stderr:\n%s", stderr.String())
		}
	})
	return &runningBot{cmd: cmd, httpAddr: httpAddr, pid: cmd.Process.Pid}
}

// procMemory is a process's memory as /proc/PID/status has it, in bytes.
type procMemory struct {
	HWM  int64 // VmHWM: the peak RSS since it started
	RSS  int64 // VmRSS
	Anon int64 // RssAnon: heap, stacks, the search index
	File int64 // RssFile: the binary's pages
}

// readProcMemory reads a running process's memory; ok is false once it
// has gone.
func readProcMemory(pid int) (m procMemory, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m, false
	}
	fields := map[string]*int64{"VmHWM:": &m.HWM, "VmRSS:": &m.RSS, "RssAnon:": &m.Anon, "RssFile:": &m.File}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if p, found := fields[f[0]]; found {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return m, false
			}
			*p = kb << 10
		}
	}
	return m, m.HWM > 0
}

// memorySampler reads a process's memory every 10 ms and keeps the sample
// with the highest RSS, so the peak can be split into the binary's pages
// and anonymous memory (VmHWM alone does not say which grew).
type memorySampler struct {
	pid  int
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	peak procMemory
}

func sampleMemory(pid int) *memorySampler {
	s := &memorySampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if m, ok := readProcMemory(pid); ok {
				s.mu.Lock()
				hwm := max(s.peak.HWM, m.HWM)
				if m.RSS > s.peak.RSS {
					s.peak = m
				}
				s.peak.HWM = hwm
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Peak stops sampling and returns the sample with the highest RSS, its
// HWM the process's own high-water mark (which a 10 ms sampler can miss
// by a little).
func (s *memorySampler) Peak() procMemory {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
	if m, ok := readProcMemory(s.pid); ok {
		s.peak.HWM = max(s.peak.HWM, m.HWM)
	}
	return s.peak
}

// reportPeakMemory reports a process's peak RSS and, at the sampled peak,
// how much of it was anonymous memory and the binary's pages.
func reportPeakMemory(b *testing.B, m procMemory) {
	b.ReportMetric(float64(m.HWM)/(1<<20), "peak-rss-MiB")
	b.ReportMetric(float64(m.Anon)/(1<<20), "at-peak-anon-MiB")
	b.ReportMetric(float64(m.File)/(1<<20), "at-peak-file-MiB")
}
