package store_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stickerbot/stickerbot/internal/sticker"
	"github.com/stickerbot/stickerbot/internal/store"
	"github.com/stickerbot/stickerbot/internal/testdb"
)

// Two deployments in one database, in schemas of their own, each run
// their own housekeeping: the lock of one does not stop the other.
func TestExclusiveIsPerSchema(t *testing.T) {
	t.Parallel()
	a, b := newStore(t), newStore(t)
	ctx := context.Background()
	name := "sync-images-" + t.Name()
	var otherRan bool
	ran, err := a.Exclusive(ctx, name, func(ctx context.Context) error {
		var err error
		otherRan, err = b.Exclusive(ctx, name, func(context.Context) error { return nil })
		return err
	})
	if err != nil || !ran {
		t.Fatalf("first deployment: ran %v, %v", ran, err)
	}
	if !otherRan {
		t.Fatal("the other schema's deployment was kept from its own sync by this one's lock")
	}
}

// commitCanceller cancels a context as soon as a transaction commits, the
// way a caller's deadline may expire right after the commit.
type commitCanceller struct{ cancel context.CancelFunc }

func (c commitCanceller) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (c commitCanceller) TraceQueryEnd(_ context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	if d.Err == nil && d.CommandTag.String() == "COMMIT" {
		c.cancel()
	}
}

// SetSlackFile reports success for a Slack file it has saved, even when
// the caller's context ends between the commit and the read-back.
func TestSetSlackFileDeadlineAfterCommit(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	img := mustImage(t, testPNG)
	s, err := store.New(db.Pool).Save(ctx, 0, sticker.Draft{Name: "uploaded", Image: img})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cfg, err := pgxpool.ParseConfig(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = commitCanceller{cancel}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	got, err := store.New(pool).SetSlackFile(cctx, s.ID, "F0AAAAAAAA", img.SHA256())
	if err != nil || got.SlackFileID != "F0AAAAAAAA" {
		t.Fatalf("SetSlackFile after a commit: %+v, %v", got, err)
	}
}
