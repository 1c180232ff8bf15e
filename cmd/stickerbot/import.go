package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stickerbot/stickerbot/internal/config"
	"github.com/stickerbot/stickerbot/internal/sticker"
	"github.com/stickerbot/stickerbot/internal/store"
)

// importFile imports path, or stdin for "-" (handy with docker compose
// exec, where the file is outside the container). The file streams into
// the database as it is read, so its size does not matter; on a terminal,
// stderr shows how far it has got. The last line, on stdout, sums it up.
func importFile(ctx context.Context, dbURL config.Secret, logger *slog.Logger, path string, stdin io.Reader, stdout, stderr io.Writer) error {
	in, name := stdin, path
	if path == "-" {
		if in == nil {
			return usageError{errors.New("import -: no standard input")}
		}
		name = "standard input"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		in = f
	}
	st, closeStore, _, err := openStore(ctx, dbURL, logger, commandPatience)
	if err != nil {
		return err
	}
	defer closeStore()
	fr := sticker.NewFileReader(in, "import")
	defer fr.Close() // if the import ends before the file does
	var p store.ImportProgress
	start := time.Now()
	stop := showProgress(stderr, start, fr, &p)
	res, err := st.ImportFrom(ctx, fr, &p)
	stop()
	var fe *sticker.FileErrors
	if errors.As(err, &fe) {
		return fmt.Errorf("import: %s has %s; nothing was imported:\n%w", name, plural(fe.Count(), "problem"), fe)
	}
	if err != nil {
		return err
	}
	read, _ := fr.Counts()
	fmt.Fprintf(stdout, "imported from %s: %s added, %s updated, %s unchanged (%s in %.1f s)\n",
		name, thousands(int64(res.Added)), thousands(int64(res.Updated)), thousands(int64(res.Unchanged)),
		plural(int(read), "row"), time.Since(start).Seconds())
	return nil
}

// showProgress redraws one line on w, a terminal, while an import runs:
// rows read, rows found bad, rows written, the rate, then what the
// database is doing. It does nothing when w is not a terminal (a log, a
// pipe), and starts only once an import has taken a moment, so short ones
// print just their summary. The returned func stops it and clears the
// line.
func showProgress(w io.Writer, start time.Time, fr *sticker.FileReader, p *store.ImportProgress) func() {
	if !isTerminal(w) {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		drawn := false
		var rate int64 // rows read a second, until the reading is done
		for {
			select {
			case <-done:
				if drawn {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case now := <-t.C:
				elapsed := now.Sub(start)
				if elapsed < time.Second {
					continue
				}
				read, bad := fr.Counts()
				phase := p.Phase()
				if phase == "" || rate == 0 {
					rate = int64(float64(read) / elapsed.Seconds())
				}
				fmt.Fprint(w, "\r\033[K"+progressLine(read, bad, p.Written(), rate, elapsed, phase))
				drawn = true
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// progressLine is what showProgress draws: rows read, found bad, written,
// the rate they were read at, then what the database is doing, and for
// how long the import has run.
func progressLine(read, bad, written, rate int64, elapsed time.Duration, phase string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "import: %s rows read", thousands(read))
	if bad > 0 {
		fmt.Fprintf(&b, " (%s bad)", thousands(bad))
	} else {
		b.WriteString(", all valid")
	}
	fmt.Fprintf(&b, ", %s written, %s rows/s", thousands(written), thousands(rate))
	if phase != "" {
		b.WriteString("; " + phase + "…")
	}
	fmt.Fprintf(&b, " (%d s)", int(elapsed.Seconds()))
	return b.String()
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// thousands writes n with thousands separators: 1,234,567.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return thousands(int64(n)) + " " + word + "s"
}
