package io.eventflow.pipeline;

import java.time.Duration;

import io.eventflow.support.DatabaseFaults;
import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.LogLines;
import org.apache.camel.processor.errorhandler.DeadLetterChannel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A database that is there but cannot take the rows for a while (a table missing during a restore, read-only after
 * a failover) is a transient fault: its messages wait and are stored once it can, none is dead-lettered.
 */
class TransientDatabaseFaultsTest extends EventflowIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    /** A poison failure is tried this often before its message is dead-lettered (routes/consumers.camel.yaml). */
    private static final int POISON_ATTEMPTS = 3;


    @Test
    void tableRenamedMidFlowAndBackDeadLettersNothingAndStoresEachEventOnce() {
        assertThat(postEvents("{\"eventType\":\"activeEvent\",\"count\":200}").getStatusCode().value()).isEqualTo(202);
        await().atMost(PATIENCE).until(() -> rows("topic3") > 0);
        jdbc.execute("ALTER TABLE topic3 RENAME TO topic3_restoring");
        try (LogLines retries = LogLines.of(DeadLetterChannel.class)) {
            assertThat(postEvents("{\"eventType\":\"activeEvent\",\"count\":200}").getStatusCode().value()).isEqualTo(202);
            // Red while 42P01 (undefined table) counts as poison: the events land in topic3.dlq.
            awaitRetriedPastPoisonOrDeadLettered(retries, "topic3.dlq");
            assertThat(depth("topic3.dlq")).as("events dead-lettered while topic3 was away").isZero();
        } finally {
            jdbc.execute("ALTER TABLE topic3_restoring RENAME TO topic3");
        }

        await().atMost(PATIENCE).until(() -> rows("topic2") == 400 && rows("topic3") == 400);
        assertStoredOnceAndNothingDeadLettered();
    }

    @Test
    void uniqueIndexDroppedUnderTrafficAndRestoredDeadLettersNothingAndStoresEachEventOnce() {
        assertThat(postEvents("{\"eventType\":\"passiveEvent\",\"count\":200}").getStatusCode().value()).isEqualTo(202);
        await().atMost(PATIENCE).until(() -> rows("topic1") > 0);
        // What pg_restore's data step leaves until its index step: the table, without the unique index ON CONFLICT needs.
        jdbc.execute("ALTER TABLE topic1 DROP CONSTRAINT topic1_event_id_key");
        try (LogLines retries = LogLines.of(DeadLetterChannel.class)) {
            assertThat(postEvents("{\"eventType\":\"passiveEvent\",\"count\":200}").getStatusCode().value()).isEqualTo(202);
            // Red while 42P10 (no unique constraint matching ON CONFLICT) counts as poison: the events land in topic1.dlq.
            awaitRetriedPastPoisonOrDeadLettered(retries, "topic1.dlq");
            assertThat(depth("topic1.dlq")).as("events dead-lettered while topic1's unique index was away").isZero();
        } finally {
            jdbc.execute("ALTER TABLE topic1 ADD CONSTRAINT topic1_event_id_key UNIQUE (event_id)");
        }

        await().atMost(PATIENCE).until(() -> rows("topic1") == 400);
        assertStoredOnceAndNothingDeadLettered();
    }

    @Test
    void databaseReadOnlyAndWritableAgainDeadLettersNothingAndStoresEachEventOnce() {
        DatabaseFaults database = databaseFaults();
        assertThat(postEvents("{\"eventType\":\"passiveEvent\",\"count\":200}").getStatusCode().value()).isEqualTo(202);
        database.readOnly(true);
        try (LogLines retries = LogLines.of(DeadLetterChannel.class)) {
            assertThat(postEvents("{\"eventType\":\"passiveEvent\",\"count\":200}").getStatusCode().value()).isEqualTo(202);
            // Red while 25006 (read-only transaction) counts as poison: the events land in topic1.dlq.
            awaitRetriedPastPoisonOrDeadLettered(retries, "topic1.dlq");
            assertThat(depth("topic1.dlq")).as("events dead-lettered while the database was read-only").isZero();
        } finally {
            database.readOnly(false);
        }

        // The test's own pooled connections were ended too: the first query on one of them fails.
        await().atMost(PATIENCE).ignoreExceptions().until(() -> rows("topic1") == 400);
        assertStoredOnceAndNothingDeadLettered();
    }

    /** Waits until a store failed more often than a poison message may (its retries are logged), or a dead letter. */
    private void awaitRetriedPastPoisonOrDeadLettered(LogLines retries, String dlq) {
        await().atMost(PATIENCE).until(() -> depth(dlq) > 0 || retries.contains("On delivery attempt: " + POISON_ATTEMPTS));
    }
}
