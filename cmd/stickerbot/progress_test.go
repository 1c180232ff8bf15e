package main

import (
	"bytes"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	for _, c := range []struct {
		read, bad, written, rate int64
		elapsed                  time.Duration
		phase, want              string
	}{
		{120_000, 0, 119_000, 60_000, 2 * time.Second, "", "import: 120,000 rows read, all valid, 119,000 written, 60,000 rows/s (2 s)"},
		{1_000_000, 3, 999_997, 100_000, 12 * time.Second, "checking names", "import: 1,000,000 rows read (3 bad), 999,997 written, 100,000 rows/s; checking names… (12 s)"},
	} {
		if got := progressLine(c.read, c.bad, c.written, c.rate, c.elapsed, c.phase); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
	if got := thousands(1234567); got != "1,234,567" {
		t.Errorf("thousands: %s", got)
	}
}

// Not a terminal (a log, a pipe, a buffer): no progress line at all.
func TestNoProgressOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	stop := showProgress(&buf, time.Now().Add(-time.Hour), nil, nil)
	time.Sleep(300 * time.Millisecond)
	stop()
	if buf.Len() != 0 {
		t.Fatalf("wrote %q", buf.String())
	}
}
