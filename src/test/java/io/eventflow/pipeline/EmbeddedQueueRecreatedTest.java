package io.eventflow.pipeline;

import java.time.Duration;

import io.eventflow.support.EventflowIntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A queue of the embedded broker deleted and declared again (an operator's purge by delete, a topology reset): its
 * consumer takes the new queue's messages without a hand-made restart, as it does on RabbitMQ, which cancels the
 * consumers of a deleted queue (Qpid drops them without telling the client).
 */
@EnabledIfSystemProperty(named = "eventflow.embedded", matches = "true", disabledReason = "Qpid's behaviour; RabbitMQ sends basic.cancel")
@TestPropertySource(properties = "eventflow.data-dir=target/test-data/queue-recreated") // it deletes a queue: its own broker
@DirtiesContext
class EmbeddedQueueRecreatedTest extends EventflowIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Test
    void consumerOfADeletedAndRedeclaredQueueTakesItsNewMessages() {
        assertThat(postEvents("{\"eventType\":\"passiveEvent\",\"count\":10}").getStatusCode().value()).isEqualTo(202);
        await().atMost(PATIENCE).until(() -> rows("topic1") == 10);

        amqp.deleteQueue("topic1");
        declareQueuesAgain(); // the topology declared again: topic1 is back, empty

        assertThat(postEvents("{\"eventType\":\"passiveEvent\",\"count\":10}").getStatusCode().value()).isEqualTo(202);
        // Red while the consumer stays attached to the deleted queue: the new messages wait on topic1 for ever.
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(rows("topic1") == 20 && depth("topic1") == 0)
                .as(() -> progress("topic1")).isTrue());
        assertStoredOnceAndNothingDeadLettered();
    }
}
