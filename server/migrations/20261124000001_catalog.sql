-- Accounts, live rooms, goods (SPU/SKU with stock) and the goods bound to a room.

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT        NOT NULL,
    password_hash TEXT        NOT NULL,
    role          TEXT        NOT NULL CHECK (role IN ('viewer', 'streamer')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT users_username_format CHECK (username ~ '^[A-Za-z0-9_.-]{3,32}$')
);
-- Usernames are unique whatever their case.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TABLE live_rooms (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id          BIGINT      NOT NULL REFERENCES users (id),
    title             TEXT        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 100),
    stream_url        TEXT        CHECK (stream_url IS NULL OR char_length(stream_url) <= 2048),
    status            TEXT        NOT NULL DEFAULT 'live' CHECK (status IN ('live', 'ended')),
    explaining_spu_id BIGINT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at          TIMESTAMPTZ,
    CONSTRAINT live_rooms_ended_has_time CHECK ((status = 'ended') = (ended_at IS NOT NULL))
);
CREATE INDEX live_rooms_owner_idx ON live_rooms (owner_id);
CREATE INDEX live_rooms_live_idx ON live_rooms (created_at DESC) WHERE status = 'live';

CREATE TABLE spus (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id    BIGINT      NOT NULL REFERENCES users (id),
    title       TEXT        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 100),
    description TEXT        NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
    cover_url   TEXT        CHECK (cover_url IS NULL OR char_length(cover_url) <= 2048),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX spus_owner_idx ON spus (owner_id);

CREATE TABLE skus (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    spu_id      BIGINT      NOT NULL REFERENCES spus (id) ON DELETE CASCADE,
    spec        TEXT        NOT NULL CHECK (char_length(spec) BETWEEN 1 AND 64),
    price_cents BIGINT      NOT NULL CHECK (price_cents >= 0),
    -- The last line of defence against overselling.
    stock       INTEGER     NOT NULL CHECK (stock >= 0),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT skus_spec_unique UNIQUE (spu_id, spec)
);

CREATE TABLE live_room_goods (
    live_id        BIGINT      NOT NULL REFERENCES live_rooms (id) ON DELETE CASCADE,
    spu_id         BIGINT      NOT NULL REFERENCES spus (id),
    position       INTEGER     NOT NULL CHECK (position >= 0),
    stock_snapshot INTEGER     NOT NULL CHECK (stock_snapshot >= 0),
    tracking_code  TEXT        NOT NULL CHECK (tracking_code ~ '^[A-Za-z0-9_-]{6,64}$'),
    bound_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (live_id, spu_id),
    CONSTRAINT live_room_goods_tracking_code_key UNIQUE (tracking_code),
    -- Deferred so a reorder can swap positions inside one transaction.
    CONSTRAINT live_room_goods_position_key UNIQUE (live_id, position) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX live_room_goods_spu_idx ON live_room_goods (spu_id);

-- The explained product must be one bound to the room; unbinding it clears the mark.
ALTER TABLE live_rooms
    ADD CONSTRAINT live_rooms_explaining_bound
    FOREIGN KEY (id, explaining_spu_id) REFERENCES live_room_goods (live_id, spu_id)
    ON DELETE SET NULL (explaining_spu_id)
    DEFERRABLE INITIALLY DEFERRED;
