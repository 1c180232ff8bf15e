package store

import (
	"context"
	"fmt"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// ExportTo calls fn with every sticker of the library, in name order, as
// rows that sticker.FileReader and ImportFrom take back (stored images
// travel as their bytes), and returns how many it gave. Rows stream from
// the database as fn takes them: memory does not grow with the library,
// and there is no deadline on the whole, but a database that takes longer
// than the bulk limit (a minute) to send the next row ends the export with
// an error that says so. An error from fn stops the export and is
// returned as it is.
func (s *Store) ExportTo(ctx context.Context, fn func(sticker.FileRow) error) (int, error) {
	ctx, guard := newStallGuard(ctx, s.stall, "send the next sticker")
	defer guard.close()
	const q = `SELECT s.name, s.tags, coalesce(s.image_url, ''), coalesce(s.slack_file_id, ''),
			coalesce(i.content_type, ''), i.data
		FROM stickers s LEFT JOIN sticker_images i ON i.sticker_id = s.id
		ORDER BY s.name_key, s.id`
	rows, err := s.pool.Query(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("export: %w", cause(ctx, translate(err)))
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		guard.ours()
		var row sticker.FileRow
		if err := rows.Scan(&row.Name, &row.Tags, &row.ImageURL, &row.SlackFileID, &row.ImageContentType, &row.ImageData); err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
		if err := fn(row); err != nil {
			return n, err
		}
		n++
		guard.theirs()
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("export: %w", cause(ctx, translate(err)))
	}
	return n, nil
}
