-- +goose Up
-- Search moves into the bot's memory (internal/search): the terms and
-- keys tables and their indexes go, and stickers record what each replica
-- needs to keep its index in step.
DROP TABLE sticker_keys;
DROP TABLE search_keys;
DROP TABLE sticker_terms;

-- changed_xid is the transaction that last inserted or changed the row
-- (usage counts included). A replica reads the rows changed by the
-- transactions its last snapshot did not see: those from its horizon on
-- (pg_snapshot_xmax) and those running then (pg_snapshot_xip), so a
-- transaction that commits late is not missed. Inserts take the default;
-- updates, the trigger below.
ALTER TABLE stickers ADD COLUMN changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX stickers_changed_xid ON stickers (changed_xid);

-- sticker_tombstones remembers deletions for a day (the bot prunes them):
-- a row that is gone cannot say so. sticker_id 0 records a TRUNCATE.
CREATE TABLE sticker_tombstones (
    sticker_id  bigint NOT NULL,
    name_key    text COLLATE "C" NOT NULL,
    deleted_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    deleted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sticker_tombstones_deleted_xid ON sticker_tombstones (deleted_xid);
CREATE INDEX sticker_tombstones_deleted_at ON sticker_tombstones (deleted_at);

-- +goose StatementBegin
CREATE FUNCTION stickers_touch() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.changed_xid := pg_current_xact_id();
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER stickers_touch BEFORE UPDATE ON stickers
    FOR EACH ROW EXECUTE FUNCTION stickers_touch();

-- Deletions are recorded once per statement, from its transition table,
-- so deleting many rows costs one INSERT … SELECT.
-- +goose StatementBegin
CREATE FUNCTION stickers_deleted() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO sticker_tombstones (sticker_id, name_key) VALUES (0, '');
    ELSE
        INSERT INTO sticker_tombstones (sticker_id, name_key) SELECT id, name_key FROM gone;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER stickers_deleted AFTER DELETE ON stickers
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION stickers_deleted();
CREATE TRIGGER stickers_truncated AFTER TRUNCATE ON stickers
    FOR EACH STATEMENT EXECUTE FUNCTION stickers_deleted();

-- One notification per statement (and PostgreSQL folds repeats within a
-- transaction into one), on a channel of the schema's own, so an import
-- of a million rows wakes each replica once, and deployments (or tests)
-- sharing a database do not wake each other. The notification is only a
-- wake-up: replicas read what changed from the table, and poll as well.
-- +goose StatementBegin
CREATE FUNCTION stickers_notify() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify(left('stickers_' || TG_TABLE_SCHEMA, 63), '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER stickers_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON stickers
    FOR EACH STATEMENT EXECUTE FUNCTION stickers_notify();

-- +goose Down
DROP TRIGGER stickers_notify ON stickers;
DROP TRIGGER stickers_truncated ON stickers;
DROP TRIGGER stickers_deleted ON stickers;
DROP TRIGGER stickers_touch ON stickers;
DROP FUNCTION stickers_notify();
DROP FUNCTION stickers_deleted();
DROP FUNCTION stickers_touch();
DROP TABLE sticker_tombstones;
ALTER TABLE stickers DROP COLUMN changed_xid;
-- The tables come back empty: the old search finds a sticker again once
-- it is saved or imported again.
CREATE TABLE sticker_terms (
    sticker_id bigint NOT NULL REFERENCES stickers (id) ON DELETE CASCADE,
    kind       smallint NOT NULL,
    term       text COLLATE "C" NOT NULL,
    PRIMARY KEY (sticker_id, kind, term),
    CONSTRAINT sticker_terms_kind CHECK (kind IN (0, 1)),
    CONSTRAINT sticker_terms_term_not_empty CHECK (term <> '')
);
CREATE INDEX sticker_terms_term ON sticker_terms (term, kind);
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
