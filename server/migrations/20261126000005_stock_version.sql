-- Each product's stock version: bumped (in the same transaction) whenever its
-- SKUs' stock changes and a `stock` event is written, carried by that event and
-- by the goods cards, so a viewer's card never goes back to an older count.

ALTER TABLE spus ADD COLUMN stock_version BIGINT NOT NULL DEFAULT 0;
