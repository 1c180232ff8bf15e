-- +goose Up
-- sticker_images keeps the bytes of images uploaded through Slack, so the
-- library survives a deleted Slack file: stickers.slack_file_id is only the
-- copy the bot uploaded to show it, and can be uploaded again from here.
CREATE TABLE sticker_images (
    sticker_id   bigint PRIMARY KEY REFERENCES stickers (id) ON DELETE CASCADE,
    content_type text NOT NULL,
    data         bytea NOT NULL,
    sha256       bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT sticker_images_content_type CHECK (content_type IN ('image/png', 'image/jpeg', 'image/gif')),
    CONSTRAINT sticker_images_size CHECK (octet_length(data) BETWEEN 1 AND 2097152),
    CONSTRAINT sticker_images_sha256 CHECK (sha256 = sha256(data))
);
-- Images are compressed already: store them out of line, uncompressed.
ALTER TABLE sticker_images ALTER COLUMN data SET STORAGE EXTERNAL;

-- A sticker now has an image URL, a Slack file, or a stored image (or a
-- stored image and its Slack copy). A CHECK cannot see sticker_images, so
-- a deferred constraint trigger checks it when the transaction commits.
ALTER TABLE stickers DROP CONSTRAINT stickers_has_image;

-- +goose StatementBegin
CREATE FUNCTION sticker_has_image() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    sid bigint;
BEGIN
    IF TG_TABLE_NAME = 'stickers' THEN
        sid := NEW.id;
    ELSE
        sid := OLD.sticker_id;
    END IF;
    IF EXISTS (
        SELECT 1 FROM stickers s
        WHERE s.id = sid AND s.image_url IS NULL AND s.slack_file_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM sticker_images i WHERE i.sticker_id = s.id)
    ) THEN
        RAISE EXCEPTION 'sticker % has no image', sid
            USING ERRCODE = 'check_violation', CONSTRAINT = 'stickers_has_image',
                  HINT = 'give an image_url, a slack_file_id or a row in sticker_images';
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE CONSTRAINT TRIGGER stickers_has_image
    AFTER INSERT OR UPDATE OF image_url, slack_file_id ON stickers
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION sticker_has_image();

CREATE CONSTRAINT TRIGGER sticker_images_has_image
    AFTER DELETE ON sticker_images
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION sticker_has_image();

-- +goose Down
DROP TRIGGER sticker_images_has_image ON sticker_images;
DROP TRIGGER stickers_has_image ON stickers;
DROP FUNCTION sticker_has_image();
-- The old schema cannot hold stickers whose only image is a stored one.
DELETE FROM stickers WHERE image_url IS NULL AND slack_file_id IS NULL;
ALTER TABLE stickers ADD CONSTRAINT stickers_has_image CHECK (image_url IS NOT NULL OR slack_file_id IS NOT NULL);
DROP TABLE sticker_images;
