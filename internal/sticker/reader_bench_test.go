package sticker

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkFileReader reads an import file (set IMPORT_FILE; make one with
// testdb.WriteLibraryFile) the way import does, without the database.
//
//	IMPORT_FILE=/tmp/library-100000.json go test -run '^$' -bench BenchmarkFileReader ./internal/sticker/
func BenchmarkFileReader(b *testing.B) {
	path := os.Getenv("IMPORT_FILE")
	if path == "" {
		b.Skip("set IMPORT_FILE to an import file")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		fr := NewFileReader(bytes.NewReader(data), "import")
		n := 0
		for fr.Next() {
			n++
		}
		if err := fr.Err(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n), "rows")
	}
}
