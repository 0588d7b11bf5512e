package io.eventflow.routes;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.eventflow.support.LogLines;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.QueueInformation;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * routes/DeadLetterWatch.java, the Java DSL route, compiled from the file as Eventflow loads it: each look puts every
 * dead-letter queue's depth in the gauge eventflow_dead_letters{queue}, and says once in the log when a queue gained
 * letters. The broker's queue information is a stub; the timer ticks every 20 ms instead of 15 s.
 */
class DeadLetterWatchRouteTest {

    private CamelContext camel;
    private final Map<String, Integer> depths = new ConcurrentHashMap<>(Map.of("topic1.dlq", 0, "topic2.dlq", 0, "topic3.dlq", 0));
    private final MeterRegistry meters = new SimpleMeterRegistry();

    @BeforeEach
    void start() throws Exception {
        camel = RouteFiles.load(Map.of(), Map.of("amqpAdmin", new StubBroker(depths), "meters", meters), "DeadLetterWatch.java");
        AdviceWith.adviceWith(camel, "dead-letter-watch", route -> route.replaceFromWith("timer:watch-test?period=20"));
    }

    @AfterEach
    void stop() {
        camel.stop();
    }

    @Test
    void eachLookSetsTheGaugesAndAGrowingQueueIsLoggedOnce() throws Exception {
        depths.put("topic3.dlq", 4);
        try (LogLines log = LogLines.of("dead-letter-watch")) {
            NotifyBuilder looked = new NotifyBuilder(camel).fromRoute("dead-letter-watch").whenDone(3).create();
            camel.start();

            assertThat(looked.matches(10, TimeUnit.SECONDS)).isTrue();
            assertThat(gauge("topic3.dlq")).isEqualTo(4);
            assertThat(gauge("topic1.dlq")).isZero();
            assertThat(log.count("topic3.dlq holds 4 dead letters (+4 since the last look)")).isEqualTo(1);
            assertThat(log.contains("topic1.dlq")).isFalse();
        }
    }

    private double gauge(String queue) {
        return meters.get("eventflow.dead.letters").tag("queue", queue).gauge().value();
    }

    /** The broker's answer to a passive declare: each queue's depth as the test sets it. */
    static final class StubBroker extends RabbitAdmin {

        private final Map<String, Integer> depths;

        StubBroker(Map<String, Integer> depths) {
            super(new CachingConnectionFactory());
            this.depths = depths;
        }

        @Override
        public QueueInformation getQueueInfo(String queueName) {
            Integer depth = depths.get(queueName);
            return depth == null ? null : new QueueInformation(queueName, depth, 0);
        }
    }
}
