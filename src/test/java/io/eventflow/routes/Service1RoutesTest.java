package io.eventflow.routes;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.processing.SecretCipher;
import io.eventflow.routes.RouteFiles.MockBroker;
import io.eventflow.routes.RouteFiles.RecordingChannel;
import io.eventflow.support.QueueMessages;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * routes/service1.camel.yaml: a topic1 batch is stored as it came; a topic2 batch is stored, each event sealed with an
 * encrypted secret word and republished to topic3, and acknowledged only after topic3 confirmed them. The consumers
 * are replaced by {@code direct:} endpoints, the inserts by {@code mock:insert-topicN}, the broker by {@code mock:<queue>}.
 */
class Service1RoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private CamelContext camel;
    private final RecordingChannel channel = new RecordingChannel();
    private final SecretCipher cipher = RouteFiles.cipher();
    private ProducerTemplate broker;

    @BeforeEach
    void start() throws Exception {
        camel = RouteFiles.load(RouteFiles.consumerSettings(2), "consumers.camel.yaml", "service1.camel.yaml");
        RouteFiles.bindConsumerBeans(camel, new MockBroker(camel));
        for (String topic : List.of("topic1", "topic2")) {
            AdviceWith.adviceWith(camel, "service1-" + topic + "-batch", route -> route.replaceFromWith("direct:" + topic));
            AdviceWith.adviceWith(camel, "service1-" + topic, route -> route.weaveByToUri("sql:*").replace().to("mock:insert-" + topic));
        }
        camel.start();
        broker = camel.createProducerTemplate();
    }

    @AfterEach
    void stop() {
        camel.stop();
    }

    @Test
    void topic1EventsAreStoredInTopic1AndGoNowhereElse() throws Exception {
        MockEndpoint topic1 = mock("insert-topic1");
        topic1.expectedMessageCount(1);
        mock("insert-topic2").expectedMessageCount(0);
        mock("topic3").expectedMessageCount(0);
        UUID first = UUID.randomUUID();

        deliver("direct:topic1", "topic1", QueueMessages.event("passiveEvent", first, null), 1);
        deliver("direct:topic1", "topic1", QueueMessages.event("passiveEvent", UUID.randomUUID(), null), 2);

        await().atMost(Duration.ofSeconds(20)).until(() -> channel.acked.size() == 2);
        MockEndpoint.assertIsSatisfied(camel);
        assertThat((String[]) columns(topic1).get("eventId")).hasSize(2).contains(first.toString());
        assertThat(channel.acked).containsExactlyInAnyOrder(1L, 2L);
    }

    @Test
    void topic2EventsAreStoredThenSealedWithASecretWordAndRepublishedToTopic3BeforeTheirAck() throws Exception {
        MockEndpoint topic2 = mock("insert-topic2");
        MockEndpoint topic3 = mock("topic3");
        topic2.expectedMessageCount(1);
        topic3.expectedMessageCount(2);
        topic3.whenAnyExchangeReceived(published -> assertThat(channel.acked).as("acknowledged before topic3 confirmed").isEmpty());
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();

        deliver("direct:topic2", "topic2", QueueMessages.event("activeEvent", a, null), 1);
        deliver("direct:topic2", "topic2", QueueMessages.event("activeEvent", b, null), 2);

        await().atMost(Duration.ofSeconds(20)).until(() -> channel.acked.size() == 2);
        MockEndpoint.assertIsSatisfied(camel);
        assertThat((String[]) columns(topic2).get("eventId")).containsExactlyInAnyOrder(a.toString(), b.toString());
        List<JsonNode> republished = topic3.getExchanges().stream().map(Service1RoutesTest::json).toList();
        assertThat(republished).extracting(event -> event.get("eventId").asText()).containsExactlyInAnyOrder(a.toString(), b.toString());
        assertThat(republished).allSatisfy(event -> {
            assertThat(event.get("eventType").asText()).isEqualTo("activeEvent");
            assertThat(event.has("create_date")).isTrue();
            assertThat(cipher.decrypt(event.get("secretKeyId").asText(), event.get("secretValue").asText())).matches("[a-z]+");
            assertThat(event.get("secretKeyId").asText()).as("the id of the key that sealed it").isEqualTo(cipher.sealingKeyId());
        });
        assertThat(channel.acked).containsExactlyInAnyOrder(1L, 2L);
    }

    @Test
    void aTopic2BatchThatTopic3DoesNotConfirmIsRetriedAndAcknowledgedOnlyOnceConfirmed() throws Exception {
        MockBroker topic3 = camel.getRegistry().lookupByNameAndType("confirmedPublisher", MockBroker.class);
        topic3.confirmNothing = true;

        deliver("direct:topic2", "topic2", QueueMessages.event("activeEvent", UUID.randomUUID(), null), 1);
        deliver("direct:topic2", "topic2", QueueMessages.event("activeEvent", UUID.randomUUID(), null), 2);

        // Not confirming is transient: the batch is retried with backoff for as long as it lasts, nothing acknowledged.
        await().atMost(Duration.ofSeconds(10)).until(() -> topic3.publishes.get() >= 3);
        assertThat(channel.acked).isEmpty();
        topic3.confirmNothing = false;
        await().atMost(Duration.ofSeconds(20)).until(() -> channel.acked.size() == 2);
        assertThat(mock("topic2.dlq").getReceivedCounter()).isZero();
        assertThat(mock("topic3").getReceivedCounter()).isEqualTo(2);
        assertThat(channel.acked).containsExactlyInAnyOrder(1L, 2L);
    }

    private void deliver(String endpoint, String queue, String body, long tag) {
        RouteFiles.deliver(broker, endpoint, queue, body, channel.channel, tag);
    }

    private MockEndpoint mock(String name) {
        return camel.getEndpoint("mock:" + name, MockEndpoint.class);
    }

    private static Map<?, ?> columns(MockEndpoint insert) {
        return insert.getExchanges().get(0).getMessage().getBody(Map.class);
    }

    private static JsonNode json(Exchange exchange) {
        try {
            return JSON.readTree(exchange.getMessage().getBody(String.class));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
