package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/stickerbot/stickerbot/internal/config"
	"github.com/stickerbot/stickerbot/internal/pgcluster"
	"github.com/stickerbot/stickerbot/internal/playground/sample"
	"github.com/stickerbot/stickerbot/internal/store"
)

// errNoDatabase is the one line the playground says when it has no
// database and cannot start one.
var errNoDatabase = errors.New("the playground needs PostgreSQL: set DATABASE_URL to a PostgreSQL URL, " +
	"or install PostgreSQL's server programs (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql) " +
	"and it starts a throwaway one; or run docker compose --profile playground up")

// launchCluster starts a throwaway PostgreSQL (pgcluster.Launch; tests
// pass another).
type launchCluster func(ctx context.Context) (*pgcluster.Cluster, error)

// playgroundDatabase returns the playground's database: DATABASE_URL when
// set, otherwise a throwaway cluster that done removes. Without
// PostgreSQL's server programs it is a usageError saying what to install
// or set.
func playgroundDatabase(ctx context.Context, pc config.Playground, launch launchCluster, logger *slog.Logger) (url config.Secret, done func(), err error) {
	if pc.DatabaseURL != "" {
		return pc.DatabaseURL, func() {}, nil
	}
	logger.Info("DATABASE_URL is not set: starting a throwaway PostgreSQL, removed when the playground stops")
	c, err := launch(ctx)
	if errors.Is(err, pgcluster.ErrNoServer) {
		return "", nil, usageError{errNoDatabase}
	}
	if err != nil {
		return "", nil, fmt.Errorf("start a throwaway PostgreSQL (or set DATABASE_URL): %w", err)
	}
	return config.Secret(c.URL()), c.Close, nil
}

// loadSample imports the playground's sample library into an empty
// library, and leaves a library with stickers alone. It returns how many
// stickers it added.
func loadSample(ctx context.Context, st *store.Store) (int, error) {
	n, err := st.Count(ctx)
	if err != nil || n > 0 {
		return 0, err
	}
	drafts, err := sample.Drafts()
	if err != nil {
		return 0, err
	}
	res, err := st.Import(ctx, drafts)
	if err != nil {
		return 0, fmt.Errorf("load the sample library: %w", err)
	}
	return res.Added, nil
}
