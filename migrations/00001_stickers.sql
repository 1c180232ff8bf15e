-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- tags_valid is the per-tag rule; CHECK constraints cannot hold subqueries,
-- so it lives in an immutable function.
-- +goose StatementBegin
CREATE FUNCTION tags_valid(tags text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT coalesce(bool_and(t IS NOT NULL AND t = btrim(t) AND char_length(t) BETWEEN 1 AND 50), true)
    FROM unnest(tags) AS t
$$;
-- +goose StatementEnd

CREATE TABLE stickers (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL,
    -- name_key is the name folded for comparison (case, width, white space);
    -- Go computes it because lower() depends on the cluster's locale.
    name_key      text COLLATE "C" NOT NULL,
    tags          text[] NOT NULL DEFAULT '{}',
    image_url     text,
    slack_file_id text,
    added_by      text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    usage_count   bigint NOT NULL DEFAULT 0,

    CONSTRAINT stickers_name_key_unique UNIQUE (name_key),
    CONSTRAINT stickers_name_length CHECK (char_length(name) BETWEEN 1 AND 80 AND name = btrim(name)),
    CONSTRAINT stickers_name_key_not_empty CHECK (name_key <> ''),
    CONSTRAINT stickers_tags_valid CHECK (cardinality(tags) <= 20 AND tags_valid(tags)),
    CONSTRAINT stickers_image_url_https CHECK (
        image_url IS NULL OR (image_url ~ '^https://[^[:space:]]+$' AND char_length(image_url) <= 3000)),
    CONSTRAINT stickers_slack_file_id_format CHECK (slack_file_id IS NULL OR slack_file_id ~ '^F[A-Z0-9]{8,}$'),
    CONSTRAINT stickers_has_image CHECK (image_url IS NOT NULL OR slack_file_id IS NOT NULL),
    CONSTRAINT stickers_usage_count_not_negative CHECK (usage_count >= 0)
);

-- sticker_terms holds one row per name and per tag, folded by Go, for
-- exact and prefix matches: byte order under the C collation, so ranges
-- behave the same in every locale.
CREATE TABLE sticker_terms (
    sticker_id bigint NOT NULL REFERENCES stickers (id) ON DELETE CASCADE,
    kind       smallint NOT NULL,
    term       text COLLATE "C" NOT NULL,
    PRIMARY KEY (sticker_id, kind, term),
    CONSTRAINT sticker_terms_kind CHECK (kind IN (0, 1)), -- 0 name, 1 tag
    CONSTRAINT sticker_terms_term_not_empty CHECK (term <> '')
);
CREATE INDEX sticker_terms_term ON sticker_terms (term, kind);

-- Fuzzy matching compares query words with search_keys, the dictionary of
-- distinct words (ASCII keys, see package fold) in names and tags. Words
-- repeat across stickers, so the dictionary stays far smaller than the
-- library and a trigram lookup in it stays fast; sticker_keys then maps
-- the words found to stickers. Keys no sticker uses any more are pruned
-- by the bot now and then (touched_at keeps a key in use from being
-- pruned while a write re-adds it).
CREATE TABLE search_keys (
    key        text COLLATE "C" PRIMARY KEY,
    touched_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT search_keys_ascii CHECK (key ~ '^[a-z0-9]+$')
);
CREATE INDEX search_keys_trgm ON search_keys USING gin (key gin_trgm_ops);

CREATE TABLE sticker_keys (
    key        text COLLATE "C" NOT NULL,
    sticker_id bigint NOT NULL REFERENCES stickers (id) ON DELETE CASCADE,
    PRIMARY KEY (key, sticker_id)
);
CREATE INDEX sticker_keys_sticker_id ON sticker_keys (sticker_id);

-- sends keeps its history when a sticker is deleted: the name stays.
CREATE TABLE sends (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sticker_id   bigint REFERENCES stickers (id) ON DELETE SET NULL,
    sticker_name text NOT NULL,
    user_id      text NOT NULL CHECK (user_id <> ''),
    channel_id   text NOT NULL CHECK (channel_id <> ''),
    sent_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sends_sticker_id ON sends (sticker_id);
CREATE INDEX sends_sent_at ON sends (sent_at);

-- handled_requests makes work idempotent: a redelivered envelope or event,
-- on another connection or another replica, finds its key taken.
CREATE TABLE handled_requests (
    key        text PRIMARY KEY CHECK (key <> ''),
    handled_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX handled_requests_handled_at ON handled_requests (handled_at);

-- +goose Down
DROP TABLE handled_requests;
DROP TABLE sends;
DROP TABLE sticker_keys;
DROP TABLE search_keys;
DROP TABLE sticker_terms;
DROP TABLE stickers;
DROP FUNCTION tags_valid(text[]);
