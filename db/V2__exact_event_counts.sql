-- Exact row counts of topic1..3 that cost the same at a million rows as at ten: every insert, delete and
-- truncate adjusts a counter in its own transaction, so the counters commit (or roll back) with the rows.
-- Statement-level triggers see only the rows really inserted (ON CONFLICT DO NOTHING skips are not in the
-- transition table) and add them in one step, so a bulk INSERT ... SELECT pays once, not once per row.
-- Counters are sharded by backend so concurrent consumers don't queue on a single row lock.
CREATE TABLE event_counts (
    topic text   NOT NULL,
    shard int    NOT NULL,
    rows  bigint NOT NULL,
    PRIMARY KEY (topic, shard)
);

CREATE FUNCTION event_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta bigint;
BEGIN
    SELECT count(*) INTO delta FROM changed;
    IF TG_OP = 'DELETE' THEN
        delta := -delta;
    END IF;
    IF delta <> 0 THEN
        INSERT INTO event_counts (topic, shard, rows) VALUES (TG_TABLE_NAME, pg_backend_pid() % 16, delta)
        ON CONFLICT (topic, shard) DO UPDATE SET rows = event_counts.rows + EXCLUDED.rows;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION event_counts_reset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM event_counts WHERE topic = TG_TABLE_NAME;
    RETURN NULL;
END $$;

CREATE TRIGGER topic1_count_insert AFTER INSERT ON topic1 REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION event_counts_add();
CREATE TRIGGER topic1_count_delete AFTER DELETE ON topic1 REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION event_counts_add();
CREATE TRIGGER topic1_count_truncate AFTER TRUNCATE ON topic1
    FOR EACH STATEMENT EXECUTE FUNCTION event_counts_reset();

CREATE TRIGGER topic2_count_insert AFTER INSERT ON topic2 REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION event_counts_add();
CREATE TRIGGER topic2_count_delete AFTER DELETE ON topic2 REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION event_counts_add();
CREATE TRIGGER topic2_count_truncate AFTER TRUNCATE ON topic2
    FOR EACH STATEMENT EXECUTE FUNCTION event_counts_reset();

CREATE TRIGGER topic3_count_insert AFTER INSERT ON topic3 REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION event_counts_add();
CREATE TRIGGER topic3_count_delete AFTER DELETE ON topic3 REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION event_counts_add();
CREATE TRIGGER topic3_count_truncate AFTER TRUNCATE ON topic3
    FOR EACH STATEMENT EXECUTE FUNCTION event_counts_reset();

-- Rows stored before this migration.
INSERT INTO event_counts (topic, shard, rows)
SELECT 'topic1', 0, count(*) FROM topic1
UNION ALL SELECT 'topic2', 0, count(*) FROM topic2
UNION ALL SELECT 'topic3', 0, count(*) FROM topic3;
