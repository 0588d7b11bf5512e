package io.eventflow.pipeline;

import java.time.Duration;
import java.util.Base64;
import java.util.UUID;

import io.eventflow.processing.DeadLetters;
import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.LogLines;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;

import static io.eventflow.support.QueueMessages.event;
import static io.eventflow.support.QueueMessages.publish;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What reaches a queue twice is stored once; what can never be stored ends in its dead-letter queue. */
class DeliveryGuaranteesTest extends EventflowIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @Autowired
    RabbitTemplate rabbit;

    @Test
    void redeliveredMessageStoresOneRow() {
        String event = event("passiveEvent", UUID.randomUUID(), null);
        String marker = event("passiveEvent", UUID.randomUUID(), null);

        publish(rabbit, "topic1", event);
        publish(rabbit, "topic1", event);
        publish(rabbit, "topic1", marker);

        // The marker was queued behind both copies: once it is stored, both copies were processed.
        await().atMost(PATIENCE).until(() -> jdbc.queryForObject(
                "SELECT count(*) FROM topic1 WHERE event_id = ?::uuid", Long.class, idOf(marker)) == 1);
        await().atMost(PATIENCE).until(() -> depth("topic1") == 0);
        assertThat(rows("topic1")).isEqualTo(2);
        assertThat(depth("topic1.dlq")).isZero();
    }

    @Test
    void redeliveredActiveEventStoresOneRowInTopic2AndTopic3() {
        String event = event("activeEvent", UUID.randomUUID(), null);

        publish(rabbit, "topic2", event);
        publish(rabbit, "topic2", event);

        await().atMost(PATIENCE).until(() -> rows("topic3") >= 1 && depth("topic2") == 0 && depth("topic3") == 0);
        String marker = event("activeEvent", UUID.randomUUID(), null);
        publish(rabbit, "topic2", marker);
        await().atMost(PATIENCE).until(() -> rows("topic3") == 2);
        assertThat(rows("topic2")).isEqualTo(2);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM topic3 WHERE event_id = ?::uuid", Long.class, idOf(event))).isEqualTo(1);
    }

    @Test
    void messageThatIsNotJsonGoesToItsDeadLetterQueueWithTheReason() {
        publish(rabbit, "topic1", "this is not an event");

        Message dead = awaitDeadLetter("topic1.dlq");
        assertThat(new String(dead.getBody(), UTF_8)).isEqualTo("this is not an event");
        assertThat(reason(dead)).startsWith("not JSON");
        assertThat(dead.getMessageProperties().getHeader("x-eventflow-route").toString()).isEqualTo("service1-topic1");
        assertThat(depth("topic1")).isZero();
        assertThat(rows("topic1")).isZero();
    }

    @Test
    void eventOfTheWrongTypeGoesToTheDeadLetterQueue() {
        publish(rabbit, "topic2", event("passiveEvent", UUID.randomUUID(), null));

        Message dead = awaitDeadLetter("topic2.dlq");
        assertThat(reason(dead)).contains("unexpected eventType 'passiveEvent'");
        assertThat(rows("topic2")).isZero();
        assertThat(rows("topic3")).isZero();
    }

    @Test
    void tamperedCiphertextGoesToTheDeadLetterQueue() {
        byte[] garbage = new byte[40];
        new java.security.SecureRandom().nextBytes(garbage);
        publish(rabbit, "topic3", event("activeEvent", UUID.randomUUID(), Base64.getEncoder().encodeToString(garbage)));

        Message dead = awaitDeadLetter("topic3.dlq");
        assertThat(reason(dead)).contains("wrong key or tampered");
        assertThat(rows("topic3")).isZero();
    }

    @Test
    void poisonDoesNotHoldUpTheGoodMessagesBehindIt() {
        publish(rabbit, "topic1", "{\"broken\":");
        String good = event("passiveEvent", UUID.randomUUID(), null);
        publish(rabbit, "topic1", good);

        await().atMost(PATIENCE).until(() -> rows("topic1") == 1);
        awaitDeadLetter("topic1.dlq");
    }

    @Test
    void messageWhoseDeadLetterTheBrokerDoesNotTakeGoesBackToItsQueue() {
        amqp.deleteQueue("topic1.dlq");
        try (LogLines log = LogLines.of(DeadLetters.class)) {
            publish(rabbit, "topic1", "not an event either");
            // The dead letter has no queue to go to: returned, so unconfirmed, so the message is requeued.
            await().atMost(PATIENCE).until(() -> log.contains("it went back to its queue"));
        } finally {
            declareQueuesAgain();
        }
        Message dead = awaitDeadLetter("topic1.dlq");
        assertThat(new String(dead.getBody(), UTF_8)).isEqualTo("not an event either");
        await().atMost(PATIENCE).until(() -> depth("topic1") == 0);
    }

    private Message awaitDeadLetter(String dlq) {
        return await().atMost(PATIENCE).until(() -> rabbit.receive(dlq), java.util.Objects::nonNull);
    }

    private static String reason(Message dead) {
        Object reason = dead.getMessageProperties().getHeader("x-eventflow-reason");
        assertThat(reason).as("x-eventflow-reason header").isNotNull();
        return reason.toString();
    }


    private static String idOf(String event) {
        return event.substring(event.indexOf("\"eventId\":\"") + 11, event.indexOf("\"eventId\":\"") + 47);
    }
}
