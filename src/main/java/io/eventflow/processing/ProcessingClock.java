package io.eventflow.processing;

import java.time.Clock;
import java.util.List;

import org.springframework.stereotype.Component;

/** Stamps an event with when it was processed (the insert derives how long it took since the event was created). */
@Component
public class ProcessingClock {

    private final Clock clock;

    public ProcessingClock() {
        this(Clock.systemUTC());
    }

    ProcessingClock(Clock clock) {
        this.clock = clock;
    }

    /** Stamps every event of a batch with the moment the batch is stored (the insert derives total_time_ms from it). */
    public List<Event> stampAll(List<Event> events) {
        String processed = clock.instant().toString();
        events.replaceAll(event -> event.processedAt(processed));
        return events;
    }
}
