package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/stickerbot/stickerbot/internal/config"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// exportFile writes the library to path ("-": stdout) in the form import
// reads: name, tags, and the image URL, or for uploaded images their bytes
// (base64) with their content type and Slack copy. Rows stream from the
// database to the file as they come. A file is written beside path and
// renamed over it once complete, so a failed export never leaves half a
// backup.
func exportFile(ctx context.Context, dbURL config.Secret, logger *slog.Logger, path string, stdout io.Writer) error {
	st, closeStore, _, err := openStore(ctx, dbURL, logger, commandPatience)
	if err != nil {
		return err
	}
	defer closeStore()
	write := func(w io.Writer) (int, error) {
		fw := sticker.NewFileWriter(w)
		n, err := st.ExportTo(ctx, fw.Write)
		if err != nil {
			return n, err
		}
		return n, fw.Close()
	}
	if path == "-" {
		_, err := write(stdout)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	n, err := write(tmp)
	if err != nil {
		tmp.Close()
		return fmt.Errorf("%w (%s was left as it was)", err, path)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(stdout, "exported %s to %s\n", plural(n, "sticker"), path)
	return nil
}
