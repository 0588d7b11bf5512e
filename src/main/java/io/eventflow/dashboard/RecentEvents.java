package io.eventflow.dashboard;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/** The answer of {@code GET /api/events/recent}: the newest stored events of one topic, newest first. */
record RecentEvents(String topic, int limit, List<StoredEvent> events) {

    /** One row; {@code secretWord} only for a topic that has one;
     * {@code secretWordHidden} (then true, and the word {@code (hidden)}) when the reader may not see it. */
    record StoredEvent(String eventId, String eventType, String batchId, String createDate, String processedDate,
            long totalTimeMs, @JsonInclude(JsonInclude.Include.NON_NULL) String secretWord,
            @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean secretWordHidden) {
    }
}
