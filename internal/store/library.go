package store

import (
	"bytes"
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/stickerbot/stickerbot/internal/fold"
	"github.com/stickerbot/stickerbot/internal/sticker"
)

// Save creates a sticker (id 0) or replaces sticker id with d: name, tags,
// image URL, Slack file and stored image (d.Image; nil removes a stored
// image). It returns sticker.ErrDuplicateName if the name is taken by another
// sticker, sticker.ErrNotFound if sticker id does not exist, or the draft's first
// sticker.FieldError.
//
// A sticker is searchable only once it can be shown: with an image URL or
// a Slack file. One with only a stored image waits for SetSlackFile.
func (s *Store) Save(ctx context.Context, id int64, d sticker.Draft) (sticker.Sticker, error) {
	d = d.Normalize()
	if errs := d.Validate(); errs != nil {
		return sticker.Sticker{}, fmt.Errorf("save sticker: %w", errs[0])
	}
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		id, err = saveSticker(ctx, tx, id, d)
		return err
	})
	if err != nil {
		return sticker.Sticker{}, fmt.Errorf("save sticker: %w", translate(err))
	}
	return s.getCommitted(ctx, id)
}

// getCommitted reads back sticker id after its change has committed:
// reading it must not fail for the caller's deadline (a modal's ack
// budget), or the admin would be told to do again what is done.
func (s *Store) getCommitted(ctx context.Context, id int64) (sticker.Sticker, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), QueryTimeout)
	defer cancel()
	return s.Get(ctx, id)
}

// saveSticker inserts (id 0) or updates a sticker with its stored image,
// and returns its id. Search learns of the change from the row itself
// (changed_xid) and its notification.
func saveSticker(ctx context.Context, tx pgx.Tx, id int64, d sticker.Draft) (int64, error) {
	if id == 0 {
		const q = `INSERT INTO stickers (name, name_key, tags, image_url, slack_file_id, added_by)
			VALUES ($1, $2, $3, nullif($4, ''), nullif($5, ''), $6) RETURNING id`
		if err := tx.QueryRow(ctx, q, d.Name, fold.Term(d.Name), d.Tags, d.ImageURL, d.SlackFileID, d.AddedBy).Scan(&id); err != nil {
			return 0, err
		}
	} else {
		const q = `UPDATE stickers SET name = $2, name_key = $3, tags = $4,
			image_url = nullif($5, ''), slack_file_id = nullif($6, ''), updated_at = now()
			WHERE id = $1`
		tag, err := tx.Exec(ctx, q, id, d.Name, fold.Term(d.Name), d.Tags, d.ImageURL, d.SlackFileID)
		if err != nil {
			return 0, err
		}
		if tag.RowsAffected() == 0 {
			return 0, sticker.ErrNotFound
		}
	}
	if d.Image != nil {
		const q = `INSERT INTO sticker_images (sticker_id, content_type, data, sha256) VALUES ($1, $2, $3, $4)
			ON CONFLICT (sticker_id) DO UPDATE
			SET content_type = excluded.content_type, data = excluded.data, sha256 = excluded.sha256, created_at = now()
			WHERE sticker_images.sha256 <> excluded.sha256 OR sticker_images.content_type <> excluded.content_type`
		if _, err := tx.Exec(ctx, q, id, d.Image.ContentType, d.Image.Data, d.Image.SHA256()); err != nil {
			return 0, err
		}
	} else if _, err := tx.Exec(ctx, `DELETE FROM sticker_images WHERE sticker_id = $1`, id); err != nil {
		return 0, err
	}
	return id, nil
}

// Image returns the stored image of sticker id, or sticker.ErrNotFound if it has
// none (an image URL, or no such sticker).
func (s *Store) Image(ctx context.Context, id int64) (sticker.Image, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	const q = `SELECT content_type, data FROM sticker_images WHERE sticker_id = $1`
	var img sticker.Image
	if err := s.pool.QueryRow(ctx, q, id).Scan(&img.ContentType, &img.Data); err != nil {
		return img, fmt.Errorf("get image of sticker %d: %w", id, translate(err))
	}
	return img, nil
}

// SetSlackFile records fileID as the Slack copy of sticker id's stored
// image, whose SHA-256 is sum, and makes the sticker searchable. It
// returns sticker.ErrNotFound if the sticker is gone, or sticker.ErrImageChanged if its
// stored image is no longer the one with that digest (it was edited
// meanwhile).
func (s *Store) SetSlackFile(ctx context.Context, id int64, fileID string, sum []byte) (sticker.Sticker, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var stored []byte
		const q = `SELECT i.sha256 FROM stickers s
			JOIN sticker_images i ON i.sticker_id = s.id WHERE s.id = $1 FOR UPDATE OF s`
		if err := tx.QueryRow(ctx, q, id).Scan(&stored); err != nil {
			return err
		}
		if !bytes.Equal(stored, sum) {
			return sticker.ErrImageChanged
		}
		_, err := tx.Exec(ctx, `UPDATE stickers SET slack_file_id = $2 WHERE id = $1`, id, fileID)
		return err
	})
	if err != nil {
		return sticker.Sticker{}, fmt.Errorf("set the Slack file of sticker %d: %w", id, translate(err))
	}
	return s.getCommitted(ctx, id)
}

// StoredImages lists, by id, up to limit stickers with a stored image and
// an id above after.
func (s *Store) StoredImages(ctx context.Context, after int64, limit int) ([]sticker.StoredImage, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	const q = `SELECT s.id, coalesce(s.slack_file_id, '') FROM stickers s
		JOIN sticker_images i ON i.sticker_id = s.id
		WHERE s.id > $1 ORDER BY s.id LIMIT $2`
	rows, err := s.pool.Query(ctx, q, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list stored images: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sticker.StoredImage, error) {
		var si sticker.StoredImage
		err := r.Scan(&si.ID, &si.SlackFileID)
		return si, err
	})
	if err != nil {
		return nil, fmt.Errorf("list stored images: %w", translate(err))
	}
	return out, nil
}

// List returns up to limit stickers in name order, skipping offset, and
// how many the library holds.
func (s *Store) List(ctx context.Context, offset, limit int) ([]sticker.Sticker, int64, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	const q = `SELECT ` + stickerColumns + `, count(*) OVER () FROM stickers s
		ORDER BY s.name_key, s.id LIMIT $1 OFFSET $2`
	rows, err := s.pool.Query(ctx, q, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list stickers: %w", translate(err))
	}
	var total int64
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sticker.Sticker, error) {
		return scanSticker(r, &total)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list stickers: %w", translate(err))
	}
	if len(out) == 0 && offset > 0 {
		// Past the end: the window function saw no row to count.
		n, err := s.Count(ctx)
		return out, n, err
	}
	return out, total, nil
}
