package io.eventflow.routes;

import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import io.eventflow.processing.DeadLetters;
import io.eventflow.routes.RouteFiles.MockBroker;
import io.eventflow.routes.RouteFiles.RecordingChannel;
import io.eventflow.support.QueueMessages;
import org.apache.camel.CamelContext;
import org.apache.camel.Consumer;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.support.service.ServiceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * routes/consumers.camel.yaml, with topic1's store route of service1.camel.yaml: how a queue's consumer gathers its
 * deliveries into batches, stores a batch with one insert and acknowledges it after, and what becomes of poison:
 * the batch taken apart, the poison message dead-lettered with its reason, the others stored. The broker's consumer is
 * replaced by {@code direct:topic1}, the insert by {@code mock:insert-topic1}, the dead-letter queue by {@code mock:topic1.dlq}.
 */
class ConsumersRoutesTest {

    private static final int BATCH_SIZE = 3;

    private CamelContext camel;
    private final RecordingChannel channel = new RecordingChannel();
    private ProducerTemplate broker;
    private MockEndpoint inserts;
    private MockEndpoint deadLetters;

    @BeforeEach
    void start() throws Exception {
        camel = RouteFiles.load(RouteFiles.consumerSettings(BATCH_SIZE), "consumers.camel.yaml", "service1.camel.yaml");
        RouteFiles.bindConsumerBeans(camel, new MockBroker(camel));
        AdviceWith.adviceWith(camel, "service1-topic1-batch", route -> route.replaceFromWith("direct:topic1"));
        AdviceWith.adviceWith(camel, "service1-topic2-batch", route -> route.replaceFromWith("direct:topic2"));
        AdviceWith.adviceWith(camel, "service1-topic1", route -> route.weaveByToUri("sql:*").replace().to("mock:insert-topic1"));
        AdviceWith.adviceWith(camel, "service1-topic2", route -> route.weaveByToUri("sql:*").replace().to("mock:insert-topic2"));
        camel.start();
        broker = camel.createProducerTemplate();
        inserts = camel.getEndpoint("mock:insert-topic1", MockEndpoint.class);
        deadLetters = camel.getEndpoint("mock:topic1.dlq", MockEndpoint.class);
    }

    @AfterEach
    void stop() {
        camel.stop();
    }

    @Test
    void aFullBatchIsStoredWithOneInsertAndEachMessageAcknowledgedAfterIt() throws Exception {
        inserts.expectedMessageCount(1);
        inserts.whenAnyExchangeReceived(insert -> assertThat(channel.acked).as("acknowledged before the insert").isEmpty());

        for (long tag = 1; tag <= BATCH_SIZE; tag++) {
            RouteFiles.deliver(broker, "direct:topic1", "topic1", passiveEvent(), channel.channel, tag);
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> channel.acked.size() == BATCH_SIZE);
        inserts.assertIsSatisfied();
        Map<?, ?> columns = inserts.getExchanges().get(0).getMessage().getBody(Map.class);
        assertThat((String[]) columns.get("eventId")).hasSize(BATCH_SIZE);
        assertThat((String[]) columns.get("eventType")).containsOnly("passiveEvent");
        assertThat((String[]) columns.get("processedDate")).doesNotContainNull();
        assertThat(channel.acked).containsExactlyInAnyOrder(1L, 2L, 3L);
        assertThat(channel.requeued).isEmpty();
        deadLetters.expectedMessageCount(0);
        deadLetters.assertIsSatisfied();
    }

    @Test
    void aPoisonMessageIsDeadLetteredWithItsReasonAndTheRestOfItsBatchIsStoredOneByOne() throws Exception {
        // Each good message of the batch stored alone, after the batch failed three times.
        inserts.expectedMessageCount(2);
        deadLetters.expectedMessageCount(1);
        deadLetters.expectedBodiesReceived("not json");
        deadLetters.expectedHeaderReceived(DeadLetters.ROUTE, "service1-topic1");

        RouteFiles.deliver(broker, "direct:topic1", "topic1", passiveEvent(), channel.channel, 1);
        RouteFiles.deliver(broker, "direct:topic1", "topic1", "not json", channel.channel, 2);
        RouteFiles.deliver(broker, "direct:topic1", "topic1", passiveEvent(), channel.channel, 3);

        await().atMost(Duration.ofSeconds(20)).until(() -> channel.acked.size() == 3);
        inserts.assertIsSatisfied();
        deadLetters.assertIsSatisfied();
        assertThat(deadLetters.getExchanges().get(0).getMessage().getHeader(DeadLetters.REASON, String.class)).startsWith("not JSON");
        assertThat(deadLetters.getExchanges().get(0).getMessage().getHeader("x-eventflow-dead-lettered-at")).isNotNull();
        assertThat(channel.acked).containsExactlyInAnyOrder(1L, 2L, 3L);
    }

    @Test
    void aPoisonMessageWhoseDeadLetterIsNotConfirmedGoesBackToItsQueue() throws Exception {
        camel.getRegistry().lookupByNameAndType("confirmedPublisher", MockBroker.class).confirmNothing = true;

        RouteFiles.deliver(broker, "direct:topic1", "topic1", "{\"eventType\":\"activeEvent\"}", channel.channel, 7);
        RouteFiles.deliver(broker, "direct:topic1", "topic1", passiveEvent(), channel.channel, 8);
        RouteFiles.deliver(broker, "direct:topic1", "topic1", passiveEvent(), channel.channel, 9);

        await().atMost(Duration.ofSeconds(20)).until(() -> channel.requeued.size() == 1 && channel.acked.size() == 2);
        assertThat(channel.requeued).contains(7L);
        assertThat(channel.acked).doesNotContain(7L).contains(8L, 9L);
    }

    @Test
    void aConsumerPausedByABatchThatEndsWithoutBeingStoredRunsAgain() throws Exception {
        AtomicReference<Thread> storeThread = new AtomicReference<>();
        inserts.whenAnyExchangeReceived(insert -> {
            storeThread.set(Thread.currentThread());
            throw new SQLTransientConnectionException("the database is unreachable", "08001");
        });
        Consumer consumer = camel.getRoute("service1-topic1-batch").getConsumer();

        for (long tag = 1; tag <= BATCH_SIZE; tag++) {
            RouteFiles.deliver(broker, "direct:topic1", "topic1", passiveEvent(), channel.channel, tag);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> ServiceHelper.isSuspended(consumer));
        // What stopping a listener container does to a batch retrying on its thread: the batch ends, failed, unstored.
        storeThread.get().interrupt();

        // Red if the consumer waited for that batch to be stored: it would stay paused for good.
        await().atMost(Duration.ofSeconds(20)).until(() -> ServiceHelper.isStarted(consumer));
        assertThat(channel.acked).as("acknowledged without being stored").isEmpty();
    }

    static String passiveEvent() {
        return QueueMessages.event("passiveEvent", UUID.randomUUID(), null);
    }
}
