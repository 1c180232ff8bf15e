package migrations

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pressly/goose/v3"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// normalizeImageURLs (issue 17) rewrites every stored image URL as
// sticker.NormalizeImageURL does, which import and the modal now do as
// URLs come in: Block Kit refuses an image_url that is not an RFC 3986
// URI (a Unicode host, Hangul in a path, a | in a query), so such
// stickers showed no image. It runs in Go, not SQL, because the rules
// (IDNA, punycode) are Go's. A URL that cannot be made valid stays as it
// is: the sticker is kept, and /sticker list says its image URL needs
// fixing. The library is read in pages by id, so a large one does not
// sit in memory.
func normalizeImageURLs(ctx context.Context, tx *sql.Tx) error {
	const page = 1000
	var after int64
	for {
		rows, err := tx.QueryContext(ctx, `SELECT id, image_url FROM stickers
			WHERE id > $1 AND image_url IS NOT NULL ORDER BY id LIMIT $2`, after, page)
		if err != nil {
			return fmt.Errorf("read image URLs: %w", err)
		}
		var ids []int64
		var urls []string
		n := 0
		for rows.Next() {
			var id int64
			var u string
			if err := rows.Scan(&id, &u); err != nil {
				rows.Close()
				return fmt.Errorf("read image URLs: %w", err)
			}
			n, after = n+1, id
			if fixed, err := sticker.NormalizeImageURL(u); err == nil && fixed != u {
				ids, urls = append(ids, id), append(urls, fixed)
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read image URLs: %w", err)
		}
		if len(ids) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE stickers s SET image_url = f.url
				FROM unnest($1::bigint[], $2::text[]) AS f(id, url) WHERE s.id = f.id`, ids, urls); err != nil {
				return fmt.Errorf("write normalised image URLs: %w", err)
			}
		}
		if n < page {
			return nil
		}
	}
}

// normalizeImageURLsVersion is the migration's number among the SQL
// files' (keep the file's name in step).
const normalizeImageURLsVersion = 5

// Go lists the migrations written in Go, for goose.WithGoMigrations;
// their versions share the numbering of the SQL files.
func Go() []*goose.Migration {
	m := goose.NewGoMigration(normalizeImageURLsVersion, &goose.GoFunc{RunTx: normalizeImageURLs}, nil)
	m.Source = fmt.Sprintf("%05d_normalize_image_urls.go", normalizeImageURLsVersion)
	return []*goose.Migration{m}
}
