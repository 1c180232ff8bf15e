package main

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/stickerbot/stickerbot/internal/config"
)

// exportFile writes the library to path ("-": stdout) in the form import reads.
func exportFile(ctx context.Context, dbURL config.Secret, logger *slog.Logger, path string, stdout io.Writer) error {
	return errors.New("export: not implemented yet")
}
