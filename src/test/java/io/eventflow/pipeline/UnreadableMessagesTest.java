package io.eventflow.pipeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.eventflow.processing.DeadLetters;
import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.OwnExternalServers;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import static io.eventflow.support.QueueMessages.event;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A message another producer put on a queue that Camel cannot even read ({@code content_type=text/plain} with the
 * unknown {@code content_encoding=x-bogus}), among good events: as the first delivery of a consumer's channel and
 * between good events on each topic. Each is dead-lettered with a reason naming what made it unreadable, none is left
 * unacknowledged, and every good event is stored once.
 */
@TestPropertySource(properties = "eventflow.data-dir=target/test-data/unreadable-messages")
@DirtiesContext
class UnreadableMessagesTest extends EventflowIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final AMQP.BasicProperties JSON = new AMQP.BasicProperties.Builder()
            .contentType("application/json").deliveryMode(2).build();
    private static final AMQP.BasicProperties UNREADABLE = new AMQP.BasicProperties.Builder()
            .contentType("text/plain").contentEncoding("x-bogus").deliveryMode(2).build();
    private static OwnExternalServers servers;

    @Autowired
    CachingConnectionFactory connectionFactory;
    @Autowired
    CamelContext camel;

    @DynamicPropertySource
    static void ownServers(DynamicPropertyRegistry registry) throws Exception {
        servers = OwnExternalServers.register("eventflow_unreadable_messages", registry);
    }

    @AfterAll
    static void dropOwnServers() throws Exception {
        servers.close();
    }

    @Test
    void aMessageWithAnUnknownContentEncodingIsDeadLetteredWithItsReasonAndEveryGoodEventIsStoredOnce() throws Exception {
        Map<String, String> unreadable = new HashMap<>();
        try (Connection connection = connectionFactory.getRabbitConnectionFactory().newConnection()) {
            Channel producer = connection.createChannel();
            producer.confirmSelect();
            // Issue 25 A1: with topic1's consumer stopped, the unreadable one first, so it is its new channel's first delivery.
            camel.getRouteController().stopRoute(Topic.TOPIC1.batchRoute());
            unreadable.put(publishUnreadable(producer, "topic1", "passiveEvent"), "topic1");
            publishGood(producer, "topic1", "passiveEvent", 20);
            producer.waitForConfirmsOrDie(10_000);
            camel.getRouteController().startRoute(Topic.TOPIC1.batchRoute());
            // Issue 25 A2: good x 3, unreadable, good x 3 on each topic while its consumer runs.
            for (Topic topic : Topic.values()) {
                // topic3's good events are topic2's, passed on by service 1.
                Topic goodOnes = topic == Topic.TOPIC1 ? Topic.TOPIC1 : Topic.TOPIC2;
                publishGood(producer, goodOnes.queue(), goodOnes.eventType(), 3);
                unreadable.put(publishUnreadable(producer, topic.queue(), topic.eventType()), topic.queue());
                publishGood(producer, goodOnes.queue(), goodOnes.eventType(), 3);
            }
            producer.waitForConfirmsOrDie(10_000);
        }
        // topic1: 20 + 3 + 3; topic2, each passed on to topic3: (3 + 3) x 2.
        Map<String, Long> good = Map.of("topic1", 26L, "topic2", 12L, "topic3", 12L);
        Map<String, Integer> dead = Map.of("topic1.dlq", 2, "topic2.dlq", 1, "topic3.dlq", 1);

        // Red before: the first one was acknowledged unstored by the next multiple ack, the others held unacknowledged.
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(250)).until(() ->
                good.entrySet().stream().allMatch(table -> rows(table.getKey()) == table.getValue())
                        && dead.entrySet().stream().allMatch(dlq -> depth(dlq.getKey()) == dlq.getValue()));
        for (String table : good.keySet()) {
            assertThat(jdbc.queryForObject("SELECT count(DISTINCT event_id) FROM " + table, Long.class)).as(table).isEqualTo(good.get(table));
        }
        // Red before: a message held unacknowledged comes back to its queue once its consumer's channel is closed.
        for (Topic topic : Topic.values()) {
            camel.getRouteController().stopRoute(topic.batchRoute());
            // The broker counts what a closed channel gave back a moment after the close.
            await().atMost(Duration.ofSeconds(10)).during(Duration.ofSeconds(1)).until(() -> depth(topic.queue()) == 0);
        }
        List<String> letters = new ArrayList<>();
        try (Connection connection = connectionFactory.getRabbitConnectionFactory().newConnection()) {
            Channel look = connection.createChannel();
            for (String dlq : dead.keySet()) {
                for (GetResponse letter; (letter = look.basicGet(dlq, true)) != null; ) {
                    String body = new String(letter.getBody(), UTF_8);
                    String id = body.substring(body.indexOf("\"eventId\":\"") + 11, body.indexOf("\"eventId\":\"") + 47);
                    Map<String, Object> headers = letter.getProps().getHeaders();
                    assertThat(unreadable.get(id) + ".dlq").as("the queue of the dead letter of " + id).isEqualTo(dlq);
                    assertThat(headers.get(DeadLetters.REASON).toString()).as("reason of " + id)
                            .contains("content_type=text/plain", "content_encoding=x-bogus");
                    assertThat(headers.get(DeadLetters.ROUTE).toString()).isEqualTo(Topic.named(unreadable.get(id)).orElseThrow().batchRoute());
                    letters.add(id + ": " + headers.get(DeadLetters.REASON));
                }
            }
        }
        assertThat(letters).as("a dead letter for each unreadable message").hasSize(unreadable.size());
        System.out.println("UnreadableMessagesTest: " + letters);
    }

    private static String publishUnreadable(Channel producer, String queue, String eventType) throws Exception {
        UUID id = UUID.randomUUID();
        // Its body a valid event: only its properties make it unreadable.
        producer.basicPublish("", queue, UNREADABLE, event(eventType, id, null).getBytes(UTF_8));
        return id.toString();
    }

    private static void publishGood(Channel producer, String queue, String eventType, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            producer.basicPublish("", queue, JSON, event(eventType, UUID.randomUUID(), null).getBytes(UTF_8));
        }
    }
}
