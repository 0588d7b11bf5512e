package io.eventflow.ingest;

import java.sql.Timestamp;
import java.time.Duration;

import io.eventflow.pipeline.Topic;
import io.eventflow.support.EventflowIntegrationTest;
import org.apache.camel.CamelContext;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.QueueInformation;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The warm-up before readiness: it ran, readiness waited for it, and none of its made-up requests reached a queue or
 * a table. Not an {@link EventflowIntegrationTest}: that empties the tables before each test, which would hide rows a
 * warm-up stored; a context of its own (its own warm-up size) so the warm-up ran just now, at this context's start.
 */
@CamelSpringBootTest
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestPropertySource(properties = {"eventflow.ingest.warmup-requests=3000", "eventflow.data-dir=target/test-data/ingest-warmup"})
class IngestWarmupTest {

    @Autowired
    IngestWarmup warmup;
    @Autowired
    ApplicationAvailability availability;
    @Autowired
    JdbcTemplate jdbc;
    @Autowired
    AmqpAdmin amqp;
    @Autowired
    CamelContext camel;

    @Test
    void readinessWaitsForTheWarmup() {
        IngestWarmup.Run run = warmup.lastRun();

        assertThat(run).as("a warm-up ran at start-up").isNotNull();
        // All 3,000 unless the machine is so slow that the warm-up's time bound ended it first.
        assertThat(run.requests()).isBetween(1, 3000);
        // Every third request is active with two events, the others passive with one: each message was read back.
        assertThat(run.messages()).isEqualTo(run.requests() + run.requests() / 3);
        assertThat(run.readinessWhenDone()).as("readiness when the warm-up ended").isEqualTo(ReadinessState.REFUSING_TRAFFIC);
        assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
    }

    @Test
    void theWarmupPublishesAndStoresNothing() {
        IngestWarmup.Run run = warmup.lastRun();
        // Had it published, its messages would be in a queue or, once the consumers are done, in a table.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).during(Duration.ofSeconds(1))
                .until(() -> Topic.QUEUES.stream().allMatch(queue -> depth(queue) == 0)
                        && camel.getInflightRepository().size() == 0);
        for (Topic topic : Topic.values()) {
            assertThat(jdbc.queryForObject("SELECT count(*) FROM " + topic.table() + " WHERE create_date BETWEEN ? AND ?", Long.class,
                    Timestamp.from(run.started()), Timestamp.from(run.finished())))
                    .as("rows of %s created during the warm-up", topic.table()).isZero();
            assertThat(depth(topic.deadLetterQueue())).as(topic.deadLetterQueue()).isZero();
        }
    }

    private int depth(String queue) {
        QueueInformation info = amqp.getQueueInfo(queue);
        return info == null ? -1 : info.getMessageCount();
    }
}
