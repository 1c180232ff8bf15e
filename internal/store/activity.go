package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// What people do with the library: sends (and taking them back),
// favourites, recents and the numbers of the Home tab and /sticker stats.
// The reads go to the rollups of migration 00006 (sticker_days,
// user_days, user_stickers), which RecordSend and MarkRemoved keep in
// step; its comment says why.

// showable: a sticker Slack can show (an image URL or a Slack file); the
// others are left off every shelf and count.
const showable = `(s.image_url IS NOT NULL OR s.slack_file_id IS NOT NULL)`

// Defaults for a Home tab asked for without sizes.
const (
	defaultShelf = 5
	defaultDays  = 7
	maxDays      = 366
	sampleSize   = 10 // Stats.NeverSentSample
)

// day is t's UTC day, as its midnight.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// span is a window of send times, (lo, hi], as the rollups read it: the
// rollup rows of the UTC days [from, to), plus (sign +1) or minus (sign
// -1) the sends in [edgeFrom, edgeTo), minus the sends in [tailFrom,
// tailTo): those after hi on its day, none when hi is now. The start's
// correction runs to the nearer midnight, so it reads at most half a
// day of sends.
type span struct {
	from, to         time.Time
	sign             int64
	edgeFrom, edgeTo time.Time
	tailFrom, tailTo time.Time
}

// window returns (lo, hi] as a span; a zero hi is no end (the day after
// tomorrow, by this machine's clock, is end enough).
func window(lo, hi time.Time) span {
	const µs = time.Microsecond
	lo = lo.UTC().Truncate(µs) // PostgreSQL keeps microseconds
	var sp span
	if d := day(lo); lo.Sub(d) < 12*time.Hour {
		sp.from, sp.sign, sp.edgeFrom, sp.edgeTo = d, -1, d, lo.Add(µs)
	} else {
		next := d.AddDate(0, 0, 1)
		sp.from, sp.sign, sp.edgeFrom, sp.edgeTo = next, 1, lo.Add(µs), next
	}
	if hi.IsZero() {
		sp.to = day(time.Now()).AddDate(0, 0, 2)
		sp.tailFrom, sp.tailTo = sp.to, sp.to
		return sp
	}
	hi = hi.UTC().Truncate(µs)
	sp.to = day(hi).AddDate(0, 0, 1)
	sp.tailFrom, sp.tailTo = hi.Add(µs), sp.to
	return sp
}

func (sp span) args() []any {
	return []any{sp.from, sp.to, sp.sign, sp.edgeFrom, sp.edgeTo, sp.tailFrom, sp.tailTo}
}

// topStickers reads the most sent showable stickers ($8 of them) in a
// span ($1…$7), most first, then by name, without counting every sticker
// sent in it. The span adds up parts: its days' rows and, when it adds
// them (sign +1), the sends at its start; the sends after its end only
// take away. A sticker sent T times in the span was sent at least T/parts
// times in one part. So: take each part's $8 most sent (seed), count them
// exactly, and call T the $8th largest count among those that can be
// shown; the top are then among the stickers sent at least T/parts times
// in some part (cand), which the index on (day, sends) finds. A window
// whose counts are small (or a library whose top cannot be shown) makes
// T small and cand large, never wrong.
const topStickers = `WITH edge AS MATERIALIZED (
		SELECT e.sticker_id, $3::bigint * count(*) AS n FROM sends e
		WHERE e.removed_at IS NULL AND e.sent_at >= $4 AND e.sent_at < $5 AND e.sticker_id IS NOT NULL
		GROUP BY e.sticker_id
	), tail AS MATERIALIZED (
		SELECT e.sticker_id, -count(*) AS n FROM sends e
		WHERE e.removed_at IS NULL AND e.sent_at >= $6 AND e.sent_at < $7 AND e.sticker_id IS NOT NULL
		GROUP BY e.sticker_id
	), parts AS (
		SELECT ($2::date - $1::date) + CASE WHEN $3::bigint > 0 THEN 1 ELSE 0 END AS n
	), seed AS MATERIALIZED (
		SELECT t.sticker_id FROM generate_series(0, $2::date - $1::date - 1) g(i)
		CROSS JOIN LATERAL (
			SELECT d.sticker_id FROM sticker_days d WHERE d.day = $1::date + g.i ORDER BY d.sends DESC LIMIT $8
		) t
		UNION
		SELECT x.sticker_id FROM (SELECT sticker_id FROM edge WHERE n > 0 ORDER BY n DESC LIMIT $8) x
	), seed_n AS MATERIALIZED (` + countsFrom + `seed` + countsOn + `
	), cut AS (
		SELECT greatest(coalesce((
			SELECT sn.n FROM seed_n sn
			CROSS JOIN LATERAL (SELECT 1 FROM stickers s WHERE s.id = sn.sticker_id AND ` + showable + ` LIMIT 1) s
			WHERE sn.n > 0 ORDER BY sn.n DESC OFFSET $8 - 1 LIMIT 1
		), 1), 1) AS t
	), floor AS (
		SELECT (cut.t + parts.n - 1) / parts.n AS n FROM cut, parts
	), cand AS MATERIALIZED (
		SELECT d.sticker_id FROM sticker_days d
		WHERE d.day >= $1 AND d.day < $2 AND d.sends >= (SELECT n FROM floor)
		UNION
		SELECT e.sticker_id FROM edge e WHERE e.n >= (SELECT n FROM floor)
	), cand_n AS MATERIALIZED (` + countsFrom + `cand` + countsOn + `
	)
	SELECT ` + stickerColumns + `, c.n FROM cand_n c
	CROSS JOIN LATERAL (SELECT * FROM stickers s WHERE s.id = c.sticker_id AND ` + showable + ` LIMIT 1) s
	WHERE c.n > 0
	ORDER BY c.n DESC, s.name_key, s.id LIMIT $8`

// countsFrom + a CTE + countsOn counts the sends in the span of
// topStickers of each sticker in the CTE. The laterals keep the planner,
// which cannot tell how few rows the CTEs hold, to lookups by index.
const (
	countsFrom = `
		SELECT c.sticker_id, coalesce(d.n, 0) + coalesce(e.n, 0) + coalesce(t.n, 0) AS n FROM `
	countsOn = ` c
		CROSS JOIN LATERAL (
			SELECT sum(d.sends) AS n FROM sticker_days d
			WHERE d.sticker_id = c.sticker_id AND d.day >= $1 AND d.day < $2
		) d
		LEFT JOIN edge e ON e.sticker_id = c.sticker_id
		LEFT JOIN tail t ON t.sticker_id = c.sticker_id`
)

// userWindow counts sends and senders in a span ($1…$7), for everyone or
// (userWindowOne) for user $8.
const userWindow = `SELECT count(*) FILTER (WHERE n > 0), coalesce(sum(n), 0)::bigint FROM (
		SELECT user_id, sum(n) AS n FROM (
			SELECT d.user_id, d.sends AS n FROM user_days d WHERE d.day >= $1 AND d.day < $2
			UNION ALL
			SELECT e.user_id, $3::bigint FROM sends e WHERE e.removed_at IS NULL AND e.sent_at >= $4 AND e.sent_at < $5
			UNION ALL
			SELECT e.user_id, -1 FROM sends e WHERE e.removed_at IS NULL AND e.sent_at >= $6 AND e.sent_at < $7
		) p GROUP BY user_id
	) u`

const userWindowOne = `SELECT coalesce(sum(n), 0)::bigint FROM (
		SELECT d.sends AS n FROM user_days d WHERE d.user_id = $8 AND d.day >= $1 AND d.day < $2
		UNION ALL
		SELECT $3::bigint FROM sends e
		WHERE e.user_id = $8 AND e.removed_at IS NULL AND e.sent_at >= $4 AND e.sent_at < $5
		UNION ALL
		SELECT -1 FROM sends e
		WHERE e.user_id = $8 AND e.removed_at IS NULL AND e.sent_at >= $6 AND e.sent_at < $7
	) p`

// RecordSend notes that snd.User sent sticker snd.StickerID into
// snd.Channel, under snd.Key (empty: none) with snd.TS and snd.Via, counts
// the use and adds it to the rollups, in one statement. A sticker deleted
// meanwhile is not an error (nothing is recorded: there is no sticker to
// count it for). A Key already recorded is an error (the key is unique),
// as is a Key, TS or Via the schema refuses.
func (s *Store) RecordSend(ctx context.Context, snd sticker.Send) error {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	// The sticker's row is locked first, as in MarkRemoved, so that the two
	// take the rollups' rows in the same order.
	const q = `WITH used AS (
			UPDATE stickers SET usage_count = usage_count + 1 WHERE id = $1 RETURNING id, name
		), sent AS (
			INSERT INTO sends (sticker_id, sticker_name, user_id, channel_id, message_key, message_ts, via)
			SELECT id, name, $2, $3, nullif($4, ''), nullif($5, ''), nullif($6, '') FROM used
			RETURNING id, sticker_id, user_id, sent_at, (sent_at AT TIME ZONE 'UTC')::date AS day
		), per_day AS (
			INSERT INTO send_days (day, shard, sends) SELECT day, id % 16, 1 FROM sent
			ON CONFLICT (day, shard) DO UPDATE SET sends = send_days.sends + 1
		), per_sticker AS (
			INSERT INTO user_stickers (user_id, sticker_id, sends, last_sent_at)
			SELECT user_id, sticker_id, 1, sent_at FROM sent
			ON CONFLICT (user_id, sticker_id) DO UPDATE SET sends = user_stickers.sends + 1,
				last_sent_at = greatest(user_stickers.last_sent_at, excluded.last_sent_at)
		), sticker_day AS (
			INSERT INTO sticker_days (day, sticker_id, sends) SELECT day, sticker_id, 1 FROM sent
			ON CONFLICT (day, sticker_id) DO UPDATE SET sends = sticker_days.sends + 1
		)
		INSERT INTO user_days (user_id, day, sends) SELECT user_id, day, 1 FROM sent
		ON CONFLICT (user_id, day) DO UPDATE SET sends = user_days.sends + 1`
	if _, err := s.pool.Exec(ctx, q, snd.StickerID, snd.User, snd.Channel, snd.Key, snd.TS, snd.Via); err != nil {
		return fmt.Errorf("record send of sticker %d: %w", snd.StickerID, translate(err))
	}
	return nil
}

const sentColumns = `e.id, coalesce(e.sticker_id, 0), e.sticker_name, e.user_id, e.channel_id,
	coalesce(e.message_key, ''), coalesce(e.message_ts, ''), coalesce(e.via, ''), e.sent_at,
	e.removed_at, coalesce(e.removed_by, '')`

// Sent returns the send whose message carries key, whether or not it was
// taken back, or sticker.ErrNotFound (also for an empty key).
func (s *Store) Sent(ctx context.Context, key string) (sticker.SentRecord, error) {
	var r sticker.SentRecord
	if key == "" {
		return r, fmt.Errorf("read send: %w", sticker.ErrNotFound)
	}
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	const q = `SELECT ` + sentColumns + ` FROM sends e WHERE e.message_key = $1`
	var removed *time.Time
	err := s.pool.QueryRow(ctx, q, key).Scan(&r.ID, &r.StickerID, &r.StickerName, &r.User, &r.Channel,
		&r.Key, &r.TS, &r.Via, &r.SentAt, &removed, &r.RemovedBy)
	if err != nil {
		return sticker.SentRecord{}, fmt.Errorf("read send: %w", translate(err))
	}
	if removed != nil {
		r.RemovedAt = *removed
	}
	return r, nil
}

// MarkRemoved records that by took back the send with key: the row stays,
// with removed_at and removed_by, and from then on the send counts
// nowhere (stats, popular, recents, the sticker's usage count). Taking a
// send back again keeps the first time and is no error. An unknown (or
// empty) key is sticker.ErrNotFound.
func (s *Store) MarkRemoved(ctx context.Context, key, by string) error {
	if key == "" {
		return fmt.Errorf("mark send removed: %w", sticker.ErrNotFound)
	}
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Only the first call finds the row not removed: a second one,
		// even a concurrent one, counts nothing off twice.
		const qMark = `UPDATE sends SET removed_at = now(), removed_by = $2
			WHERE message_key = $1 AND removed_at IS NULL
			RETURNING id, sticker_id, user_id, (sent_at AT TIME ZONE 'UTC')::date`
		var id int64
		var stickerID *int64
		var user string
		var sentDay time.Time
		err := tx.QueryRow(ctx, qMark, key, by).Scan(&id, &stickerID, &user, &sentDay)
		if errors.Is(err, pgx.ErrNoRows) {
			var known bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sends WHERE message_key = $1)`, key).Scan(&known); err != nil {
				return err
			}
			if !known {
				return sticker.ErrNotFound
			}
			return nil
		}
		if err != nil {
			return err
		}
		const qDays = `WITH per_day AS (
				UPDATE send_days SET sends = sends - 1 WHERE day = $2 AND shard = $3 % 16 AND sends > 0
			)
			UPDATE user_days SET sends = sends - 1 WHERE user_id = $1 AND day = $2 AND sends > 0`
		if _, err := tx.Exec(ctx, qDays, user, sentDay, id); err != nil {
			return err
		}
		if stickerID == nil { // the sticker is gone, and its rollups with it
			return nil
		}
		// The sticker's row first, as RecordSend locks it first.
		const qSticker = `WITH used AS (
				UPDATE stickers SET usage_count = greatest(usage_count - 1, 0) WHERE id = $1
			)
			UPDATE sticker_days SET sends = sends - 1 WHERE day = $2 AND sticker_id = $1 AND sends > 0`
		if _, err := tx.Exec(ctx, qSticker, *stickerID, sentDay); err != nil {
			return err
		}
		// The person's row is locked before their last send is looked for,
		// so a send of the same sticker committing meanwhile is seen.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM user_stickers WHERE user_id = $1 AND sticker_id = $2 FOR UPDATE`,
			user, *stickerID); err != nil {
			return err
		}
		const qLast = `WITH last AS (
				SELECT max(e.sent_at) AS at FROM sends e
				WHERE e.user_id = $1 AND e.sticker_id = $2 AND e.removed_at IS NULL
			), kept AS (
				UPDATE user_stickers u SET sends = u.sends - 1, last_sent_at = last.at FROM last
				WHERE u.user_id = $1 AND u.sticker_id = $2 AND u.sends > 1 AND last.at IS NOT NULL
				RETURNING 1
			)
			DELETE FROM user_stickers u WHERE u.user_id = $1 AND u.sticker_id = $2 AND NOT EXISTS (SELECT 1 FROM kept)`
		_, err = tx.Exec(ctx, qLast, user, *stickerID)
		return err
	})
	if err != nil {
		return fmt.Errorf("mark send removed: %w", translate(err))
	}
	return nil
}

// SetFavourite adds sticker id to user's favourites (on) or takes it out.
// Either is idempotent. Adding a sticker that does not exist is
// sticker.ErrNotFound; taking one out never is.
func (s *Store) SetFavourite(ctx context.Context, user string, id int64, on bool) error {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	if !on {
		if _, err := s.pool.Exec(ctx, `DELETE FROM favourites WHERE user_id = $1 AND sticker_id = $2`, user, id); err != nil {
			return fmt.Errorf("unset favourite: %w", translate(err))
		}
		return nil
	}
	const q = `WITH st AS (SELECT id FROM stickers WHERE id = $2),
		added AS (
			INSERT INTO favourites (user_id, sticker_id) SELECT $1, id FROM st
			ON CONFLICT (user_id, sticker_id) DO NOTHING
		)
		SELECT EXISTS (SELECT 1 FROM st)`
	var exists bool
	err := s.pool.QueryRow(ctx, q, user, id).Scan(&exists)
	if err == nil && !exists {
		err = sticker.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("set favourite: %w", translate(err))
	}
	return nil
}

// IsFavourite reports whether sticker id is one of user's favourites.
func (s *Store) IsFavourite(ctx context.Context, user string, id int64) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	var yes bool
	const q = `SELECT EXISTS (SELECT 1 FROM favourites WHERE user_id = $1 AND sticker_id = $2)`
	if err := s.pool.QueryRow(ctx, q, user, id).Scan(&yes); err != nil {
		return false, fmt.Errorf("read favourite: %w", translate(err))
	}
	return yes, nil
}

// FavouritesPage returns up to limit of user's showable favourites,
// newest favourite first, after skipping offset, and how many they have.
// Past the end the page is empty.
func (s *Store) FavouritesPage(ctx context.Context, user string, offset, limit int) ([]sticker.Sticker, int64, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	var page []sticker.Sticker
	var total int64
	b := &pgx.Batch{}
	queueFavourites(b, user, offset, limit, &page)
	queueFavouritesTotal(b, user, &total)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, 0, fmt.Errorf("read favourites: %w", translate(err))
	}
	return page, total, nil
}

// Favourites returns up to limit of user's showable favourites, newest
// favourite first.
func (s *Store) Favourites(ctx context.Context, user string, limit int) ([]sticker.Sticker, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	var page []sticker.Sticker
	b := &pgx.Batch{}
	queueFavourites(b, user, 0, limit, &page)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("read favourites: %w", translate(err))
	}
	return page, nil
}

// Recents returns up to limit of the showable stickers user sent last,
// each once, the latest first. Sends taken back do not count.
func (s *Store) Recents(ctx context.Context, user string, limit int) ([]sticker.Sticker, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	var out []sticker.Sticker
	b := &pgx.Batch{}
	queueRecents(b, user, limit, &out)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("read recents: %w", translate(err))
	}
	return out, nil
}

// Popular returns up to limit of the showable stickers sent most since
// since, most first, then by name. Sends taken back do not count.
func (s *Store) Popular(ctx context.Context, since time.Time, limit int) ([]sticker.Sticker, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	var top []sticker.StickerCount
	b := &pgx.Batch{}
	queueTop(b, window(since.Add(-time.Microsecond), time.Time{}), limit, &top)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("read popular stickers: %w", translate(err))
	}
	out := make([]sticker.Sticker, len(top))
	for i, c := range top {
		out[i] = c.Sticker
	}
	return out, nil
}

// Stats returns the team's numbers: the days UTC days ending with now's
// (days ≤ 0: seven; at most 366), the last 7×24 hours to now with its top
// most sent stickers, the showable stickers never sent (those whose
// usage count is 0: every send not taken back counts one) and the
// library's size. Sends taken back count nowhere; sends of deleted
// stickers count in Days and the week's totals, not in Top.
func (s *Store) Stats(ctx context.Context, now time.Time, days, top int) (sticker.Stats, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	var st sticker.Stats
	b := &pgx.Batch{}
	queueStats(b, now, days, top, &st)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return sticker.Stats{}, fmt.Errorf("read stats: %w", translate(err))
	}
	return st, nil
}

// UserStats returns user's numbers: sends in the last 7×24 hours to now
// and ever, their days as in Stats, their top most sent (showable)
// stickers ever, and how many favourites they have. Sends taken back
// count nowhere.
func (s *Store) UserStats(ctx context.Context, user string, now time.Time, days, top int) (sticker.UserStats, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	var us sticker.UserStats
	b := &pgx.Batch{}
	b.Queue(userWindowOne, append(window(now.Add(-7*24*time.Hour), now).args(), user)...).
		QueryRow(func(r pgx.Row) error { return r.Scan(&us.WeekSends) })
	b.Queue(`SELECT coalesce(sum(sends), 0)::bigint FROM user_days WHERE user_id = $1`, user).
		QueryRow(func(r pgx.Row) error { return r.Scan(&us.AllSends) })
	queueDays(b, `SELECT day, sum(sends)::bigint FROM user_days WHERE user_id = $3 AND day >= $1 AND day <= $2 GROUP BY day`,
		now, days, &us.Days, user)
	if top > 0 {
		// Ties are by name, so every sticker sent as often as the last one
		// of the top is read; the others (thousands, for the most active)
		// are not.
		const q = `WITH cut AS (
				SELECT u.sends FROM user_stickers u JOIN stickers s ON s.id = u.sticker_id
				WHERE u.user_id = $1 AND ` + showable + ` ORDER BY u.sends DESC OFFSET $2 - 1 LIMIT 1
			)
			SELECT ` + stickerColumns + `, u.sends FROM user_stickers u JOIN stickers s ON s.id = u.sticker_id
			WHERE u.user_id = $1 AND u.sends >= coalesce((SELECT sends FROM cut), 1) AND ` + showable + `
			ORDER BY u.sends DESC, s.name_key, s.id LIMIT $2`
		b.Queue(q, user, top).Query(func(rows pgx.Rows) error {
			var err error
			us.Top, err = collectCounts(rows)
			return err
		})
	}
	queueFavouritesTotal(b, user, &us.Favourites)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return sticker.UserStats{}, fmt.Errorf("read stats of %s: %w", user, translate(err))
	}
	return us, nil
}

// Home returns what q.User's Home tab shows, in one round trip: the
// library's size, a page of favourites and their total, recents and the
// week's popular stickers (q.Limit each; ≤ 0 is 5), and for q.Team the
// team's Stats over q.Days days (with its top 10) and the q.Limit newest
// showable stickers.
func (s *Store) Home(ctx context.Context, q sticker.HomeQuery) (sticker.Home, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	limit := q.Limit
	if limit <= 0 {
		limit = defaultShelf
	}
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	var h sticker.Home
	b := &pgx.Batch{}
	if q.Team {
		h.Team = &sticker.Stats{}
		queueCounts(b, &h.Library, &h.Team.NeverSent)
	} else {
		queueCounts(b, &h.Library, nil)
	}
	queueFavourites(b, q.User, q.FavouritesOffset, limit, &h.Favourites)
	queueFavouritesTotal(b, q.User, &h.FavouritesTotal)
	queueRecents(b, q.User, limit, &h.Recents)
	queueTop(b, window(now.Add(-7*24*time.Hour), now), limit, &h.Popular)
	if q.Team {
		queueStatsExceptCounts(b, now, q.Days, 10, h.Team)
		const qNew = `SELECT ` + stickerColumns + ` FROM stickers s WHERE ` + showable + `
			ORDER BY s.id DESC LIMIT $1`
		b.Queue(qNew, limit).Query(func(rows pgx.Rows) error {
			var err error
			h.Newest, err = collectStickers(rows)
			return err
		})
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return sticker.Home{}, fmt.Errorf("read the Home tab of %s: %w", q.User, translate(err))
	}
	if h.Team != nil {
		h.Team.Library = h.Library
	}
	return h, nil
}

// RebuildActivity recomputes the rollups (send_days, sticker_days,
// user_days, user_stickers) from the sends, with the SQL of migration 00006's
// backfill, for data written around RecordSend (generated benchmarks, a
// repair). It holds the rollups locked while it runs: sends wait. Usage
// counts are left as they are (an import may have set them).
func (s *Store) RebuildActivity(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, q := range []string{
			`LOCK TABLE send_days, sticker_days, user_days, user_stickers IN EXCLUSIVE MODE`,
			// A million sends group into hundreds of thousands of rows:
			// in memory, not on disk.
			`SET LOCAL work_mem = '64MB'`,
			`DELETE FROM send_days`,
			`DELETE FROM sticker_days`,
			`DELETE FROM user_days`,
			`DELETE FROM user_stickers`,
			`INSERT INTO send_days (day, shard, sends)
			SELECT (sent_at AT TIME ZONE 'UTC')::date, id % 16, count(*)
			FROM sends WHERE removed_at IS NULL
			GROUP BY 1, 2`,
			`INSERT INTO sticker_days (day, sticker_id, sends)
			SELECT (sent_at AT TIME ZONE 'UTC')::date, sticker_id, count(*)
			FROM sends WHERE sticker_id IS NOT NULL AND removed_at IS NULL
			GROUP BY 1, 2`,
			`INSERT INTO user_days (user_id, day, sends)
			SELECT user_id, (sent_at AT TIME ZONE 'UTC')::date, count(*)
			FROM sends WHERE removed_at IS NULL
			GROUP BY 1, 2`,
			`INSERT INTO user_stickers (user_id, sticker_id, sends, last_sent_at)
			SELECT user_id, sticker_id, count(*), max(sent_at)
			FROM sends WHERE sticker_id IS NOT NULL AND removed_at IS NULL
			GROUP BY 1, 2`,
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rebuild activity rollups: %w", translate(err))
	}
	return nil
}

// queueCounts reads how many stickers can be shown, and how many of those
// were never sent, from library_counts (see migration 00006).
func queueCounts(b *pgx.Batch, library, neverSent *int64) {
	b.Queue(`SELECT coalesce(sum(showable), 0)::bigint, coalesce(sum(never_sent), 0)::bigint FROM library_counts`).
		QueryRow(func(r pgx.Row) error {
			var never int64
			if neverSent == nil {
				neverSent = &never
			}
			return r.Scan(library, neverSent)
		})
}

func queueFavourites(b *pgx.Batch, user string, offset, limit int, dst *[]sticker.Sticker) {
	if limit <= 0 {
		return
	}
	const q = `SELECT ` + stickerColumns + ` FROM favourites f JOIN stickers s ON s.id = f.sticker_id
		WHERE f.user_id = $1 AND ` + showable + `
		ORDER BY f.created_at DESC, f.sticker_id DESC LIMIT $2 OFFSET $3`
	b.Queue(q, user, limit, max(offset, 0)).Query(func(rows pgx.Rows) error {
		var err error
		*dst, err = collectStickers(rows)
		return err
	})
}

func queueFavouritesTotal(b *pgx.Batch, user string, dst *int64) {
	const q = `SELECT count(*) FROM favourites f JOIN stickers s ON s.id = f.sticker_id
		WHERE f.user_id = $1 AND ` + showable
	b.Queue(q, user).QueryRow(func(r pgx.Row) error { return r.Scan(dst) })
}

func queueRecents(b *pgx.Batch, user string, limit int, dst *[]sticker.Sticker) {
	if limit <= 0 {
		return
	}
	const q = `SELECT ` + stickerColumns + ` FROM user_stickers u JOIN stickers s ON s.id = u.sticker_id
		WHERE u.user_id = $1 AND ` + showable + `
		ORDER BY u.last_sent_at DESC, u.sticker_id DESC LIMIT $2`
	b.Queue(q, user, limit).Query(func(rows pgx.Rows) error {
		var err error
		*dst, err = collectStickers(rows)
		return err
	})
}

func queueTop(b *pgx.Batch, sp span, limit int, dst *[]sticker.StickerCount) {
	if limit <= 0 {
		return
	}
	b.Queue(topStickers, append(sp.args(), limit)...).Query(func(rows pgx.Rows) error {
		var err error
		*dst, err = collectCounts(rows)
		return err
	})
}

// queueDays queues q, which sums sends by day over [$1, $2] (and $3…
// extra), and fills dst with the days days ending with now's, zeros
// included.
func queueDays(b *pgx.Batch, q string, now time.Time, days int, dst *[]sticker.DayCount, extra ...any) {
	if days <= 0 {
		days = defaultDays
	}
	days = min(days, maxDays)
	last := day(now)
	first := last.AddDate(0, 0, 1-days)
	b.Queue(q, append([]any{first, last}, extra...)...).Query(func(rows pgx.Rows) error {
		got := map[time.Time]int64{}
		for rows.Next() {
			var d time.Time
			var n int64
			if err := rows.Scan(&d, &n); err != nil {
				return err
			}
			got[day(d)] = n
		}
		if err := rows.Err(); err != nil {
			return err
		}
		out := make([]sticker.DayCount, days)
		for i := range out {
			d := first.AddDate(0, 0, i)
			out[i] = sticker.DayCount{Day: d, Sends: got[d]}
		}
		*dst = out
		return nil
	})
}

func queueStats(b *pgx.Batch, now time.Time, days, top int, st *sticker.Stats) {
	queueStatsExceptCounts(b, now, days, top, st)
	queueCounts(b, &st.Library, &st.NeverSent)
}

func queueStatsExceptCounts(b *pgx.Batch, now time.Time, days, top int, st *sticker.Stats) {
	queueDays(b, `SELECT day, sum(sends)::bigint FROM send_days WHERE day >= $1 AND day <= $2 GROUP BY day`,
		now, days, &st.Days)
	week := window(now.Add(-7*24*time.Hour), now)
	b.Queue(userWindow, week.args()...).
		QueryRow(func(r pgx.Row) error { return r.Scan(&st.WeekSenders, &st.WeekSends) })
	queueTop(b, week, top, &st.Top)
	const qSample = `SELECT ` + stickerColumns + ` FROM stickers s WHERE s.usage_count = 0 AND ` + showable + `
		ORDER BY s.name_key, s.id LIMIT $1`
	b.Queue(qSample, sampleSize).Query(func(rows pgx.Rows) error {
		var err error
		st.NeverSentSample, err = collectStickers(rows)
		return err
	})
}

func collectStickers(rows pgx.Rows) ([]sticker.Sticker, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (sticker.Sticker, error) { return scanSticker(r) })
}

func collectCounts(rows pgx.Rows) ([]sticker.StickerCount, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (sticker.StickerCount, error) {
		var c sticker.StickerCount
		var err error
		c.Sticker, err = scanSticker(r, &c.Sends)
		return c, err
	})
}
