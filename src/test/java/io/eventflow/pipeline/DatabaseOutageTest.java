package io.eventflow.pipeline;

import java.time.Duration;

import io.eventflow.support.DatabaseFaults;
import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.LogLines;
import io.eventflow.support.MachineServices;
import org.apache.camel.CamelContext;
import org.apache.camel.support.service.ServiceHelper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A database that refuses every connection for a long time: the consumers stop taking messages and give back those
 * they held, so no delivery waits unacknowledged through the outage (RabbitMQ would time it out, deliver it again and
 * count it toward the delivery limit until it dead-letters a healthy event); they resume when the database is back.
 */
class DatabaseOutageTest extends EventflowIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final long SHORT_CONSUMER_TIMEOUT_MS = 5000;

    @Autowired
    CamelContext camel;
    @Autowired
    CachingConnectionFactory connectionFactory;

    @Test
    void consumersPauseWhileTheDatabaseIsUnreachableAndResumeWhenItIsBack() {
        DatabaseFaults database = databaseFaults();
        database.refuseConnections(true);
        try {
            assertThat(postEvents("{\"eventType\":\"passiveEvent\",\"count\":300}").getStatusCode().value()).isEqualTo(202);
            assertThat(postEvents("{\"eventType\":\"activeEvent\",\"count\":200}").getStatusCode().value()).isEqualTo(202);
            // Red without the pause: the consumers keep taking and holding deliveries for the whole outage.
            await().atMost(PATIENCE).until(() -> paused("service1-topic1-batch") && paused("service1-topic2-batch"));
            // Every event is back on its queue, waiting there rather than in a consumer.
            await().atMost(PATIENCE).until(() -> depth("topic1") == 300 && depth("topic2") == 200);
        } finally {
            database.refuseConnections(false);
        }

        awaitEveryEventStoredOnce(300, 200);
        await().atMost(PATIENCE).until(() -> !paused("service1-topic1-batch") && !paused("service1-topic2-batch")
                && !paused("service2-topic3-batch"));
    }

    @Test
    @EnabledIfSystemProperty(named = "eventflow.embedded", matches = "false",
            disabledReason = "RabbitMQ's consumer_timeout, set on the machine's node for the test: the embedded broker has none")
    void outageLongerThanTheBrokersConsumerTimeoutDeadLettersNothing() {
        String previous = MachineServices.rabbitmqEval("application:get_env(rabbit, consumer_timeout).");
        // The broker looks for overdue acknowledgements once per channel tick.
        long tick = Long.parseLong(MachineServices.rabbitmqEval("element(2, application:get_env(rabbit, channel_tick_interval))."));
        DatabaseFaults database = databaseFaults();
        MachineServices.rabbitmqEval("application:set_env(rabbit, consumer_timeout, " + SHORT_CONSUMER_TIMEOUT_MS + ").");
        try (LogLines channelCloses = LogLines.of(CachingConnectionFactory.class)) {
            // A channel reads the timeout when it opens.
            connectionFactory.resetConnection();
            database.refuseConnections(true);
            try {
                assertThat(postEvents("{\"eventType\":\"passiveEvent\",\"count\":300}").getStatusCode().value()).isEqualTo(202);
                // Red without the pause: a tick after the timeout the broker closes the consumer's channel for the
                // deliveries it holds, and every round raises their delivery count toward the delivery limit. Watched
                // from the first delivery on, before anything else is awaited, so a missing pause fails here.
                Duration outage = Duration.ofMillis(SHORT_CONSUMER_TIMEOUT_MS + 2 * tick);
                await().during(outage).atMost(outage.plus(PATIENCE))
                        .until(() -> !channelCloses.contains("delivery acknowledgement on channel"));
                assertThat(paused("service1-topic1-batch")).as("topic1's consumer paused through the outage").isTrue();
            } finally {
                database.refuseConnections(false);
            }
            awaitEveryEventStoredOnce(300, 0);
        } finally {
            MachineServices.rabbitmqEval(previous.startsWith("{ok,")
                    ? "application:set_env(rabbit, consumer_timeout, " + previous.substring(4, previous.length() - 1) + ")."
                    : "application:unset_env(rabbit, consumer_timeout).");
            connectionFactory.resetConnection();
        }
    }

    private boolean paused(String consumerRoute) {
        return ServiceHelper.isSuspended(camel.getRoute(consumerRoute).getConsumer());
    }

    private void awaitEveryEventStoredOnce(long passive, long active) {
        // The test's own pooled connections were ended too: the first query on one of them fails.
        await().atMost(PATIENCE).ignoreExceptions()
                .until(() -> rows("topic1") == passive && rows("topic2") == active && rows("topic3") == active);
        assertStoredOnceAndNothingDeadLettered();
    }
}
