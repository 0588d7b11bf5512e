package io.eventflow.ops;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.processing.SecretCipher;
import io.eventflow.support.EventflowIntegrationTest;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;

import static io.eventflow.support.QueueMessages.event;
import static io.eventflow.support.QueueMessages.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Dead letters are listed where an operator looks (the dashboard API and {@code /actuator/deadletters}) without being
 * consumed, and a replay moves them back to their queue once the cause is gone: stored once, never lost. The poison is
 * an event its table refuses (a CHECK constraint on its id, SQLSTATE 23514); dropping the constraint removes the cause.
 */
class DeadLettersEndpointTest extends EventflowIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final String REFUSAL = "refuses_for_dead_letter_test";
    private static final ObjectMapper JSON = new ObjectMapper();

    @LocalManagementPort
    int managementPort;
    @Autowired
    RabbitTemplate rabbit;
    @Autowired
    SecretCipher cipher;
    @Autowired
    CamelContext camel;

    @AfterEach
    void removeRefusals() {
        TABLES.forEach(this::accept);
    }

    @ParameterizedTest
    @CsvSource({"topic1, passiveEvent, service1-topic1", "topic2, activeEvent, service1-topic2", "topic3, activeEvent, service2-topic3"})
    void poisonIsListedWithItsReasonAndAReplayAfterTheCauseIsGoneStoresItOnce(String queue, String type, String route) throws Exception {
        String dlq = queue + ".dlq";
        UUID id = UUID.randomUUID();
        refuse(queue, id);
        publish(rabbit, queue, event(type, id, queue.equals("topic3") ? cipher.encrypt("replayed") : null));
        await().atMost(PATIENCE).until(() -> depth(dlq) == 1);

        await().atMost(PATIENCE).untilAsserted(() -> {
            Map<String, Object> listed = dashboardListing(dlq);
            assertThat(listed).containsEntry("messages", 1);
            assertThat((List<Map<String, Object>>) listed.get("newest")).singleElement().satisfies(letter -> {
                assertThat(letter).containsEntry("queue", dlq).containsEntry("route", route).containsEntry("eventId", id.toString());
                assertThat((String) letter.get("reason")).contains(REFUSAL);
                assertThat(Instant.parse((String) letter.get("deadLetteredAt"))).isBefore(Instant.now().plusSeconds(1));
            });
        });
        // A letter another listing just gave back may not be ready again yet (RabbitMQ quorum queues requeue asynchronously).
        await().atMost(PATIENCE).untilAsserted(() -> {
            JsonNode operatorView = JSON.readTree(management().get("/actuator/deadletters").body()).get(dlq);
            assertThat(operatorView.at("/newest/0/eventId").asText()).isEqualTo(id.toString());
            assertThat(operatorView.at("/newest/0/reason").asText()).contains(REFUSAL);
        });
        // Listing consumed nothing.
        await().atMost(PATIENCE).until(() -> depth(dlq) == 1);
        assertThat(rows(queue)).isZero();

        accept(queue);
        HttpResponse<String> replay = management().post("/actuator/deadletters", "{\"queue\":\"" + dlq + "\"}");

        assertThat(replay.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(replay.body()).get(dlq).get("replayed").asInt()).isEqualTo(1);
        await().atMost(PATIENCE).until(() -> rows(queue) == 1 && depth(dlq) == 0 && depth(queue) == 0);
        if (queue.equals("topic2")) {
            await().atMost(PATIENCE).until(() -> rows("topic3") == 1);
        }
        assertStoredOnceAndNothingDeadLettered();
    }

    @Test
    void aReplayTheBrokerDoesNotConfirmKeepsTheDeadLetterAndOneByIdMovesOnlyThatOne() throws Exception {
        UUID first = UUID.randomUUID();
        UUID second = UUID.randomUUID();
        refuse("topic1", first, second);
        publish(rabbit, "topic1", event("passiveEvent", first, null));
        publish(rabbit, "topic1", event("passiveEvent", second, null));
        await().atMost(PATIENCE).until(() -> depth("topic1.dlq") == 2);
        accept("topic1");

        // The queue it goes back to is gone: the replay is returned unroutable, so not confirmed.
        camel.getRouteController().stopRoute("service1-topic1-batch");
        try {
            amqp.deleteQueue("topic1");
            JsonNode refused = JSON.readTree(management().post("/actuator/deadletters",
                    "{\"queue\":\"topic1\",\"eventId\":\"" + first + "\"}").body()).get("topic1.dlq");
            assertThat(refused.get("replayed").asInt()).isZero();
            // RabbitMQ returns it (could not route), the embedded broker refuses it: either way, not confirmed.
            assertThat(refused.get("failure").asText()).isNotBlank();
            await().atMost(PATIENCE).until(() -> depth("topic1.dlq") == 2);
        } finally {
            declareQueuesAgain();
            camel.getRouteController().startRoute("service1-topic1-batch");
        }

        JsonNode moved = JSON.readTree(management().post("/actuator/deadletters",
                "{\"eventId\":\"" + first + "\"}").body()).get("topic1.dlq");

        assertThat(moved.get("replayed").asInt()).isEqualTo(1);
        assertThat(moved.get("kept").asInt()).isEqualTo(1);
        await().atMost(PATIENCE).until(() -> rows("topic1") == 1 && depth("topic1.dlq") == 1);
        assertThat(jdbc.queryForObject("SELECT event_id::text FROM topic1", String.class)).isEqualTo(first.toString());
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> dashboardListing(String dlq) {
        Map<String, Object> answer = http.getForObject("/api/deadletters", Map.class);
        return (Map<String, Object>) ((Map<String, Object>) answer.get("queues")).get(dlq);
    }

    private ManagementClient management() {
        return ManagementClient.on(managementPort);
    }

    /** The table refuses these events: their insert fails with a check violation, which is poison. */
    private void refuse(String table, UUID... ids) {
        accept(table);
        String list = String.join(", ", Arrays.stream(ids).map(id -> "'" + id + "'").toList());
        jdbc.execute("ALTER TABLE " + table + " ADD CONSTRAINT " + REFUSAL + " CHECK (event_id NOT IN (" + list + ")) NOT VALID");
    }

    private void accept(String table) {
        jdbc.execute("ALTER TABLE " + table + " DROP CONSTRAINT IF EXISTS " + REFUSAL);
    }
}
