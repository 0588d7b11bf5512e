package io.eventflow.pipeline;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import io.eventflow.processing.DeliveryBatch;
import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.LogLines;
import io.eventflow.support.TableLock;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageBuilder;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The consumers store messages in batches, one transaction each, and acknowledge them after the commit: a poison
 * message sinks no other message of its batch, and a batch committed but never acknowledged is stored once.
 */
class BatchedConsumersTest extends EventflowIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Autowired
    CamelContext camel;
    @Autowired
    RabbitTemplate rabbit;
    @Autowired
    CachingConnectionFactory connectionFactory;
    @Autowired
    DataSource dataSource;

    @Test
    void batchWithOnePoisonMessageStoresTheOthersAndDeadLettersOnlyThePoison() throws Exception {
        // Queued while the consumer is stopped, the 41 messages reach it together: one batch.
        camel.getRouteController().stopRoute("service1-topic1-batch");
        List<String> good = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            good.add(event(UUID.randomUUID(), ""));
            if (i == 20) {
                // Valid JSON the reader accepts, but PostgreSQL's jsonb refuses \u0000: the whole insert fails.
                publish("topic1", event(UUID.randomUUID(), ",\"note\":\"\\u0000\""));
            }
            publish("topic1", good.get(i));
        }
        try (LogLines log = LogLines.of(DeliveryBatch.class)) {
            camel.getRouteController().startRoute("service1-topic1-batch");
            await().atMost(PATIENCE).until(() -> log.contains("messages failed in service1-topic1"));
        }

        Message dead = await().atMost(PATIENCE).until(() -> rabbit.receive("topic1.dlq"), java.util.Objects::nonNull);
        assertThat(new String(dead.getBody(), UTF_8)).contains("\\u0000");
        assertThat(dead.getMessageProperties().getHeader("x-eventflow-reason").toString()).contains("Unicode");
        await().atMost(PATIENCE).until(() -> rows("topic1") == 40 && depth("topic1") == 0);
        assertThat(jdbc.queryForList("SELECT event_id::text FROM topic1", String.class))
                .containsExactlyInAnyOrderElementsOf(good.stream().map(BatchedConsumersTest::idOf).toList());
        assertThat(rabbit.receive("topic1.dlq")).as("only the poison message is dead-lettered").isNull();
    }

    @Test
    void batchCommittedButNeverAcknowledgedIsStoredOnce() throws Exception {
        int events = 30;
        // Batches whose insert waited on the lock are committed after the reset: their acknowledgement fails, so more
        // than the 30 deliveries reach the consumer.
        NotifyBuilder deliveredAgain = new NotifyBuilder(camel).fromRoute("service1-topic1-batch").whenCompleted(events + 1).create();
        // Hold the batch's insert until the consumers' connection to the broker is gone.
        try (TableLock lock = TableLock.hold(dataSource.getConnection(), "topic1", "ACCESS EXCLUSIVE")) {
            for (int i = 0; i < events; i++) {
                publish("topic1", event(UUID.randomUUID(), ""));
            }
            await().atMost(PATIENCE).until(() -> jdbc.queryForObject(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO topic1%'",
                    Long.class) > 0);
            // The broker takes the unacknowledged messages back; the consumers reconnect and get them again.
            connectionFactory.resetConnection();
        }
        // The first insert commits once the lock is gone, its acknowledgement finds a closed channel; the redelivered
        // copies are inserted again and ignored.
        assertThat(deliveredAgain.matches(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                .as("messages of a committed batch were delivered again").isTrue();
        await().atMost(PATIENCE).until(() -> depth("topic1") == 0);
        assertThat(rows("topic1")).isEqualTo(events);
        assertThat(jdbc.queryForObject("SELECT count(DISTINCT event_id) FROM topic1", Long.class)).isEqualTo(events);
        assertThat(depth("topic1.dlq")).isZero();
    }

    private void publish(String queue, String body) {
        rabbit.send("", queue, MessageBuilder.withBody(body.getBytes(UTF_8))
                .setContentType("application/json").setDeliveryMode(MessageDeliveryMode.PERSISTENT).build());
    }

    private static String event(UUID id, String extra) {
        return "{\"eventId\":\"" + id + "\",\"eventType\":\"passiveEvent\",\"create_date\":\"" + Instant.now()
                + "\",\"batchId\":\"" + UUID.randomUUID() + "\"" + extra + "}";
    }

    private static String idOf(String event) {
        return event.substring(event.indexOf("\"eventId\":\"") + 11, event.indexOf("\"eventId\":\"") + 47);
    }
}
