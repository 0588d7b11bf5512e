package io.eventflow.dashboard;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import io.eventflow.api.ProblemException;
import io.eventflow.config.EventflowProperties;
import io.eventflow.processing.DeadLetterQueues;
import io.eventflow.security.ReaderAccess;
import org.apache.camel.Exchange;
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
     * A reason can quote the message's body, so a reader who may not see secrets ({@link ReaderAccess}) gets
     * {@link ReaderAccess#HIDDEN} instead.
     */
    public DeadLetterListing newest(Exchange exchange) {
        DeadLetterListing listing = sample();
        return ReaderAccess.maySeeSecrets(exchange) ? listing : withoutReasons(listing);
    }

    private static DeadLetterListing withoutReasons(DeadLetterListing listing) {
        Map<String, DeadLetterQueues.Listing> queues = new LinkedHashMap<>();
        listing.queues().forEach((queue, seen) -> queues.put(queue, new DeadLetterQueues.Listing(seen.messages(), seen.browsed(),
                seen.newest() == null ? null : seen.newest().stream().map(letter -> new DeadLetterQueues.DeadLetter(letter.queue(),
                        letter.deadLetteredAt(), letter.route(), letter.reason() == null ? null : ReaderAccess.HIDDEN,
                        letter.eventId())).toList(),
                seen.error(), seen.notBrowsed())));
        return new DeadLetterListing(queues, listing.sampledAt());
    }

    private synchronized DeadLetterListing sample() {
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
