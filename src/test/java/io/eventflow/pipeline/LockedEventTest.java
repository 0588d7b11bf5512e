package io.eventflow.pipeline;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.UUID;

import javax.sql.DataSource;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.OwnExternalServers;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import static io.eventflow.support.QueueMessages.event;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One event's row locked for 20 s by another transaction, ahead of a backlog on topic1: only the batch holding that
 * event waits. The queue's other batches are stored and acknowledged meanwhile, its depth falls to at most
 * that batch twice during the lock, and once the lock is gone that batch is stored too, every event once.
 * <p>
 * One consumer with a prefetch of 20 and batches of 10 (by size: up to 200 ms to fill): the batch stored behind the
 * locked one fills the prefetch within a second, so no other ack comes to free it; only the timer does.
 */
@TestPropertySource(properties = {
        "eventflow.data-dir=target/test-data/locked-event",
        "eventflow.consumers.concurrency=1",
        "eventflow.consumers.prefetch=20",
        "eventflow.consumers.batch-size=" + LockedEventTest.BATCH_SIZE,
        "eventflow.consumers.batch-wait-ms=200"})
@DirtiesContext
class LockedEventTest extends EventflowIntegrationTest {

    static final int BATCH_SIZE = 10;
    private static final Duration LOCK_HELD = Duration.ofSeconds(20);
    private static final int BACKLOG = 300;
    private static final AMQP.BasicProperties JSON = new AMQP.BasicProperties.Builder()
            .contentType("application/json").deliveryMode(2).build();
    private static OwnExternalServers servers;

    @Autowired
    DataSource dataSource;
    @Autowired
    CachingConnectionFactory connectionFactory;
    @Autowired
    CamelContext camel;

    @DynamicPropertySource
    static void ownServers(DynamicPropertyRegistry registry) throws Exception {
        servers = OwnExternalServers.register("eventflow_locked_event", registry);
    }

    @AfterAll
    static void dropOwnServers() throws Exception {
        servers.close();
    }

    @Test
    void anEventLockedForTwentySecondsHoldsBackOnlyItsBatchAndTheRestOfItsQueueIsStoredAndAcknowledged() throws Exception {
        UUID locked = UUID.randomUUID();
        long[] drained = new long[2];
        try (Connection lock = dataSource.getConnection();
             com.rabbitmq.client.Connection broker = connectionFactory.getRabbitConnectionFactory().newConnection()) {
            lockEvent(lock, locked);
            long lockedAt = System.nanoTime();
            Channel producer = broker.createChannel();
            producer.confirmSelect();
            publish(producer, event("passiveEvent", locked, null));
            for (int backlog = 1; backlog <= 2; backlog++) {
                for (int i = 0; i < BACKLOG; i++) {
                    publish(producer, event("passiveEvent", UUID.randomUUID(), null));
                }
                producer.waitForConfirmsOrDie(10_000);
                // The locked event is stored already; up to BATCH_SIZE - 1 others share its batch.
                long stored = 1L + backlog * BACKLOG - (BATCH_SIZE - 1);
                // Red before: the batches stored behind the locked one waited for another ack, which never came. The depth
                // is what RabbitMQ has ready, Qpid also counts what it delivered and waits for the ack of: at most the
                // locked event's batch here.
                await().atMost(LOCK_HELD).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> assertThat(
                        depth("topic1") <= BATCH_SIZE && rows("topic1") >= stored).as(progress("topic1")).isTrue());
                drained[backlog - 1] = (System.nanoTime() - lockedAt) / 1_000_000;
                assertThat(insertWaitsOnTheLock()).as("the locked event's batch still waits, %d ms into the lock", drained[backlog - 1]).isTrue();
            }
            await().atMost(LOCK_HELD).until(() -> System.nanoTime() - lockedAt >= LOCK_HELD.toNanos() && insertWaitsOnTheLock());
            lock.rollback();
        }

        long all = 2L * BACKLOG + 1;
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> rows("topic1") == all);
        camel.getRouteController().stopRoute(Topic.TOPIC1.batchRoute());
        // The broker counts what a closed channel gave back a moment after the close.
        await().atMost(Duration.ofSeconds(10)).during(Duration.ofSeconds(1)).until(() -> depth("topic1") == 0);
        assertStoredOnceAndNothingDeadLettered();
        System.out.println("LockedEventTest: with one event locked, topic1's backlog of " + BACKLOG + " was stored and acknowledged "
                + drained[0] + " ms into the lock, the next " + BACKLOG + " by " + drained[1] + " ms; " + all + " stored once after it");
    }

    /**
     * Stores the event, then updates its row in a transaction left open: the consumer's insert of it (a copy delivered
     * again, as after a lost ack) waits until that ends. An update, because no row counter trigger runs on one
     * (db/V2__exact_event_counts.sql): the lock is that event's row alone, not also a shard of the counters.
     */
    private static void lockEvent(Connection lock, UUID event) throws Exception {
        try (PreparedStatement insert = lock.prepareStatement("INSERT INTO topic1 (event_id, event_type, batch_id, create_date, "
                + "processed_date, total_time_ms, event_data) VALUES (?, 'passiveEvent', ?, now(), now(), 0, '{}')")) {
            insert.setObject(1, event);
            insert.setObject(2, UUID.randomUUID());
            insert.executeUpdate();
        }
        lock.setAutoCommit(false);
        try (PreparedStatement update = lock.prepareStatement("UPDATE topic1 SET processed_date = processed_date WHERE event_id = ?")) {
            update.setObject(1, event);
            assertThat(update.executeUpdate()).isOne();
        }
    }

    private static void publish(Channel producer, String body) throws Exception {
        producer.basicPublish("", "topic1", JSON, body.getBytes(UTF_8));
    }

    private boolean insertWaitsOnTheLock() {
        return jdbc.queryForObject("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO topic1%'",
                Long.class) > 0;
    }
}
