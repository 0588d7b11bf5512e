package io.eventflow.ingest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import io.eventflow.config.EventflowProperties;
import io.eventflow.infra.ConfirmedPublisher;
import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.SlowLink;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.amqp.RabbitProperties;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.http.ResponseEntity;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Behind a broker that takes messages slowly and confirms them more slowly still (the embedded broker reached through
 * a {@link SlowLink}), 10,000-event requests with a 5 s deadline: Eventflow holds no more than its in-flight bound
 * of events at any time, never publishes after its answer what the answer said was not published, and stays up.
 */
@TestPropertySource(properties = {
        "eventflow.data-dir=target/test-data/slow-broker",
        "eventflow.ingest.request-timeout-ms=5000",
        "eventflow.ingest.max-in-flight-events=10000"})
@Import(SlowBrokerIngestTest.SlowBroker.class)
@DirtiesContext
class SlowBrokerIngestTest extends EventflowIntegrationTest {

    private static final int CLIENTS = 8;
    private static final int EVENTS = 10_000;
    private static final Duration TRAFFIC = Duration.ofSeconds(10);

    /** The ingest publishes through a slow link; the consumers read the broker directly. */
    @TestConfiguration
    static class SlowBroker {

        @Bean(destroyMethod = "close")
        SlowLink slowLink(RabbitProperties rabbit) throws Exception {
            return new SlowLink(rabbit.determineHost(), rabbit.determinePort(), 256 * 1024, 16 * 1024);
        }

        @Bean
        @Primary
        ConfirmedPublisher slowPublisher(SlowLink link, RabbitProperties rabbit, EventflowProperties properties) {
            CachingConnectionFactory connections = new CachingConnectionFactory("127.0.0.1", link.port());
            connections.setUsername(rabbit.determineUsername());
            connections.setPassword(rabbit.determinePassword());
            connections.setVirtualHost(rabbit.determineVirtualHost());
            connections.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
            connections.setPublisherReturns(true);
            return new ConfirmedPublisher(connections, properties);
        }
    }

    @Autowired
    EventPublisher ingest;
    @Autowired
    SlowLink link;

    @Test
    void aBrokerThatConfirmsSlowlyNeverMakesEventflowHoldMoreThanItsBoundOrPublishWhatItRefused() throws Exception {
        Queue<Map<String, Object>> answers = new ConcurrentLinkedQueue<>();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        long end = System.nanoTime() + TRAFFIC.toNanos();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                running.add(clients.submit(() -> {
                    while (System.nanoTime() < end) {
                        answers.add(answer(postEvents("{\"eventType\":\"passiveEvent\",\"count\":" + EVENTS + "}")));
                    }
                }));
            }
            for (Future<?> client : running) {
                client.get();
            }
        } finally {
            clients.shutdownNow();
        }

        // Everything sent is answered for by the broker in the end: the in-flight count comes back to zero.
        await().atMost(Duration.ofSeconds(90)).until(() -> ingest.eventsInFlight() == 0);
        // Whatever Eventflow still held has gone out once nothing crosses the link for a while; then it is stored.
        long[] carried = {-1};
        await().atMost(Duration.ofSeconds(180)).during(Duration.ofSeconds(3)).until(() -> {
            long now = link.bytesUp();
            boolean quiet = now == carried[0];
            carried[0] = now;
            return quiet;
        });
        await().atMost(Duration.ofSeconds(90)).during(Duration.ofSeconds(2)).until(() -> depth("topic1") == 0);

        Map<String, Map<String, Object>> byBatch = answers.stream().filter(a -> a.get("batchId") != null)
                .collect(Collectors.toMap(a -> (String) a.get("batchId"), a -> a));
        Map<String, Integer> stored = jdbc.queryForList("SELECT batch_id::text AS b, count(*) AS n FROM topic1 GROUP BY batch_id")
                .stream().collect(Collectors.toMap(row -> (String) row.get("b"), row -> ((Number) row.get("n")).intValue()));
        int storedBeyondAccepted = 0;
        for (Map.Entry<String, Integer> batch : stored.entrySet()) {
            Map<String, Object> answer = byBatch.get(batch.getKey());
            assertThat(answer).as("the answer to the request of stored batch %s", batch.getKey()).isNotNull();
            int accepted = (Integer) answer.get("accepted");
            int unconfirmed = (Integer) answer.getOrDefault("unconfirmed", 0);
            assertThat(batch.getValue()).as("events stored of batch %s, answered %s", batch.getKey(), answer)
                    .isBetween(accepted, accepted + unconfirmed);
            storedBeyondAccepted += batch.getValue() - accepted;
        }
        int unconfirmed = answers.stream().mapToInt(a -> (Integer) a.getOrDefault("unconfirmed", 0)).sum();
        assertThat(storedBeyondAccepted).as("events stored that no answer accepted (all said unconfirmed)").isLessThanOrEqualTo(unconfirmed);
        Map<Object, Long> titles = answers.stream().collect(Collectors.groupingBy(a -> a.getOrDefault("title", "Accepted"), Collectors.counting()));
        System.out.println("SlowBrokerIngestTest: answers by title " + titles + ", " + unconfirmed + " events answered unconfirmed, "
                + storedBeyondAccepted + " of them stored, " + stored.values().stream().mapToInt(Integer::intValue).sum() + " stored in all");
        assertThat(titles).as("answers by title").containsKey("Broker unavailable");
        assertThat(http.getForEntity("/api/metrics", String.class).getStatusCode().value()).as("the process still answers").isEqualTo(200);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> answer(ResponseEntity<Map> response) {
        Map<String, Object> answer = new HashMap<>(response.getBody());
        answer.put("status", response.getStatusCode().value());
        return answer;
    }
}
