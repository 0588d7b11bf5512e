package io.eventflow.support;

import java.util.List;
import java.util.Map;

import io.eventflow.infra.BrokerTopology;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.QueueInformation;
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

/**
 * The whole application on the broker and database of the run's mode: embedded by default, the machine's
 * RabbitMQ and PostgreSQL with {@code -Pexternal}. Each test starts from empty tables and queues.
 */
@CamelSpringBootTest
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class EventflowIntegrationTest {

    public static final List<String> TABLES = List.of("topic1", "topic2", "topic3");

    @Autowired
    protected TestRestTemplate http;
    @Autowired
    protected JdbcTemplate jdbc;
    @Autowired
    protected AmqpAdmin amqp;
    @Autowired
    private DataSourceProperties dataSource;

    @BeforeEach
    void startEmpty() {
        jdbc.execute("TRUNCATE topic1, topic2, topic3");
        for (String queue : BrokerTopology.QUEUES) {
            amqp.purgeQueue(queue, false);
            amqp.purgeQueue(queue + BrokerTopology.DLQ_SUFFIX, false);
        }
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
        for (String queue : BrokerTopology.QUEUES) {
            assertThat(depth(queue + BrokerTopology.DLQ_SUFFIX)).as(queue + BrokerTopology.DLQ_SUFFIX).isZero();
        }
    }

    protected int depth(String queue) {
        QueueInformation info = amqp.getQueueInfo(queue);
        return info == null ? -1 : info.getMessageCount();
    }
}
