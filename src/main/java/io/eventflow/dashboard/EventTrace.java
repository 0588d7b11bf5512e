package io.eventflow.dashboard;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The answer of {@code GET /api/events/{eventId}}: the event and each table it reached, in processing order.
 * {@code traceId} is the trace of the request that created it (the first stage's), {@code traceUrl} that trace in the
 * tracing backend when {@code eventflow.dashboard.trace-url} is set; both absent when tracing was off.
 */
record EventTrace(String eventId, String eventType, String batchId, String createDate, List<String> path,
        List<Stage> stages, @JsonInclude(JsonInclude.Include.NON_NULL) String traceId,
        @JsonInclude(JsonInclude.Include.NON_NULL) String traceUrl) {

    /** The event as one topic's route stored it; {@code secretWord} only for a topic that has one;
     * {@code secretWordHidden} (then true, and the word {@code (hidden)}) when the reader may not see it;
     * {@code traceId} (and {@code traceUrl}) the trace of the message it consumed: a stage after a republish links to it. */
    record Stage(String topic, String route, String eventType, String batchId, String createDate, String processedDate,
            long totalTimeMs, @JsonInclude(JsonInclude.Include.NON_NULL) String secretWord,
            @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean secretWordHidden,
            @JsonInclude(JsonInclude.Include.NON_NULL) String traceId,
            @JsonInclude(JsonInclude.Include.NON_NULL) String traceUrl) {
    }
}
