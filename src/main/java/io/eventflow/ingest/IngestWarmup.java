package io.eventflow.ingest;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.eventflow.config.EventflowProperties;
import io.eventflow.pipeline.Topic;
import io.eventflow.processing.Delivery;
import io.eventflow.processing.EventReader;
import org.apache.camel.CamelContext;
import org.apache.camel.support.DefaultExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Runs a one-event request's parsing and message building, and the consumers' reading of those messages, on requests
 * made up here, before readiness turns UP ({@code eventflow.ingest.warmup-requests} of them): the JIT compiles them
 * before the first user's request. The messages go to no queue and no table; they are dropped here.
 * <p>
 * Spring Boot turns readiness UP right after the {@link ApplicationReadyEvent} listeners returned, so this one runs
 * on that event's thread: readiness waits for it.
 */
@Component
public class IngestWarmup {

    private static final Logger LOG = LoggerFactory.getLogger(IngestWarmup.class);
    private static final byte[] PASSIVE = "{\"eventType\":\"passiveEvent\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] ACTIVE = "{\"eventType\":\"activeEvent\",\"count\":2}".getBytes(StandardCharsets.UTF_8);
    private static final String KEY = "eventflow-startup-warmup-key";
    /** However slow the machine, readiness waits no longer than this for the warm-up (start to ready stays < 15 s). */
    private static final Duration AT_MOST = Duration.ofSeconds(3);

    private final EventRequestParser parser;
    private final EventReader reader;
    private final CamelContext camel;
    private final ApplicationAvailability availability;
    private final int requests;
    private volatile Run last;

    /** What a warm-up did: requests parsed, when, and the readiness state when it ended. */
    public record Run(int requests, int messages, Instant started, Instant finished, ReadinessState readinessWhenDone) {
    }

    public IngestWarmup(EventRequestParser parser, EventReader reader, CamelContext camel, ApplicationAvailability availability,
            EventflowProperties properties) {
        this.parser = parser;
        this.reader = reader;
        this.camel = camel;
        this.availability = availability;
        this.requests = properties.ingest().warmupRequests();
    }

    @EventListener(ApplicationReadyEvent.class)
    void beforeReadiness() {
        if (requests > 0) {
            warmUp();
        }
    }

    /**
     * Parses up to {@code requests} requests (2:1 passive/active, a quarter with an Idempotency-Key) and reads their
     * messages, for {@link #AT_MOST} at most.
     */
    Run warmUp() {
        Instant started = Instant.now();
        long deadline = System.nanoTime() + AT_MOST.toNanos();
        int messages = 0, i = 0;
        for (; i < requests && System.nanoTime() - deadline < 0; i++) {
            boolean active = i % 3 == 2;
            // An exchange of its own that no endpoint ever sees: the parser sets its properties, nothing sends it.
            List<byte[]> built = parser.parse("application/json", i % 4 == 0 ? KEY : null, active ? ACTIVE : PASSIVE,
                    new DefaultExchange(camel));
            Topic topic = active ? Topic.TOPIC2 : Topic.TOPIC1;
            messages += reader.readAll(built.stream()
                    .map(body -> new Delivery(body, "application/json", topic.queue(), null, 0, null)).toList(), topic.eventType()).size();
        }
        Run run = new Run(i, messages, started, Instant.now(), availability.getReadinessState());
        last = run;
        LOG.info("Warmed up the ingest before readiness: {} requests made up here parsed and read back in {} ms, none published",
                i, run.finished().toEpochMilli() - started.toEpochMilli());
        return run;
    }

    /** The warm-up this process ran, null if none. */
    public Run lastRun() {
        return last;
    }
}
