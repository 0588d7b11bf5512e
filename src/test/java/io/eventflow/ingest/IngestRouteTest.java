package io.eventflow.ingest;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.api.ApiHttpEngine;
import io.eventflow.config.EventflowProperties;
import io.eventflow.infra.ConfirmedPublisher;
import io.eventflow.support.NoHttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The ingest route of routes/ingest.camel.yaml in a bare CamelContext, the broker replaced by a fake
 * {@link ConfirmedPublisher}: which topic each type goes to, what the answer says when the broker confirms only some
 * of the events, and the busy refusal past the in-flight bound or the request's deadline.
 */
class IngestRouteTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final CamelContext camel = new DefaultCamelContext();
    private final FakeBroker broker = new FakeBroker();
    private ProducerTemplate http;

    void start(Map<String, String> settings) throws Exception {
        EventflowProperties properties = new Binder(new MapConfigurationPropertySource(settings))
                .bindOrCreate("eventflow", EventflowProperties.class);
        camel.getRegistry().bind("eventRequestParser", new EventRequestParser(properties));
        camel.getRegistry().bind("eventPublisher", new EventPublisher(broker, properties, new SimpleMeterRegistry()));
        camel.getRegistry().bind("publishOutcome", new PublishOutcome());
        camel.addComponent("no-http", new NoHttpServer());
        camel.getRestConfiguration().setComponent("no-http");
        camel.getRestConfiguration().setInlineRoutes(false);
        // The route configurations first: a route takes its routeConfigurationId as it is built.
        for (String file : new String[] {"routes/errors.camel.yaml", "routes/ingest.camel.yaml"}) {
            PluginHelper.getRoutesLoader(camel).loadRoutes(ResourceHelper.resolveResource(camel, "file:" + file));
        }
        camel.start();
        http = camel.createProducerTemplate();
    }

    @AfterEach
    void stop() {
        broker.release.countDown();
        camel.stop();
    }

    @Test
    void passiveEventsArePublishedToTopic1AndAnswered202() throws Exception {
        start(Map.of());

        Exchange answer = post("{\"eventType\":\"passiveEvent\",\"count\":3}");

        assertThat(broker.published).singleElement().satisfies(batch -> {
            assertThat(batch.queue()).isEqualTo("topic1");
            assertThat(EventRequestParserTest.read(batch.bodies())).hasSize(3)
                    .allSatisfy(event -> assertThat(event).containsEntry("eventType", "passiveEvent"));
        });
        assertThat(status(answer)).isEqualTo(202);
        assertThat(answer.getMessage().getBody(String.class)).contains("\"accepted\": 3", "\"topic\": \"topic1\"");
    }

    @Test
    void activeEventsArePublishedToTopic2() throws Exception {
        start(Map.of());

        Exchange answer = post("{\"eventType\":\"activeEvent\",\"count\":2}");

        assertThat(broker.published).singleElement().satisfies(batch -> {
            assertThat(batch.queue()).isEqualTo("topic2");
            assertThat(batch.bodies()).hasSize(2);
        });
        assertThat(status(answer)).isEqualTo(202);
    }

    @Test
    void unconfirmedPublishesMake503WithTheConfirmedCount() throws Exception {
        start(Map.of());
        broker.outcome = bodies -> new ConfirmedPublisher.Outcome(bodies.size() - 10, "the broker refused the message");

        Exchange answer = post("{\"eventType\":\"passiveEvent\",\"count\":30}");

        assertThat(status(answer)).isEqualTo(503);
        assertThat(answer.getMessage().getHeader(Exchange.CONTENT_TYPE)).isEqualTo("application/problem+json");
        assertThat(answer.getMessage().getHeader("Retry-After")).isNull();
        assertThat(problem(answer)).containsEntry("status", 503).containsEntry("accepted", 20)
                .containsEntry("title", "Broker unavailable");
        assertThat(problem(answer).get("detail").toString()).contains("20 of 30", "refused");
    }

    @Test
    void aRequestPastTheInFlightBoundIsBusyPublishesNothingAndTakesNoPermits() throws Exception {
        start(Map.of("eventflow.ingest.max-in-flight-events", "5"));

        Exchange refused = post("{\"eventType\":\"passiveEvent\",\"count\":10}");

        assertBusy(refused);
        assertThat(broker.published).isEmpty();
        // The whole bound is still free: a request of exactly its size passes.
        assertThat(status(post("{\"eventType\":\"passiveEvent\",\"count\":5}"))).isEqualTo(202);
    }

    @Test
    void eventsWaitingForConfirmsHoldTheBoundUntilTheirOutcome() throws Exception {
        start(Map.of("eventflow.ingest.max-in-flight-events", "5"));
        broker.holdConfirms();

        CompletableFuture<Exchange> first = CompletableFuture.supplyAsync(() -> post("{\"eventType\":\"activeEvent\",\"count\":4}"));
        await().atMost(10, TimeUnit.SECONDS).until(() -> broker.published.size() == 1);
        Exchange second = post("{\"eventType\":\"activeEvent\",\"count\":2}");

        assertBusy(second);
        assertThat(problem(second).get("detail").toString()).contains("4 events are waiting", "bound of 5");
        broker.release.countDown();
        assertThat(status(first.get(10, TimeUnit.SECONDS))).isEqualTo(202);
        assertThat(status(post("{\"eventType\":\"activeEvent\",\"count\":5}"))).isEqualTo(202);
        assertThat(broker.published).hasSize(2);
    }

    @Test
    void permitsComeBackWhenThePublishFails() throws Exception {
        start(Map.of("eventflow.ingest.max-in-flight-events", "5"));
        broker.outcome = bodies -> {
            throw new IllegalStateException("channel closed");
        };

        assertThat(status(post("{\"eventType\":\"passiveEvent\",\"count\":5}"))).isEqualTo(500);
        broker.outcome = bodies -> new ConfirmedPublisher.Outcome(0, "no confirm within the deadline");
        assertThat(status(post("{\"eventType\":\"passiveEvent\",\"count\":5}"))).isEqualTo(503);

        broker.outcome = FakeBroker.ALL_CONFIRMED;
        assertThat(status(post("{\"eventType\":\"passiveEvent\",\"count\":5}"))).isEqualTo(202);
    }

    @Test
    void theDeadlineCountsFromTheRequestsArrival() throws Exception {
        start(Map.of("eventflow.ingest.request-timeout-ms", "10000"));

        post("{\"eventType\":\"passiveEvent\"}", TimeUnit.SECONDS.toNanos(4));
        Exchange late = post("{\"eventType\":\"passiveEvent\"}", TimeUnit.SECONDS.toNanos(11));

        // What the request spent waiting for a thread is not given to the broker again.
        assertThat(broker.published).singleElement().satisfies(batch -> assertThat(batch.timeoutMs()).isBetween(1L, 6000L));
        assertBusy(late);
        assertThat(problem(late).get("detail").toString()).contains("deadline of 10000 ms");
    }

    private static void assertBusy(Exchange answer) throws IOException {
        assertThat(status(answer)).isEqualTo(503);
        assertThat(answer.getMessage().getHeader(Exchange.CONTENT_TYPE)).isEqualTo("application/problem+json");
        assertThat(answer.getMessage().getHeader("Retry-After", String.class)).isEqualTo("1");
        assertThat(problem(answer)).containsEntry("title", "Eventflow is busy").containsEntry("status", 503)
                .containsEntry("accepted", 0).containsKey("detail");
    }

    private static int status(Exchange answer) {
        return answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> problem(Exchange answer) throws IOException {
        return JSON.readValue(answer.getMessage().getBody(String.class), Map.class);
    }

    private Exchange post(String body) {
        return post(body, -1);
    }

    /** A request as the HTTP engine hands it over; {@code arrivedNanosAgo} >= 0 says how long ago it arrived. */
    private Exchange post(String body, long arrivedNanosAgo) {
        Exchange answer = http.request("direct:ingest-events", exchange -> {
            exchange.getMessage().setBody(body);
            exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
            if (arrivedNanosAgo >= 0) {
                exchange.setProperty(ApiHttpEngine.ARRIVED_AT, System.nanoTime() - arrivedNanosAgo);
            }
        });
        // The answer's body may be a stream; read it once, as the HTTP binding would.
        answer.getMessage().setBody(answer.getMessage().getBody(String.class));
        return answer;
    }

    /** The broker: records each batch, answers with {@link #outcome}, and can hold confirms until released. */
    static final class FakeBroker extends ConfirmedPublisher {

        static final Function<List<byte[]>, Outcome> ALL_CONFIRMED = bodies -> new Outcome(bodies.size(), null);

        record Batch(String queue, List<byte[]> bodies, long timeoutMs) {
        }

        final Queue<Batch> published = new ConcurrentLinkedQueue<>();
        final CountDownLatch release = new CountDownLatch(1);
        volatile Function<List<byte[]>, Outcome> outcome = ALL_CONFIRMED;
        private volatile boolean hold;

        FakeBroker() {
            super(new CachingConnectionFactory());
        }

        void holdConfirms() {
            hold = true;
        }

        @Override
        public Outcome publish(String queue, List<byte[]> bodies, long timeoutMs) {
            published.add(new Batch(queue, bodies, timeoutMs));
            if (hold) {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return outcome.apply(bodies);
        }
    }
}
