package io.eventflow.pipeline;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.MachineServices;
import io.eventflow.support.OwnExternalServers;
import io.eventflow.support.TableLock;
import io.eventflow.support.Traffic;
import org.apache.camel.CamelContext;
import org.apache.camel.support.service.ServiceHelper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A lock on table topic1 held for seconds under steady traffic (an operator's ALTER, a long migration): the inserts
 * wait, the consumer stops taking more than its prefetch, the backlog waits on the broker rather than in Eventflow's
 * memory, the other queues keep flowing, nothing is dead-lettered, and once the lock is gone every accepted event is
 * stored once. External mode also reads the unacknowledged deliveries from RabbitMQ itself.
 */
@TestPropertySource(properties = {
        "eventflow.data-dir=target/test-data/database-lock",
        "eventflow.consumers.concurrency=" + DatabaseLockTest.CONSUMERS,
        "eventflow.consumers.prefetch=" + DatabaseLockTest.PREFETCH})
@DirtiesContext
class DatabaseLockTest extends EventflowIntegrationTest {

    static final int CONSUMERS = 2;
    static final int PREFETCH = 50;
    private static final Duration LOCK_HELD = Duration.ofSeconds(5);
    /** Messages of topic1 left waiting on the broker while the lock is held: many times what the consumers may hold. */
    private static final int BACKLOG = 10 * CONSUMERS * PREFETCH;
    private static final Duration PATIENCE = Duration.ofSeconds(120);
    private static OwnExternalServers servers;

    @LocalServerPort
    int port;
    @Autowired
    DataSource dataSource;
    @Autowired
    CamelContext camel;

    @DynamicPropertySource
    static void ownServers(DynamicPropertyRegistry registry) throws Exception {
        servers = OwnExternalServers.register("eventflow_database_lock", registry);
    }

    @AfterAll
    static void dropOwnServers() throws Exception {
        servers.close();
    }

    @Test
    void tableLockedForSecondsHoldsTheBacklogOnTheBrokerDeadLettersNothingAndStoresEveryEventOnce() throws Exception {
        AtomicLong mostUnacknowledged = new AtomicLong();
        Traffic traffic = new Traffic(List.of(Traffic.local(port)), 10, Duration.ofMillis(5));
        try (traffic) {
            await().atMost(PATIENCE).until(() -> traffic.acceptedEvents() >= 500 && rows("topic3") > 0);
            // RabbitMQ counts a quorum queue's consumers on its tick (every 5 s here): a context a second old shows 0.
            await().atMost(PATIENCE).until(() -> servers.vhost() == null
                    || MachineServices.rabbitmqQueue(servers.vhost(), "topic1", "consumers").get("consumers") == CONSUMERS);
            try (TableLock lock = TableLock.hold(dataSource.getConnection(), "topic1", "ACCESS EXCLUSIVE")) {
                long lockedAt = System.nanoTime();
                long topic3AtLock = rows("topic3");
                // Red if the consumer acknowledged on receipt (the backlog would pile up in Eventflow, the queue stays
                // empty) or took deliveries past its prefetch (the broker's count of unacknowledged ones goes over it).
                await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500)).until(() -> {
                    sampleUnacknowledged(mostUnacknowledged, lockedAt, traffic);
                    return insertWaitsOnTheLock() && depth("topic1") >= BACKLOG && rows("topic3") > topic3AtLock
                            && System.nanoTime() - lockedAt >= LOCK_HELD.toNanos();
                });
            }
            long acceptedAtRelease = traffic.acceptedEvents();
            await().atMost(PATIENCE).until(() -> traffic.acceptedEvents() >= acceptedAtRelease + 500);
        }

        try (Connection connection = dataSource.getConnection()) {
            await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500))
                    .until(() -> traffic.everyAcceptedEventStored(connection) && depth("topic1") == 0);
            traffic.assertTablesHoldExactlyTheAcceptedEvents(connection);
        }
        assertStoredOnceAndNothingDeadLettered();
        if (servers.vhost() != null) {
            assertThat(mostUnacknowledged.get()).as("unacknowledged deliveries of topic1, read from RabbitMQ")
                    .isPositive().isLessThanOrEqualTo((long) CONSUMERS * PREFETCH);
        }
        System.out.println("DatabaseLockTest: " + traffic.acceptedEvents() + " events accepted and stored once; most unacknowledged"
                + " deliveries of topic1 during the lock " + (servers.vhost() == null ? "not read (embedded broker)" : mostUnacknowledged.get()));
    }

    /** External mode: the most deliveries of topic1 RabbitMQ counted as delivered and not yet acknowledged. */
    private void sampleUnacknowledged(AtomicLong most, long lockedAt, Traffic traffic) {
        if (servers.vhost() != null) {
            var queue = MachineServices.rabbitmqQueue(servers.vhost(), "topic1", "messages_unacknowledged", "consumers");
            // Described only on failure: how long the lock was held, and whether the consumer paused itself.
            assertThat(queue.get("consumers")).as(() -> String.format("consumers of topic1, %d ms into the lock, with %d ready"
                            + " on topic1, %d events accepted; consumer route paused: %s", (System.nanoTime() - lockedAt) / 1_000_000,
                    depth("topic1"), traffic.acceptedEvents(),
                    ServiceHelper.isSuspended(camel.getRoute(Topic.TOPIC1.batchRoute()).getConsumer())))
                    .isEqualTo(CONSUMERS);
            most.accumulateAndGet(queue.get("messages_unacknowledged"), Math::max);
        }
    }

    private boolean insertWaitsOnTheLock() {
        return jdbc.queryForObject("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO topic1%'",
                Long.class) > 0;
    }
}
