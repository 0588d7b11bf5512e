package io.eventflow.infra;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.eventflow.support.EventflowIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Many callers publishing at once share the publisher's few channels (eventflow.broker.publisher-channels): their
 * messages go out pipelined and are confirmed with multiple acks, instead of one channel per caller with one
 * message in flight, which costs the broker several times the CPU per message.
 */
@TestPropertySource(properties = {"eventflow.data-dir=target/test-data/confirmed-publisher", "eventflow.broker.publisher-channels=2"})
@DirtiesContext
class ConfirmedPublisherTest extends EventflowIntegrationTest {

    private static final int CALLERS = 64;
    private static final int PUBLISHES_EACH = 20;

    @Autowired
    ConfirmedPublisher publisher;
    @Autowired
    CachingConnectionFactory connections;

    @Test
    void callersPublishingAtOnceShareTwoChannelsAndEveryMessageIsConfirmedAndStored() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
        try {
            List<Future<Integer>> confirmed = new ArrayList<>();
            for (int c = 0; c < CALLERS; c++) {
                confirmed.add(callers.submit(() -> {
                    int n = 0;
                    for (int i = 0; i < PUBLISHES_EACH; i++) {
                        n += publisher.publish("topic1", List.of(event()), 20_000).confirmed();
                    }
                    return n;
                }));
            }
            for (Future<Integer> caller : confirmed) {
                assertThat(caller.get()).isEqualTo(PUBLISHES_EACH);
            }
        } finally {
            callers.shutdownNow();
        }
        // A channel is back in the cache when it is idle; with one channel per caller, dozens would have been at once.
        assertThat(Integer.parseInt(connections.getCacheProperties().getProperty("idleChannelsNotTxHighWater")))
                .as("channels ever idle in the cache at once: %s", connections.getCacheProperties()).isLessThanOrEqualTo(2);
        await().until(() -> rows("topic1") == CALLERS * PUBLISHES_EACH);
        assertStoredOnceAndNothingDeadLettered();
    }

    private static byte[] event() {
        return ("{\"eventId\":\"" + UUID.randomUUID() + "\",\"eventType\":\"passiveEvent\",\"create_date\":\"2026-11-30T02:00:00.000Z\","
                + "\"batchId\":\"" + UUID.randomUUID() + "\"}").getBytes(StandardCharsets.UTF_8);
    }
}
