package io.eventflow.pipeline;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.processing.SecretCipher;
import io.eventflow.support.EventflowIntegrationTest;
import org.apache.camel.CamelContext;
import org.apache.camel.Navigate;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.component.springrabbit.SpringRabbitMQEndpoint;
import org.apache.camel.processor.aggregate.AggregateProcessor;
import org.apache.camel.spi.ThreadPoolProfile;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class PipelineFlowTest extends EventflowIntegrationTest {

    @Autowired
    CamelContext camel;
    @Autowired
    RabbitTemplate rabbit;
    @Autowired
    SecretCipher cipher;

    @Test
    void passiveEventsAreStoredInTopic1Only() {
        ResponseEntity<Map> answer = postEvents("{\"eventType\":\"passiveEvent\",\"count\":7}");

        assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
        assertThat(answer.getBody()).containsEntry("accepted", 7).containsEntry("topic", "topic1").containsKey("batchId");
        await().atMost(Duration.ofSeconds(20)).until(() -> rows("topic1") == 7);
        assertThat(rows("topic2")).isZero();
        assertThat(rows("topic3")).isZero();
        assertThat(jdbc.queryForObject("SELECT count(DISTINCT batch_id) FROM topic1 WHERE batch_id = ?::uuid",
                Long.class, answer.getBody().get("batchId"))).isEqualTo(1);
    }

    @Test
    void activeEventsAreStoredInTopic2AndTopic3WithTheDecryptedWord() {
        ResponseEntity<Map> answer = postEvents("{\"eventType\":\"activeEvent\",\"count\":25}");

        assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
        assertThat(answer.getBody()).containsEntry("accepted", 25).containsEntry("topic", "topic2");
        await().atMost(Duration.ofSeconds(20)).until(() -> rows("topic3") == 25);
        assertThat(rows("topic2")).isEqualTo(25);
        assertThat(rows("topic1")).isZero();
        // Every stored word is the plaintext of the ciphertext its event carried: the very word service 1 sealed.
        assertThat(jdbc.queryForList("SELECT secret_word FROM topic3", String.class))
                .allSatisfy(word -> assertThat(word).matches("[a-z]+"));
        assertThat(jdbc.queryForList("SELECT event_data->>'secretValue' AS sealed, secret_word FROM topic3"))
                .hasSize(25)
                .allSatisfy(row -> assertThat(row.get("secret_word")).isEqualTo(cipher.decrypt((String) row.get("sealed"))));
    }

    @Test
    void actionEventIsAcceptedAsTheDemoNameOfActiveEvent() {
        ResponseEntity<Map> answer = postEvents("/events", "{\"eventType\":\"actionEvent\"}", org.springframework.http.MediaType.APPLICATION_JSON);

        assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
        assertThat(answer.getBody()).containsEntry("accepted", 1).containsEntry("topic", "topic2");
        await().atMost(Duration.ofSeconds(20)).until(() -> rows("topic3") == 1);
        assertThat(jdbc.queryForObject("SELECT event_type FROM topic3", String.class)).isEqualTo("activeEvent");
    }

    @Test
    void publishedEventsArePersistentJsonMessagesCarryingOnlyTheEvent() throws Exception {
        camel.getRouteController().stopRoute("service1-topic1-batch");
        try {
            ResponseEntity<Map> answer = postEvents("{\"eventType\":\"passiveEvent\"}");
            assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);

            Message message = await().atMost(Duration.ofSeconds(20)).until(() -> rabbit.receive("topic1"), java.util.Objects::nonNull);
            assertThat(message.getMessageProperties().getReceivedDeliveryMode()).isEqualTo(MessageDeliveryMode.PERSISTENT);
            assertThat(message.getMessageProperties().getContentType()).isEqualTo("application/json");
            // No HTTP or Camel header travels; only what a broker adds itself (RabbitMQ: x-delivery-count) and the
            // publisher's return correlation, which tells a returned (unroutable) message from a confirmed one.
            assertThat(message.getMessageProperties().getHeaders().keySet()).allSatisfy(name -> assertThat(name)
                    .matches("x-.*|spring_listener_return_correlation|spring_returned_message_correlation"));
            Map<String, Object> event = new ObjectMapper().readValue(message.getBody(), Map.class);
            assertThat(event).containsOnlyKeys("eventId", "eventType", "create_date", "batchId")
                    .containsEntry("eventType", "passiveEvent")
                    .containsEntry("batchId", answer.getBody().get("batchId"));
        } finally {
            camel.getRouteController().startRoute("service1-topic1-batch");
        }
    }

    @Test
    void rowsCarryProcessingStampsAndTheMessageAsReceived() {
        postEvents("{\"eventType\":\"passiveEvent\"}");
        await().atMost(Duration.ofSeconds(20)).until(() -> rows("topic1") == 1);

        Map<String, Object> row = jdbc.queryForMap("SELECT create_date, processed_date, total_time_ms, "
                + "event_data->>'eventId' = event_id::text AS same_id, "
                + "extract(epoch FROM processed_date - create_date) * 1000 AS elapsed_ms FROM topic1");
        assertThat(row.get("same_id")).isEqualTo(true);
        assertThat(((Number) row.get("total_time_ms")).longValue())
                .isGreaterThanOrEqualTo(0)
                .isCloseTo(((Number) row.get("elapsed_ms")).longValue(), org.assertj.core.data.Offset.offset(1L));
    }

    @Test
    void everyQueueConsumerRunsWithTheTunedSettings() {
        for (Topic topic : Topic.values()) {
            String routeId = topic.batchRoute();
            Route route = camel.getRoute(routeId);
            SpringRabbitMQEndpoint endpoint = (SpringRabbitMQEndpoint) route.getEndpoint();
            assertThat(endpoint.isAutoDeclare()).as(routeId).isFalse();
            assertThat(endpoint.getMessageListenerContainerType()).as(routeId).isEqualTo("SMLC");
            assertThat(endpoint.getAcknowledgeMode()).as(routeId).isEqualTo(AcknowledgeMode.MANUAL);
            assertThat(endpoint.getConcurrentConsumers()).as(routeId).isEqualTo(2);
            assertThat(endpoint.getPrefetchCount()).as(routeId).isEqualTo(500);
            AggregateProcessor batches = aggregatorOf(route.navigate());
            assertThat(batches.getCompletionSize()).as(routeId).isEqualTo(250);
            assertThat(batches.getCompletionInterval()).as(routeId).isEqualTo(10);
        }
        ThreadPoolProfile storePool = camel.getExecutorServiceManager().getThreadPoolProfile("batchStorePool");
        assertThat(storePool.getPoolSize()).isEqualTo(3);
        assertThat(storePool.getMaxPoolSize()).isEqualTo(3);
    }

    @Test
    void everyQueueConsumersThreadsAreNamedForItsQueue() {
        for (Topic topic : Topic.values()) {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                    .extracting(Thread::getName).as("the threads of %s's consumer", topic.queue())
                    .contains("consumer-" + topic.queue() + "-1", "consumer-" + topic.queue() + "-2"));
        }
        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName).noneMatch(name -> name.startsWith("not.a.Spring.bean"));
    }

    @Test
    void aBatchNoStoreThreadTookWaitsForOneInsteadOfRunningOnTheConsumersThread() throws Exception {
        ThreadPoolProfile profile = camel.getExecutorServiceManager().getThreadPoolProfile("batchStorePool");
        ExecutorService storePool = camel.getExecutorServiceManager().newThreadPool(this, "store-pool-test", "batchStorePool");
        CountDownLatch storesDone = new CountDownLatch(1);
        try {
            for (int busy = 0; busy < profile.getMaxPoolSize(); busy++) {
                storePool.execute(() -> {
                    try {
                        storesDone.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            AtomicReference<Thread> storedOn = new AtomicReference<>();
            // The aggregator hands a completed batch over on the thread that completed it: a consumer's listener thread.
            storePool.execute(() -> storedOn.set(Thread.currentThread()));
            // Red with a direct hand-over: the pool would have run the batch right here, on the consumer's thread, which
            // pausing the consumer interrupts (and a paused consumer would then wait for a batch that never ends).
            assertThat(storedOn.get()).as("stored on the consumer's thread while every store thread was busy").isNull();
            storesDone.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> storedOn.get() != null);
            assertThat(storedOn.get()).isNotSameAs(Thread.currentThread());
        } finally {
            storesDone.countDown();
            camel.getExecutorServiceManager().shutdownNow(storePool);
        }
    }

    private static AggregateProcessor aggregatorOf(Navigate<Processor> node) {
        for (Processor processor : node.next()) {
            if (processor instanceof AggregateProcessor aggregate) {
                return aggregate;
            }
            if (processor instanceof Navigate<?> inner && inner.hasNext()) {
                @SuppressWarnings("unchecked")
                AggregateProcessor found = aggregatorOf((Navigate<Processor>) inner);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }
}
