package io.eventflow.ingest;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.eventflow.infra.ConfirmedPublisher;
import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.OwnExternalServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.bean.override.mockito.MockitoSpyBean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;

/**
 * A request the broker takes only half of, retried with its Idempotency-Key: each event is stored once. The broker
 * really refuses the second half: queue topic1 is deleted between the two halves of the request's publish, once the
 * first half is stored, so those publishes come back unroutable and the answer is a 503 for half of the events.
 */
// It deletes a queue: a broker of its own, embedded, or a vhost (and database) of its own on the machine's RabbitMQ.
@TestPropertySource(properties = "eventflow.data-dir=target/test-data/idempotent-retry")
@DirtiesContext
class IdempotentRetryTest extends EventflowIntegrationTest {

    private static final int EVENTS = 40;
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    private static OwnExternalServers servers;

    @MockitoSpyBean
    ConfirmedPublisher broker;

    @DynamicPropertySource
    static void ownServers(DynamicPropertyRegistry registry) throws Exception {
        servers = OwnExternalServers.register("eventflow_idempotent_retry", registry);
    }

    @AfterAll
    static void dropOwnServers() throws Exception {
        servers.close();
    }

    @Test
    void aRequestCutOffMidwayAndRetriedWithItsKeyStoresEveryEventOnce() throws Exception {
        String key = UUID.randomUUID().toString();
        String request = "{\"eventType\":\"passiveEvent\",\"count\":" + EVENTS + "}";
        doAnswer(publish -> {
            List<byte[]> bodies = publish.getArgument(1);
            long timeoutMs = publish.getArgument(2);
            ConfirmedPublisher.Outcome first = broker.publish("topic1", bodies.subList(0, EVENTS / 2), timeoutMs);
            await().atMost(PATIENCE).until(() -> rows("topic1") == EVENTS / 2);
            servers.deleteQueue(amqp, "topic1"); // returns once RabbitMQ cancelled its consumers
            ConfirmedPublisher.Outcome rest = broker.publish("topic1", bodies.subList(EVENTS / 2, EVENTS), timeoutMs);
            return new ConfirmedPublisher.Outcome(first.confirmed() + rest.confirmed(), rest.failure());
        }).doCallRealMethod().when(broker).publish(eq("topic1"), anyList(), anyLong());

        ResponseEntity<Map> cutOff = post(request, key);

        assertThat(cutOff.getStatusCode().value()).isEqualTo(503);
        assertThat(cutOff.getBody()).containsEntry("title", "Broker unavailable").containsEntry("accepted", EVENTS / 2)
                .containsEntry("retrySafe", true);
        declareQueuesAgain(); // the queue is back

        ResponseEntity<Map> retried = post(request, key);

        assertThat(retried.getStatusCode().value()).isEqualTo(202);
        assertThat(retried.getBody()).containsEntry("accepted", EVENTS).containsEntry("retrySafe", true)
                .containsEntry("batchId", cutOff.getBody().get("batchId"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(rows("topic1") >= EVENTS && depth("topic1") == 0)
                .as(() -> progress("topic1")).isTrue());
        assertThat(rows("topic1")).isEqualTo(EVENTS);
        assertStoredOnceAndNothingDeadLettered();
    }

    private ResponseEntity<Map> post(String body, String key) {
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.APPLICATION_JSON);
        headers.set("Idempotency-Key", key);
        return http.postForEntity("/api/events", new HttpEntity<>(body, headers), Map.class);
    }
}
