-- +goose Up
-- The same rules, checked for less: an import of 100,000 stickers paid
-- about a second for them (docs/benchmarks.md).

-- Every tag is trimmed, 1 to 50 characters, not null, as before. A SQL
-- function with a FROM is run through the SQL function executor on every
-- row written, three times slower than this loop.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION tags_valid(tags text[]) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY tags LOOP
        IF t IS NULL OR t <> btrim(t) OR char_length(t) NOT BETWEEN 1 AND 50 THEN
            RETURN false;
        END IF;
    END LOOP;
    RETURN true;
END
$$;
-- +goose StatementEnd

-- The check that every sticker has an image can only fail for a row with
-- neither an image URL nor a Slack file: fire it only for those. Until now
-- it ran, at commit, for every sticker written.
DROP TRIGGER stickers_has_image ON stickers;
CREATE CONSTRAINT TRIGGER stickers_has_image
    AFTER INSERT OR UPDATE OF image_url, slack_file_id ON stickers
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (NEW.image_url IS NULL AND NEW.slack_file_id IS NULL)
    EXECUTE FUNCTION sticker_has_image();

-- +goose Down
DROP TRIGGER stickers_has_image ON stickers;
CREATE CONSTRAINT TRIGGER stickers_has_image
    AFTER INSERT OR UPDATE OF image_url, slack_file_id ON stickers
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION sticker_has_image();

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION tags_valid(tags text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT coalesce(bool_and(t IS NOT NULL AND t = btrim(t) AND char_length(t) BETWEEN 1 AND 50), true)
    FROM unnest(tags) AS t
$$;
-- +goose StatementEnd
