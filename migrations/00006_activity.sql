-- +goose Up
-- Issue 14: favourites, recents, the Home tab, stats, and taking back a
-- sticker sent.
--
-- The Home tab and /sticker stats must answer in a few milliseconds with
-- a million sends, so the reads do not count the history: rollups, kept
-- by RecordSend in the statement that records the send and by
-- MarkRemoved in its transaction, hold the counts they need:
--   - send_days: sends per UTC day, in 16 shards (by the send's id) so
--     that concurrent sends do not queue for one row (the daily chart);
--   - sticker_days: sends per sticker per UTC day (the team's and the
--     week's most sent, the popular shelf);
--   - user_days: sends per person per UTC day (senders, a person's own
--     numbers);
--   - user_stickers: per person and sticker, how often and when last
--     (recents, a person's all-time top);
--   - library_counts: how many stickers can be shown, and how many of
--     those were never sent, kept by triggers on stickers.
-- A window that does not start or end at midnight (the last 7×24 hours)
-- is read from the rollups' whole days and corrected at its edges from
-- sends itself, through sends_live_sent_at or sends_live_user_sent_at:
-- hours of history, not months. Sends taken back (removed_at) count
-- nowhere; their rows stay. The rollups of a deleted sticker go with it
-- (its sends stay, as before, with sticker_id NULL and its name); the
-- per-person day counts keep them: the send happened.
-- store.RebuildActivity recomputes the rollups with the same SQL as the
-- backfill below.

CREATE TABLE favourites (
    user_id    text NOT NULL CHECK (user_id <> ''),
    sticker_id bigint NOT NULL REFERENCES stickers (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, sticker_id)
);
-- A person's newest favourites first.
CREATE INDEX favourites_user_newest ON favourites (user_id, created_at DESC, sticker_id DESC);
-- For the cascade when a sticker is deleted.
CREATE INDEX favourites_sticker_id ON favourites (sticker_id);

-- message_key is what the bot writes into the posted message's block_id
-- (Slack allows 255 characters; the bot's keys are far shorter), so a
-- message shortcut finds its send even without a ts.
ALTER TABLE sends
    ADD COLUMN message_key text,
    ADD COLUMN message_ts  text,
    ADD COLUMN via         text,
    ADD COLUMN removed_at  timestamptz,
    ADD COLUMN removed_by  text,
    ADD CONSTRAINT sends_message_key_unique UNIQUE (message_key),
    ADD CONSTRAINT sends_message_key_format CHECK (message_key ~ '^[A-Za-z0-9._:/+=-]{1,100}$'),
    ADD CONSTRAINT sends_message_ts_format CHECK (message_ts ~ '^[0-9]{1,20}\.[0-9]{1,20}$'),
    ADD CONSTRAINT sends_via CHECK (via IN ('chat.postMessage', 'response_url')),
    ADD CONSTRAINT sends_removed CHECK ((removed_at IS NULL) = (removed_by IS NULL)),
    ADD CONSTRAINT sends_removed_by_not_empty CHECK (removed_by <> '');

-- The windows' edges, team-wide and per person; and a person's last send
-- of one sticker once another is taken back. sends_sent_at had no reader.
DROP INDEX sends_sent_at;
CREATE INDEX sends_live_sent_at ON sends (sent_at) INCLUDE (user_id, sticker_id) WHERE removed_at IS NULL;
CREATE INDEX sends_live_user_sent_at ON sends (user_id, sent_at) WHERE removed_at IS NULL;
CREATE INDEX sends_live_user_sticker ON sends (user_id, sticker_id, sent_at) WHERE removed_at IS NULL;

-- Counts are integers: sum() of an integer is a bigint, of a bigint a
-- numeric, which is slower to add up.
CREATE TABLE send_days (
    day   date NOT NULL,
    shard smallint NOT NULL CHECK (shard BETWEEN 0 AND 15), -- sends.id % 16
    sends integer NOT NULL CHECK (sends >= 0),
    PRIMARY KEY (day, shard)
);

CREATE TABLE sticker_days (
    day        date NOT NULL,
    sticker_id bigint NOT NULL REFERENCES stickers (id) ON DELETE CASCADE,
    sends      integer NOT NULL CHECK (sends >= 0),
    PRIMARY KEY (day, sticker_id)
);
-- A sticker's days (its count over a window; the cascade), and each
-- day's most sent (where the search for a window's top starts: see
-- store.topStickers).
CREATE INDEX sticker_days_sticker_day ON sticker_days (sticker_id, day) INCLUDE (sends);
CREATE INDEX sticker_days_day_sends ON sticker_days (day, sends DESC);

CREATE TABLE user_days (
    user_id text NOT NULL,
    day     date NOT NULL,
    sends   integer NOT NULL CHECK (sends >= 0),
    PRIMARY KEY (user_id, day)
);
CREATE INDEX user_days_day ON user_days (day) INCLUDE (user_id, sends);

-- A row exists while the person has a send of the sticker not taken back.
CREATE TABLE user_stickers (
    user_id      text NOT NULL,
    sticker_id   bigint NOT NULL REFERENCES stickers (id) ON DELETE CASCADE,
    sends        integer NOT NULL CHECK (sends > 0),
    last_sent_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, sticker_id)
);
CREATE INDEX user_stickers_recent ON user_stickers (user_id, last_sent_at DESC, sticker_id DESC);
CREATE INDEX user_stickers_most ON user_stickers (user_id, sends DESC);
CREATE INDEX user_stickers_sticker_id ON user_stickers (sticker_id);

-- library_counts holds deltas that add up to the counts: every statement
-- that changes them adds a row, folding into it the rows no other
-- transaction holds (SKIP LOCKED: writers never wait for each other, nor
-- deadlock), so the table stays a few rows long and counting the library
-- reads those, not 100,000 stickers. usage_count is the number of sends
-- not taken back (RecordSend adds one, MarkRemoved takes it away; an
-- imported count counts too), so never sent is usage_count = 0.
CREATE TABLE library_counts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    showable   bigint NOT NULL,
    never_sent bigint NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION library_counts_apply() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    d_show  bigint := 0;
    d_never bigint := 0;
    n_show  bigint;
    n_never bigint;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM library_counts;
        INSERT INTO library_counts (showable, never_sent) VALUES (0, 0);
        RETURN NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT count(*) FILTER (WHERE image_url IS NOT NULL OR slack_file_id IS NOT NULL),
               count(*) FILTER (WHERE usage_count = 0 AND (image_url IS NOT NULL OR slack_file_id IS NOT NULL))
        INTO n_show, n_never FROM new_rows;
        d_show := d_show + n_show;
        d_never := d_never + n_never;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT count(*) FILTER (WHERE image_url IS NOT NULL OR slack_file_id IS NOT NULL),
               count(*) FILTER (WHERE usage_count = 0 AND (image_url IS NOT NULL OR slack_file_id IS NOT NULL))
        INTO n_show, n_never FROM old_rows;
        d_show := d_show - n_show;
        d_never := d_never - n_never;
    END IF;
    IF d_show <> 0 OR d_never <> 0 THEN
        WITH folded AS (
            DELETE FROM library_counts
            WHERE id IN (SELECT id FROM library_counts FOR UPDATE SKIP LOCKED)
            RETURNING showable, never_sent
        )
        INSERT INTO library_counts (showable, never_sent)
        SELECT coalesce(sum(showable), 0) + d_show, coalesce(sum(never_sent), 0) + d_never FROM folded;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER stickers_counted_insert AFTER INSERT ON stickers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION library_counts_apply();
CREATE TRIGGER stickers_counted_update AFTER UPDATE ON stickers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION library_counts_apply();
CREATE TRIGGER stickers_counted_delete AFTER DELETE ON stickers
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION library_counts_apply();
CREATE TRIGGER stickers_counted_truncate AFTER TRUNCATE ON stickers
    FOR EACH STATEMENT EXECUTE FUNCTION library_counts_apply();

-- No index of its own for the never-sent sample (the name index, walked
-- until ten unsent ones turn up) nor for the newest additions (the
-- primary key backwards: ids grow with each addition): each would cost
-- every sticker written, and an import of 100,000 about 0.15 s.

-- Backfill from the history so far (no send is taken back yet).
INSERT INTO library_counts (showable, never_sent)
SELECT count(*) FILTER (WHERE image_url IS NOT NULL OR slack_file_id IS NOT NULL),
       count(*) FILTER (WHERE usage_count = 0 AND (image_url IS NOT NULL OR slack_file_id IS NOT NULL))
FROM stickers;

INSERT INTO send_days (day, shard, sends)
SELECT (sent_at AT TIME ZONE 'UTC')::date, id % 16, count(*)
FROM sends WHERE removed_at IS NULL
GROUP BY 1, 2;

INSERT INTO sticker_days (day, sticker_id, sends)
SELECT (sent_at AT TIME ZONE 'UTC')::date, sticker_id, count(*)
FROM sends WHERE sticker_id IS NOT NULL AND removed_at IS NULL
GROUP BY 1, 2;

INSERT INTO user_days (user_id, day, sends)
SELECT user_id, (sent_at AT TIME ZONE 'UTC')::date, count(*)
FROM sends WHERE removed_at IS NULL
GROUP BY 1, 2;

INSERT INTO user_stickers (user_id, sticker_id, sends, last_sent_at)
SELECT user_id, sticker_id, count(*), max(sent_at)
FROM sends WHERE sticker_id IS NOT NULL AND removed_at IS NULL
GROUP BY 1, 2;

-- +goose Down
-- Sends taken back look, to the old schema, like any other.
DROP TRIGGER stickers_counted_truncate ON stickers;
DROP TRIGGER stickers_counted_delete ON stickers;
DROP TRIGGER stickers_counted_update ON stickers;
DROP TRIGGER stickers_counted_insert ON stickers;
DROP FUNCTION library_counts_apply();
DROP TABLE library_counts;
DROP TABLE user_stickers;
DROP TABLE user_days;
DROP TABLE sticker_days;
DROP TABLE send_days;
DROP INDEX sends_live_user_sticker;
DROP INDEX sends_live_user_sent_at;
DROP INDEX sends_live_sent_at;
CREATE INDEX sends_sent_at ON sends (sent_at);
ALTER TABLE sends
    DROP COLUMN removed_by,
    DROP COLUMN removed_at,
    DROP COLUMN via,
    DROP COLUMN message_ts,
    DROP COLUMN message_key;
DROP TABLE favourites;
