package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stickerbot/stickerbot/internal/testdb"
)

// BenchmarkImport runs the real binary's import and export, each as a
// process of its own so its peak memory (VmHWM) is its own, on libraries
// from testdb.Library (heavy-tailed tags, names of repeated words) of
// 100,000 and 1,000,000 stickers:
//
//   - fresh: import into an empty library (a new database each time);
//   - unchanged: import the same file again;
//   - export: export the library to a file.
//
// Run it with:
//
//	go test -run '^$' -bench BenchmarkImport -benchtime 1x -count 2 -timeout 60m ./cmd/stickerbot/
func BenchmarkImport(b *testing.B) {
	bin := buildBinary(b)
	for _, n := range []int{100_000, 1_000_000} {
		path := testdb.LibraryFile(b, n, 1)
		b.Run(fmt.Sprintf("%d/fresh", n), func(b *testing.B) {
			var peak int64
			for b.Loop() {
				b.StopTimer()
				db := testdb.NewDatabase(b, testdb.Options{})
				b.StartTimer()
				peak = max(peak, runCommand(b, bin, db.URL, "import", path))
			}
			report(b, n, peak)
		})
		b.Run(fmt.Sprintf("%d/unchanged", n), func(b *testing.B) {
			db := testdb.NewDatabase(b, testdb.Options{})
			runCommand(b, bin, db.URL, "import", path)
			var peak int64
			for b.Loop() {
				peak = max(peak, runCommand(b, bin, db.URL, "import", path))
			}
			report(b, n, peak)
		})
		b.Run(fmt.Sprintf("%d/export", n), func(b *testing.B) {
			db := testdb.NewDatabase(b, testdb.Options{})
			runCommand(b, bin, db.URL, "import", path)
			out := filepath.Join(b.TempDir(), "export.json")
			var peak int64
			for b.Loop() {
				peak = max(peak, runCommand(b, bin, db.URL, "export", out))
			}
			report(b, n, peak)
		})
		os.Remove(path)
	}
}

// runCommand runs stickerbot with args against databaseURL and returns its
// peak RSS in bytes: its VmHWM, read every 10 ms while it runs. (The
// rusage of a child started by a Go program is no good for this: Linux
// keeps the high-water mark across exec, so it reports the parent's.)
func runCommand(b *testing.B, bin, databaseURL string, args ...string) int64 {
	b.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"DATABASE_URL=" + databaseURL}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	var peak atomic.Int64
	done := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for {
			if m, ok := readProcMemory(cmd.Process.Pid); ok {
				peak.Store(max(peak.Load(), m.HWM))
			}
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	<-polled
	if err != nil {
		b.Fatalf("stickerbot %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	b.Logf("%s in %s: %s", args[0], time.Since(start).Round(time.Millisecond), strings.TrimSpace(out.String()))
	return peak.Load()
}

func report(b *testing.B, rows int, peak int64) {
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-rss-MiB")
	b.ReportMetric(0, "ns/op")
}
