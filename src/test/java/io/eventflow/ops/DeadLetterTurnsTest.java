package io.eventflow.ops;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.MessageProperties;
import io.eventflow.processing.DeadLetterQueues;
import io.eventflow.processing.DeadLetters;
import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.LogLines;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageBuilder;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;

import static io.eventflow.support.QueueMessages.event;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Listing dead letters never changes, reorders, drops or hides one, however often and from however many instances,
 * and a replay says exactly what it moved and what it could not reach: issue 25, items 4, 5 and 8.
 */
class DeadLetterTurnsTest extends EventflowIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final String DLQ = "topic1.dlq";
    private static final String REFUSAL = "refuses_for_dead_letter_turns_test";
    private static final String POLICY = "dead-letter-turns-test-limit";
    private static final ObjectMapper JSON = new ObjectMapper();

    @LocalManagementPort
    int managementPort;
    @Autowired
    RabbitTemplate rabbit;
    @Autowired
    CachingConnectionFactory connectionFactory;
    @Autowired
    DeadLetterQueues deadLetters;

    @AfterEach
    void acceptEverything() {
        jdbc.execute("ALTER TABLE topic1 DROP CONSTRAINT IF EXISTS " + REFUSAL);
    }

    @Test
    void aHundredListingsLeaveEveryLetterInItsPlaceEvenUnderADeliveryLimitPolicy() throws Exception {
        // On RabbitMQ, a policy like an operator's "^topic" one, which matches the .dlq too: three deliveries, then dropped.
        boolean rabbitmq = "false".equals(System.getProperty("eventflow.embedded"));
        if (rabbitmq) {
            rabbitmqctl("set_policy", "-p", connectionFactory.getVirtualHost(), "--apply-to", "queues", POLICY,
                    "^topic1\\.dlq$", "{\"delivery-limit\":3}");
        }
        try {
            List<String> ids = deadLetter(20);

            for (int listing = 1; listing <= 100; listing++) {
                DeadLetterQueues.Listing seen = deadLetters.newest(1000).get(DLQ);
                assertThat(seen.messages()).as("depth at listing %d", listing).isEqualTo(20);
                assertThat(oldestFirst(seen)).as("letters at listing %d", listing).isEqualTo(ids);
            }

            assertThat(takeAll(DLQ)).as("the letters left after a hundred listings, in order").isEqualTo(ids);
        } finally {
            if (rabbitmq) {
                rabbitmqctl("clear_policy", "-p", connectionFactory.getVirtualHost(), POLICY);
            }
        }
    }

    @Test
    void aReplayWaitsWhileAnotherInstanceBrowsesAndThenMovesEveryLetter() throws Exception {
        List<String> ids = deadLetter(50);
        // The management port answered once already: a replay that does not wait answers well within the seconds below.
        assertThat(management().get("/actuator/deadletters").statusCode()).isEqualTo(200);
        try (Connection otherInstance = connectionFactory.getRabbitConnectionFactory().newConnection()) {
            // What another instance's listing does: take its turn, then hold every letter unacknowledged while it reads them.
            Channel browse = otherInstance.createChannel();
            browse.queueDeclare("eventflow.dead-letters.lock", false, true, true, null);
            List<Long> held = new ArrayList<>();
            for (GetResponse letter; (letter = browse.basicGet(DLQ, false)) != null; ) {
                held.add(letter.getEnvelope().getDeliveryTag());
            }
            assertThat(held).hasSize(50);

            CompletableFuture<HttpResponse<String>> replay = CompletableFuture.supplyAsync(
                    () -> management().post("/actuator/deadletters", "{\"queue\":\"topic1\"}"));
            // Red while a replay does not wait for its turn: it answers at once that it replayed 0.
            await().during(Duration.ofSeconds(3)).atMost(PATIENCE).until(() -> !replay.isDone());

            for (long tag : held) {
                browse.basicNack(tag, false, true);
            }
            browse.queueDelete("eventflow.dead-letters.lock");

            JsonNode answer = JSON.readTree(replay.get(PATIENCE.toSeconds(), TimeUnit.SECONDS).body()).get(DLQ);
            assertThat(answer.get("replayed").asInt()).isEqualTo(50);
            assertThat(answer.get("unreached").asInt()).isZero();
            assertThat(answer.has("failure")).isFalse();
        }
        await().atMost(PATIENCE).until(() -> rows("topic1") == 50 && depth(DLQ) == 0);
        assertThat(jdbc.queryForList("SELECT event_id::text FROM topic1", String.class)).containsExactlyInAnyOrderElementsOf(ids);
        assertStoredOnceAndNothingDeadLettered();
    }

    @Test
    void aReplayOfLettersThatAreStillPoisonPassesEachOnce() throws Exception {
        List<String> ids = deadLetter(200);
        // Still poison: topic1 refuses them, so each one replayed comes back to the tail of topic1.dlq.
        jdbc.execute("ALTER TABLE topic1 ADD CONSTRAINT " + REFUSAL + " CHECK (event_id NOT IN ("
                + ids.stream().map(id -> "'" + id + "'").collect(Collectors.joining(", ")) + ")) NOT VALID");

        JsonNode answer = JSON.readTree(management().post("/actuator/deadletters", "{\"queue\":\"topic1\"}").body()).get(DLQ);

        // Red while a replay takes letters until the queue is empty: it passed 418 for 400 in the review.
        assertThat(answer.get("replayed").asInt()).isEqualTo(200);
        assertThat(answer.get("unreached").asInt()).isZero();
        await().atMost(PATIENCE).until(() -> depth(DLQ) == 200 && depth("topic1") == 0);
        assertThat(oldestFirst(deadLetters.newest(1000).get(DLQ))).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(rows("topic1")).isZero();
    }

    @Test
    void aConnectionCutMidReplayAnswersWithTheCountsMovedSoFarAndASecondReplayMovesTheRest() throws Exception {
        List<String> ids = deadLetter(2000);
        try (LogLines log = LogLines.of(DeadLetterQueues.class)) {
            CompletableFuture<HttpResponse<String>> replay = CompletableFuture.supplyAsync(
                    () -> management().post("/actuator/deadletters", "{\"queue\":\"topic1\"}"));
            await().atMost(PATIENCE).until(() -> rows("topic1") > 0);
            connectionFactory.resetConnection();

            HttpResponse<String> cut = replay.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            // Red while a lost connection fails the whole replay: 500, no count, nothing logged.
            assertThat(cut.statusCode()).isEqualTo(200);
            JsonNode answer = JSON.readTree(cut.body()).get(DLQ);
            int replayed = answer.get("replayed").asInt();
            assertThat(replayed).isPositive();
            assertThat(replayed + answer.get("unreached").asInt()).isEqualTo(2000);
            assertThat(answer.get("failure").asText()).isNotBlank();
            assertThat(log.contains("Replayed " + replayed + " of the 2000 dead letters of topic1.dlq")).isTrue();
        }

        await().atMost(PATIENCE).ignoreExceptions().until(() -> JSON.readTree(management()
                .post("/actuator/deadletters", "{\"queue\":\"topic1\"}").body()).get(DLQ).get("unreached").asInt() == 0
                && depth(DLQ) == 0);
        await().atMost(PATIENCE).until(() -> rows("topic1") == 2000);
        assertThat(jdbc.queryForList("SELECT event_id::text FROM topic1", String.class)).containsExactlyInAnyOrderElementsOf(ids);
        assertStoredOnceAndNothingDeadLettered();
    }

    @Test
    @EnabledIfSystemProperty(named = "eventflow.embedded", matches = "false", disabledReason = "RabbitMQ's quorum queues: external mode only")
    void aDeadLetterQueueAnOlderEventflowDeclaredAsAQuorumQueueIsKeptAndListedByDepthOnly() throws Exception {
        List<String> ids = new ArrayList<>();
        // RabbitMQ 3.10 crashes a connection whose channel used a queue as one type and then meets it as another: this
        // test changes topic1.dlq's type under a running Eventflow, so it touches it on a connection of its own, then
        // gives Eventflow fresh channels. A deployment has the quorum queue before Eventflow starts.
        try (Connection olderEventflow = connectionFactory.getRabbitConnectionFactory().newConnection()) {
            Channel channel = olderEventflow.createChannel();
            try {
                channel.queueDelete(DLQ);
                channel.queueDeclare(DLQ, true, false, false, Map.of("x-queue-type", "quorum"));
                channel.confirmSelect();
                for (int i = 0; i < 3; i++) {
                    UUID id = UUID.randomUUID();
                    ids.add(id.toString());
                    channel.basicPublish("", DLQ, true, MessageProperties.PERSISTENT_BASIC, event("passiveEvent", id, null).getBytes(UTF_8));
                }
                channel.waitForConfirmsOrDie(PATIENCE.toMillis());
                connectionFactory.resetConnection();

                // A declaration round, as on every connect: declaring it as a classic queue would fail (406) and with it the others.
                declareQueuesAgain();

                assertThat(amqp.getQueueInfo("topic2.dlq")).isNotNull();
                JsonNode listing = JSON.readTree(management().get("/actuator/deadletters").body()).get(DLQ);
                assertThat(listing.get("messages").asInt()).isEqualTo(3);
                assertThat(listing.has("browsed")).isFalse();
                assertThat(listing.path("notBrowsed").asText()).contains("older Eventflow");
                JsonNode byId = JSON.readTree(management().post("/actuator/deadletters",
                        "{\"queue\":\"topic1\",\"eventId\":\"" + ids.get(0) + "\"}").body()).get(DLQ);
                assertThat(byId.get("replayed").asInt()).isZero();
                assertThat(byId.path("unreached").asInt()).isEqualTo(3);
                List<String> left = new ArrayList<>();
                for (GetResponse letter; (letter = channel.basicGet(DLQ, true)) != null; ) {
                    left.add(JSON.readTree(letter.getBody()).get("eventId").asText());
                }
                assertThat(left).as("every letter, in order").isEqualTo(ids);
            } finally {
                channel.queueDelete(DLQ);
                connectionFactory.resetConnection();
                declareQueuesAgain();
                // Declared anew as a classic queue: browsed again once the tools ask again what it is.
                await().atMost(PATIENCE).until(() -> deadLetters.newest(1).get(DLQ).browsed() != null);
            }
        }
    }

    /** Puts {@code count} dead letters of topic1 in its .dlq as DeadLetters writes them, on one channel; their event ids, in order. */
    private List<String> deadLetter(int count) {
        List<String> ids = new ArrayList<>();
        rabbit.invoke(oneChannel -> {
            for (int i = 0; i < count; i++) {
                UUID id = UUID.randomUUID();
                ids.add(id.toString());
                oneChannel.send("", DLQ, MessageBuilder.withBody(event("passiveEvent", id, null).getBytes(UTF_8))
                        .setContentType("application/json").setDeliveryMode(MessageDeliveryMode.PERSISTENT)
                        .setHeader(DeadLetters.REASON, "refused for the test " + i).setHeader(DeadLetters.ROUTE, "service1-topic1")
                        .setHeader(DeadLetterQueues.DEAD_LETTERED_AT, Instant.now().toString()).build());
            }
            return null;
        });
        await().atMost(PATIENCE).until(() -> depth(DLQ) == count);
        return ids;
    }

    private static List<String> oldestFirst(DeadLetterQueues.Listing listing) {
        List<String> ids = new ArrayList<>(listing.newest().stream().map(DeadLetterQueues.DeadLetter::eventId).toList());
        Collections.reverse(ids);
        return ids;
    }

    /** Consumes every letter of {@code queue}: their event ids in queue order. */
    private List<String> takeAll(String queue) throws IOException {
        List<String> ids = new ArrayList<>();
        for (Message letter; (letter = rabbit.receive(queue)) != null; ) {
            ids.add(JSON.readTree(letter.getBody()).get("eventId").asText());
        }
        return ids;
    }

    private ManagementClient management() {
        return ManagementClient.on(managementPort);
    }

    private static void rabbitmqctl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("rabbitmqctl", "-q"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + ": " + output).isZero();
    }
}
