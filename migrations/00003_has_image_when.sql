-- +goose Up
-- The check that every sticker has an image can only fail for a row with
-- neither an image URL nor a Slack file: fire it only for those. Until now
-- it ran, at commit, for every sticker written, which an import of 100,000
-- stickers paid for twice (queueing the events, then running them).
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
