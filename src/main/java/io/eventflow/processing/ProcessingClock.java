package io.eventflow.processing;

import java.time.Clock;
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

    /** Stamps every row of a batch with the moment the batch is stored (the insert derives total_time_ms from it). */
    public List<Map<String, Object>> stampAll(List<Map<String, Object>> rows) {
        String processed = clock.instant().toString();
        for (Map<String, Object> row : rows) {
            row.put("processedDate", processed);
        }
        return rows;
    }
}
