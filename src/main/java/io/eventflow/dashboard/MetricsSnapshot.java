package io.eventflow.dashboard;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The answer of {@code GET /api/metrics} and the data of the stream's {@code metrics} event: per topic (in the model's
 * order) its statistics and the topic as modelled, per queue its depth.
 */
record MetricsSnapshot(Map<String, TopicMetrics> topics, Map<String, QueueDepth> queues, String queuesSampledAt,
        long windowSeconds, long rateWindowSeconds, long refreshIntervalMs, String generatedAt) {

    /** One topic: exact count, latency (null when no row fell in the window) and rate, then what the page builds from. */
    record TopicMetrics(long count, long windowCount, Double avgMs, Double p50Ms, Double p95Ms, Double p99Ms,
            double ratePerSec, String label, String eventType, String queue, String deadLetterQueue, String table,
            String route, boolean hasSecretWord, boolean ingested, List<String> feeds) {
    }

    /** One queue: ready messages and consumers, both null with an {@code error} when the broker could not tell. */
    record QueueDepth(boolean deadLetter, Integer messages, Integer consumers,
            @JsonInclude(JsonInclude.Include.NON_NULL) String error) {
    }
}
