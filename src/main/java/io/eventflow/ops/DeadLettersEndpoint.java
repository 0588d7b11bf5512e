package io.eventflow.ops;

import java.util.Map;

import io.eventflow.api.ProblemException;
import io.eventflow.processing.DeadLetterQueues;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.lang.Nullable;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/deadletters} on the management port (behind its login when one is configured) and the MBean
 * {@code org.springframework.boot:type=Endpoint,name=Deadletters} that Hawtio shows: list the dead letters, and send
 * them back to their queue once their cause is fixed, all of them, one queue's or one event's.
 */
@Component
@Endpoint(id = "deadletters")
class DeadLettersEndpoint {

    private static final int DEFAULT_LIMIT = 50;
    private static final int MAX_LIMIT = 1000;

    private final DeadLetterQueues deadLetters;

    DeadLettersEndpoint(DeadLetterQueues deadLetters) {
        this.deadLetters = deadLetters;
    }

    /**
     * Per {@code .dlq}: {@code messages}, {@code browsed} and the {@code newest} (default 50), newest first; or why it was
     * {@code notBrowsed} (another instance's turn, or a quorum queue an older Eventflow declared).
     */
    @ReadOperation
    public Map<String, DeadLetterQueues.Listing> list(@Nullable Integer limit) {
        int shown = limit == null ? DEFAULT_LIMIT : limit;
        if (shown < 1 || shown > MAX_LIMIT) {
            throw new InvalidEndpointRequestException("limit must be from 1 to " + MAX_LIMIT, "Invalid limit");
        }
        return deadLetters.newest(shown);
    }

    /**
     * Moves dead letters back to their queue (published with confirm, then acknowledged): every {@code .dlq}'s, or
     * {@code queue}'s ({@code topic1} or {@code topic1.dlq}), and only event {@code eventId}'s when given. Per {@code .dlq}:
     * {@code replayed}, {@code kept}, {@code unreached} and, when it stopped early, the {@code failure}.
     */
    @WriteOperation
    public Map<String, DeadLetterQueues.Replay> replay(@Nullable String queue, @Nullable String eventId) {
        try {
            return deadLetters.replay(queue, eventId == null || eventId.isBlank() ? null : eventId.trim());
        } catch (ProblemException e) {
            throw new InvalidEndpointRequestException(e.getMessage(), e.getMessage());
        }
    }
}
