package io.eventflow.dashboard;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.eventflow.config.EventflowProperties;
import io.eventflow.infra.BrokerTopology;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.QueueInformation;
import org.springframework.stereotype.Component;

/**
 * Ready messages and consumers of every Eventflow queue and dead-letter queue, by passive declare: works on any
 * AMQP 0-9-1 broker (RabbitMQ, the embedded Qpid). An unreachable broker is reported per queue, not thrown, so
 * the database's numbers still reach the page.
 * <p>
 * A sample serves every caller for {@code eventflow.dashboard.queue-sample-max-age}: a depth is a moving number
 * anyway, and many open pages or a polling script then cost the broker six declares per interval, not per request.
 */
@Component
public class QueueDepths {

    static final List<String> QUEUES = queues();

    private final AmqpAdmin amqp;
    private final long maxAgeNanos;
    private volatile Sample last;

    /** The depths of every queue as the broker gave them at {@code takenAt}. */
    public record Sample(long takenAtNanos, Instant takenAt, Map<String, Map<String, Object>> depths) {
    }

    public QueueDepths(AmqpAdmin amqp, EventflowProperties properties) {
        this.amqp = amqp;
        this.maxAgeNanos = properties.dashboard().queueSampleMaxAge().toNanos();
    }

    public Sample depths() {
        Sample sample = last;
        if (sample != null && System.nanoTime() - sample.takenAtNanos() < maxAgeNanos) {
            return sample;
        }
        synchronized (this) {
            sample = last;
            if (sample == null || System.nanoTime() - sample.takenAtNanos() >= maxAgeNanos) {
                long takenAt = System.nanoTime();
                sample = new Sample(takenAt, Instant.now(), Collections.unmodifiableMap(read()));
                last = sample;
            }
            return sample;
        }
    }

    private Map<String, Map<String, Object>> read() {
        Map<String, Map<String, Object>> depths = new LinkedHashMap<>();
        String brokerError = null;
        for (String queue : QUEUES) {
            Map<String, Object> depth = new LinkedHashMap<>();
            depth.put("deadLetter", queue.endsWith(BrokerTopology.DLQ_SUFFIX));
            if (brokerError == null) {
                try {
                    QueueInformation info = amqp.getQueueInfo(queue);
                    if (info == null) {
                        brokerErrorFields(depth, "queue not declared");
                    } else {
                        depth.put("messages", info.getMessageCount());
                        depth.put("consumers", info.getConsumerCount());
                    }
                } catch (AmqpException e) {
                    brokerError = "broker unreachable";
                }
            }
            if (brokerError != null) {
                brokerErrorFields(depth, brokerError);
            }
            depths.put(queue, depth);
        }
        return depths;
    }

    private static void brokerErrorFields(Map<String, Object> depth, String error) {
        depth.put("messages", null);
        depth.put("consumers", null);
        depth.put("error", error);
    }

    private static List<String> queues() {
        List<String> queues = new ArrayList<>(BrokerTopology.QUEUES);
        BrokerTopology.QUEUES.forEach(queue -> queues.add(queue + BrokerTopology.DLQ_SUFFIX));
        return List.copyOf(queues);
    }
}
