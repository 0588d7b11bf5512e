package io.eventflow.pipeline;

import java.security.SecureRandom;
import java.sql.Connection;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.OwnExternalServers;
import io.eventflow.support.Traffic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import static io.eventflow.support.QueueMessages.event;
import static io.eventflow.support.QueueMessages.publish;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Steady traffic through the ingest with 1 % poison put on the queues between the good events, three kinds in turn:
 * a value PostgreSQL refuses on topic1, an event of the wrong type on topic2, a ciphertext that does not open on topic3.
 * Exactly the poison is dead-lettered, each with its reason; every accepted event is stored once.
 */
@TestPropertySource(properties = "eventflow.data-dir=target/test-data/poison-in-traffic")
@DirtiesContext
class PoisonInTrafficTest extends EventflowIntegrationTest {

    private static final String NAME = "eventflow_poison_in_traffic";
    private static final int POISON = 30;
    /** One poison message per this many accepted events: 1 %. */
    private static final int GOOD_PER_POISON = 99;
    private static final Duration PATIENCE = Duration.ofSeconds(120);
    private static OwnExternalServers servers;

    @LocalServerPort
    int port;
    @Autowired
    RabbitTemplate rabbit;
    @Autowired
    DataSource dataSource;

    @DynamicPropertySource
    static void ownServers(DynamicPropertyRegistry registry) throws Exception {
        servers = OwnExternalServers.register(NAME, registry);
    }

    @AfterAll
    static void dropOwnServers() throws Exception {
        servers.close();
    }

    @Test
    void onePercentPoisonDeadLettersExactlyThePoisonWithItsReasonAndStoresEveryGoodEventOnce() throws Exception {
        Map<String, String> reasonByPoison = new HashMap<>();
        List<String> queues = Topic.QUEUES;
        Traffic traffic = new Traffic(List.of(Traffic.local(port)), 10, Duration.ofMillis(5));
        try (traffic) {
            for (int i = 0; i < POISON; i++) {
                long due = (long) (i + 1) * GOOD_PER_POISON;
                await().atMost(PATIENCE).until(() -> traffic.acceptedEvents() >= due);
                String queue = queues.get(i % queues.size());
                UUID id = UUID.randomUUID();
                publish(rabbit, queue, poison(queue, id));
                reasonByPoison.put(id.toString(), switch (queue) {
                    case "topic1" -> "Unicode";
                    case "topic2" -> "unexpected eventType 'passiveEvent'";
                    default -> "wrong key or tampered";
                });
            }
        }

        try (Connection connection = dataSource.getConnection()) {
            // Red if a poison message sank the good events batched with it, or if one kind of poison were retried forever.
            await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500)).until(() -> traffic.everyAcceptedEventStored(connection)
                    && queues.stream().allMatch(q -> depth(q) == 0)
                    && queues.stream().mapToInt(q -> depth(q + ".dlq")).sum() >= POISON);
            traffic.assertTablesHoldExactlyTheAcceptedEvents(connection);
        }
        Map<String, String> deadLettered = new HashMap<>();
        for (String queue : queues) {
            for (Message dead; (dead = rabbit.receive(queue + ".dlq")) != null; ) {
                String body = new String(dead.getBody(), UTF_8);
                Object reason = dead.getMessageProperties().getHeader("x-eventflow-reason");
                assertThat(reason).as("x-eventflow-reason of " + body).isNotNull();
                assertThat(dead.getMessageProperties().getHeader("x-eventflow-route").toString()).as(body).endsWith(queue);
                deadLettered.put(body.substring(body.indexOf("\"eventId\":\"") + 11, body.indexOf("\"eventId\":\"") + 47), reason.toString());
            }
        }
        assertThat(deadLettered.keySet()).as("the dead letters are exactly the poison").isEqualTo(reasonByPoison.keySet());
        reasonByPoison.forEach((id, reason) -> assertThat(deadLettered.get(id)).as("reason of " + id).contains(reason));
        System.out.println("PoisonInTrafficTest: " + traffic.acceptedEvents() + " events accepted and stored once, "
                + deadLettered.size() + " poison messages dead-lettered");
    }

    private static String poison(String queue, UUID id) {
        return switch (queue) {
            // Valid JSON the reader takes, which PostgreSQL's jsonb refuses (\u0000): its whole batch's insert fails.
            case "topic1" -> event("passiveEvent", id, null).replaceFirst("}$", ",\"note\":\"\\\\u0000\"}");
            case "topic2" -> event("passiveEvent", id, null);
            default -> event("activeEvent", id, Base64.getEncoder().encodeToString(randomBytes(40)));
        };
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }
}
