-- One table per queue. event_id is unique so a redelivered message never makes a second row;
-- event_data keeps the message as it was received.
CREATE TABLE topic1 (
    id             bigserial   PRIMARY KEY,
    event_id       uuid        NOT NULL UNIQUE,
    event_type     text        NOT NULL,
    batch_id       uuid        NOT NULL,
    create_date    timestamptz NOT NULL,
    processed_date timestamptz NOT NULL,
    total_time_ms  bigint      NOT NULL,
    event_data     jsonb       NOT NULL
);

CREATE TABLE topic2 (
    id             bigserial   PRIMARY KEY,
    event_id       uuid        NOT NULL UNIQUE,
    event_type     text        NOT NULL,
    batch_id       uuid        NOT NULL,
    create_date    timestamptz NOT NULL,
    processed_date timestamptz NOT NULL,
    total_time_ms  bigint      NOT NULL,
    event_data     jsonb       NOT NULL
);

CREATE TABLE topic3 (
    id             bigserial   PRIMARY KEY,
    event_id       uuid        NOT NULL UNIQUE,
    event_type     text        NOT NULL,
    batch_id       uuid        NOT NULL,
    create_date    timestamptz NOT NULL,
    processed_date timestamptz NOT NULL,
    total_time_ms  bigint      NOT NULL,
    event_data     jsonb       NOT NULL,
    secret_word    text        NOT NULL
);

-- The dashboard reads the newest rows and recent windows by processing time.
CREATE INDEX topic1_processed_date ON topic1 (processed_date);
CREATE INDEX topic2_processed_date ON topic2 (processed_date);
CREATE INDEX topic3_processed_date ON topic3 (processed_date);
