package io.eventflow.processing;

import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
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

    /** Stamps every row of a batch with the moment the batch is stored. */
    public List<Map<String, Object>> stampAll(List<Map<String, Object>> rows) {
        OffsetDateTime processed = OffsetDateTime.now(clock);
        for (Map<String, Object> row : rows) {
            OffsetDateTime created = (OffsetDateTime) row.get("createDate");
            row.put("processedDate", processed);
            row.put("totalTimeMs", Math.max(0, Duration.between(created, processed).toMillis()));
        }
        return rows;
    }
}
