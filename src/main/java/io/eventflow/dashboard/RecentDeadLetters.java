package io.eventflow.dashboard;

import java.time.Instant;
import java.util.Map;

import io.eventflow.api.ProblemException;
import io.eventflow.config.EventflowProperties;
import io.eventflow.processing.DeadLetterQueues;
import org.springframework.amqp.AmqpException;
import org.springframework.stereotype.Component;

/**
 * The dashboard's view of the dead-letter queues: each one's depth and its newest dead letters. A listing browses the
 * broker ({@link DeadLetterQueues}), so one serves every page for {@code eventflow.dashboard.queue-sample-max-age}.
 */
@Component
public class RecentDeadLetters {

    static final int SHOWN = 10;

    private final DeadLetterQueues deadLetters;
    private final long maxAgeNanos;
    private volatile Sample last;

    private record Sample(long takenAtNanos, DeadLetterListing answer) {
    }

    public RecentDeadLetters(DeadLetterQueues deadLetters, EventflowProperties properties) {
        this.deadLetters = deadLetters;
        this.maxAgeNanos = properties.dashboard().queueSampleMaxAge().toNanos();
    }

    /**
     * {@code queues.<name>.dlq}: {@code messages}, {@code browsed}, {@code newest} (up to 10, newest first) or why it was
     * {@code notBrowsed}; {@code sampledAt}.
     */
    public synchronized DeadLetterListing newest() {
        Sample sample = last;
        if (sample == null || System.nanoTime() - sample.takenAtNanos() >= maxAgeNanos) {
            Map<String, DeadLetterQueues.Listing> queues;
            try {
                queues = deadLetters.newest(SHOWN);
            } catch (AmqpException e) {
                throw new ProblemException(503, "Broker unavailable", "the dead-letter queues cannot be read now: " + e.getMessage());
            }
            sample = new Sample(System.nanoTime(), new DeadLetterListing(queues, Instant.now().toString()));
            last = sample;
        }
        return sample.answer();
    }
}
