package io.eventflow.support;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.eventflow.infra.DeadLetterQueueDeclarations;
import io.eventflow.pipeline.Topic;
import org.apache.camel.CamelContext;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.QueueInformation;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.jdbc.DataSourceProperties;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole application on the broker and database of the run's mode: embedded by default, the machine's
 * RabbitMQ and PostgreSQL with {@code -Pexternal}. Each test starts from empty tables and queues, once the previous
 * test's deliveries are finished: a batch still being stored would otherwise land in the next test's empty tables.
 */
@CamelSpringBootTest
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class EventflowIntegrationTest {

    public static final List<String> TABLES = Stream.of(Topic.values()).map(Topic::table).toList();
    /** The routes a delivery passes through from its queue to its table or dead-letter queue. */
    private static final List<String> DELIVERY_ROUTES = Stream.concat(
            Stream.of(Topic.values()).flatMap(topic -> Stream.of(topic.batchRoute(), topic.route())), Stream.of("dead-letter")).toList();

    @Autowired
    protected TestRestTemplate http;
    @Autowired
    protected JdbcTemplate jdbc;
    @Autowired
    protected AmqpAdmin amqp;
    @Autowired
    private DataSourceProperties dataSource;
    @Autowired
    private CamelContext pipeline;
    @Autowired
    private ObjectProvider<DeadLetterQueueDeclarations> deadLetterQueues;

    @BeforeEach
    void startEmpty() {
        // Quiet for a while, not for one look: a batch waits up to eventflow.consumers.batch-wait-ms in its aggregator,
        // where neither the broker nor the in-flight count sees it.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .during(Duration.ofMillis(250)).until(this::noDeliveryInFlight);
        jdbc.execute("TRUNCATE " + String.join(", ", TABLES));
        for (Topic topic : Topic.values()) {
            amqp.purgeQueue(topic.queue(), false);
            amqp.purgeQueue(topic.deadLetterQueue(), false);
        }
    }

    /** The queues declared again, as on every connect: RabbitAdmin's round and, on RabbitMQ, the dead-letter queues. */
    protected void declareQueuesAgain() {
        ((RabbitAdmin) amqp).initialize();
        deadLetterQueues.ifAvailable(DeadLetterQueueDeclarations::declareNow);
    }

    private boolean noDeliveryInFlight() {
        return DELIVERY_ROUTES.stream().allMatch(route -> pipeline.getInflightRepository().size(route) == 0)
                && Topic.QUEUES.stream().allMatch(queue -> depth(queue) <= 0);
    }

    protected ResponseEntity<Map> postEvents(String json) {
        return postEvents("/api/events", json, MediaType.APPLICATION_JSON);
    }

    protected ResponseEntity<Map> postEvents(String path, String body, MediaType contentType) {
        HttpHeaders headers = new HttpHeaders();
        if (contentType != null) {
            headers.setContentType(contentType);
        }
        return http.postForEntity(path, new HttpEntity<>(body, headers), Map.class);
    }

    protected long rows(String table) {
        if (!TABLES.contains(table)) {
            throw new IllegalArgumentException(table);
        }
        return jdbc.queryForObject("SELECT count(*) FROM " + table, Long.class);
    }

    /** Faults of this run's own database: read-only, refusing connections. */
    protected DatabaseFaults databaseFaults() {
        return new DatabaseFaults(dataSource);
    }

    /** No table holds an event twice and no dead-letter queue holds anything. */
    protected void assertStoredOnceAndNothingDeadLettered() {
        for (String table : TABLES) {
            assertThat(jdbc.queryForObject("SELECT count(DISTINCT event_id) FROM " + table, Long.class)).as(table).isEqualTo(rows(table));
        }
        for (Topic topic : Topic.values()) {
            assertThat(depth(topic.deadLetterQueue())).as(topic.deadLetterQueue()).isZero();
        }
    }

    protected int depth(String queue) {
        QueueInformation info = amqp.getQueueInfo(queue);
        return info == null ? -1 : info.getMessageCount();
    }

    /** The consumers the broker counts on a queue, -1 when there is no such queue. */
    protected int consumers(String queue) {
        QueueInformation info = amqp.getQueueInfo(queue);
        return info == null ? -1 : info.getConsumerCount();
    }

    /** Rows, ready messages, consumers and deliveries in Eventflow's routes of a topic: what a timed-out wait shows. */
    protected String progress(String topic) {
        Topic model = Topic.named(topic).orElseThrow();
        int inFlight = pipeline.getInflightRepository().size(model.batchRoute()) + pipeline.getInflightRepository().size(model.route());
        return topic + ": " + rows(topic) + " rows, " + depth(topic) + " ready, " + consumers(topic) + " consumers, " + inFlight
                + " deliveries in flight in its routes";
    }
}
