package io.eventflow.dashboard;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.eventflow.config.EventflowProperties;
import io.eventflow.pipeline.Topic;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
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
public class QueueDepths implements MeterBinder {

    static final List<String> QUEUES = queues();

    private final AmqpAdmin amqp;
    private final long maxAgeNanos;
    private volatile Sample last;

    /** The depths of every queue as the broker gave them at {@code takenAt}. */
    public record Sample(long takenAtNanos, Instant takenAt, Map<String, MetricsSnapshot.QueueDepth> depths) {
    }

    public QueueDepths(AmqpAdmin amqp, EventflowProperties properties) {
        this.amqp = amqp;
        this.maxAgeNanos = properties.dashboard().queueSampleMaxAge().toNanos();
    }

    /**
     * {@code eventflow_queue_depth{queue}}: ready messages of every queue and dead-letter queue, from the same shared
     * sample as the dashboard; no value (NaN) while the broker is unreachable or the queue is missing.
     */
    @Override
    public void bindTo(MeterRegistry meters) {
        for (String queue : QUEUES) {
            Gauge.builder("eventflow.queue.depth", this, depths -> {
                MetricsSnapshot.QueueDepth depth = depths.depths().depths().get(queue);
                return depth == null || depth.messages() == null ? Double.NaN : depth.messages();
            }).tag("queue", queue).description("messages ready in the queue").register(meters);
        }
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

    private Map<String, MetricsSnapshot.QueueDepth> read() {
        Map<String, MetricsSnapshot.QueueDepth> depths = new LinkedHashMap<>();
        String brokerError = null;
        for (String queue : QUEUES) {
            boolean deadLetter = queue.endsWith(Topic.DLQ_SUFFIX);
            if (brokerError == null) {
                try {
                    QueueInformation info = amqp.getQueueInfo(queue);
                    depths.put(queue, info == null ? unknown(deadLetter, "queue not declared")
                            : new MetricsSnapshot.QueueDepth(deadLetter, info.getMessageCount(), info.getConsumerCount(), null));
                    continue;
                } catch (AmqpException e) {
                    brokerError = "broker unreachable";
                }
            }
            depths.put(queue, unknown(deadLetter, brokerError));
        }
        return depths;
    }

    private static MetricsSnapshot.QueueDepth unknown(boolean deadLetter, String error) {
        return new MetricsSnapshot.QueueDepth(deadLetter, null, null, error);
    }

    private static List<String> queues() {
        List<String> queues = new ArrayList<>(Topic.QUEUES);
        Arrays.stream(Topic.values()).forEach(topic -> queues.add(topic.deadLetterQueue()));
        return List.copyOf(queues);
    }
}
