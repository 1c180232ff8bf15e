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
// (base64) with their content type and Slack copy. A file is written
// beside path and renamed over it once complete, so a failed export never
// leaves half a backup.
func exportFile(ctx context.Context, dbURL config.Secret, logger *slog.Logger, path string, stdout io.Writer) error {
	st, closeStore, _, err := openStore(ctx, dbURL, logger)
	if err != nil {
		return err
	}
	defer closeStore()
	rows, err := st.Export(ctx)
	if err != nil {
		return err
	}
	if path == "-" {
		return sticker.WriteFile(stdout, rows)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if err := sticker.WriteFile(tmp, rows); err != nil {
		tmp.Close()
		return fmt.Errorf("export %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(stdout, "exported %d stickers to %s\n", len(rows), path)
	return nil
}
