package io.eventflow.processing;

import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Map;

import org.springframework.stereotype.Component;

/** Stamps a row with when it was processed and how long it took since the event was created. */
@Component
public class ProcessingClock {

    private final Clock clock;

    public ProcessingClock() {
        this(Clock.systemUTC());
    }

    ProcessingClock(Clock clock) {
        this.clock = clock;
    }

    public Map<String, Object> stamp(Map<String, Object> row) {
        OffsetDateTime processed = OffsetDateTime.now(clock);
        OffsetDateTime created = (OffsetDateTime) row.get("createDate");
        row.put("processedDate", processed);
        row.put("totalTimeMs", Math.max(0, Duration.between(created, processed).toMillis()));
        return row;
    }
}
