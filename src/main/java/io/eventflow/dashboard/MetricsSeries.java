package io.eventflow.dashboard;

import java.util.List;
import java.util.Map;

/** The answer of {@code GET /api/metrics/series}: one time per bucket and, per topic, arrays aligned with it. */
record MetricsSeries(String window, int windowSeconds, int bucketSeconds, List<Long> times,
        Map<String, TopicSeries> topics, String generatedAt) {

    /** One topic's buckets: rate, and average and p95 latency (null where a bucket had no event). */
    record TopicSeries(List<Double> ratePerSec, List<Double> avgMs, List<Double> p95Ms) {
    }
}
