package testdb

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// WriteLibraryFile writes Library(n, seed) to w as an import file, in the
// form export writes (indented, one field a line).
func WriteLibraryFile(w io.Writer, n int, seed uint64) error {
	rows, _ := Library(n, seed)
	fw := sticker.NewFileWriter(w)
	for r := range rows {
		if err := fw.Write(sticker.FileRow{Name: r.Name, Tags: r.Tags, ImageURL: r.ImageURL}); err != nil {
			return err
		}
	}
	return fw.Close()
}

// LibraryFile writes Library(n, seed) as an import file in a temporary
// directory of tb and returns its path.
func LibraryFile(tb testing.TB, n int, seed uint64) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), fmt.Sprintf("library-%d.json", n))
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := WriteLibraryFile(w, n, seed); err != nil {
		tb.Fatalf("testdb: write %s: %v", path, err)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// LibraryRowAt returns row i (from 0) of Library(n, seed).
func LibraryRowAt(n int, seed uint64, i int) LibraryRow {
	rows, _ := Library(n, seed)
	j := 0
	for r := range rows {
		if j == i {
			return r
		}
		j++
	}
	panic(fmt.Sprintf("testdb: row %d of a library of %d", i, n))
}
