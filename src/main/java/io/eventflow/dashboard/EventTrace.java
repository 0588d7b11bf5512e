package io.eventflow.dashboard;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/** The answer of {@code GET /api/events/{eventId}}: the event and each table it reached, in processing order. */
record EventTrace(String eventId, String eventType, String batchId, String createDate, List<String> path,
        List<Stage> stages) {

    /** The event as one topic's route stored it; {@code secretWord} only for a topic that has one. */
    record Stage(String topic, String route, String eventType, String batchId, String createDate, String processedDate,
            long totalTimeMs, @JsonInclude(JsonInclude.Include.NON_NULL) String secretWord) {
    }
}
