package io.eventflow.pipeline;

import java.time.Duration;

import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.OwnExternalServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An operator deletes queue topic1 and declares it again only after a while: meanwhile a request for it is refused
 * (nothing is accepted into a queue that is not there), and once the queue is back its consumer takes the new events
 * by itself. The absence outlasts the listener container's declaration retries (3, 5 s apart), after which Spring's
 * default stops a container whose queue is missing for good.
 */
@TestPropertySource(properties = "eventflow.data-dir=target/test-data/deleted-queue") // it deletes a queue: its own broker
@DirtiesContext
class DeletedQueueTest extends EventflowIntegrationTest {

    private static final Duration ABSENT = Duration.ofSeconds(20);
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final String PASSIVE = "{\"eventType\":\"passiveEvent\",\"count\":10}";
    private static OwnExternalServers servers;

    @DynamicPropertySource
    static void ownServers(DynamicPropertyRegistry registry) throws Exception {
        servers = OwnExternalServers.register("eventflow_deleted_queue", registry);
    }

    @AfterAll
    static void dropOwnServers() throws Exception {
        servers.close();
    }

    @Test
    void aQueueDeletedForLongerThanTheConsumersRetriesGetsItsConsumerBackOnceDeclaredAgain() {
        assertThat(postEvents(PASSIVE).getStatusCode().value()).isEqualTo(202);
        await().atMost(PATIENCE).until(() -> rows("topic1") == 10);

        servers.deleteQueue(amqp, "topic1"); // returns once RabbitMQ cancelled its consumers
        long deletedAt = System.nanoTime();
        // The queue stays away for ABSENT: the fault's length, not a synchronisation.
        await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).until(() -> {
            assertThat(postEvents(PASSIVE).getStatusCode().value()).as("a request while topic1 is gone").isEqualTo(503);
            return System.nanoTime() - deletedAt >= ABSENT.toNanos();
        });
        declareQueuesAgain(); // the topology declared again: topic1 is back, empty

        assertThat(postEvents(PASSIVE).getStatusCode().value()).isEqualTo(202);
        // Red while the consumer has given up on topic1: the new events wait on the queue for ever.
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(rows("topic1") == 20 && depth("topic1") == 0)
                .as(() -> progress("topic1")).isTrue());
        assertStoredOnceAndNothingDeadLettered();
    }
}
