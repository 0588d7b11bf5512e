package io.eventflow.dashboard;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import io.eventflow.config.EventflowProperties;
import org.springframework.stereotype.Component;

/**
 * One snapshot of the pipeline for {@code GET /api/metrics} and the dashboard's stream: per topic the exact
 * count, latency percentiles and rate; per queue its depth and consumers.
 */
@Component
public class PipelineMetrics {

    private final TopicStatistics statistics;
    private final QueueDepths queues;
    private final long refreshIntervalMs;

    public PipelineMetrics(TopicStatistics statistics, QueueDepths queues, EventflowProperties properties) {
        this.statistics = statistics;
        this.queues = queues;
        this.refreshIntervalMs = properties.dashboard().refreshInterval().toMillis();
    }

    public Map<String, Object> snapshot() {
        Instant now = Instant.now();
        Map<EventTable, Long> counts = DatabaseAccess.query(statistics::counts);
        Map<EventTable, TopicStatistics.Window> windows = DatabaseAccess.query(() -> statistics.windows(now));

        Map<String, Object> topics = new LinkedHashMap<>();
        for (EventTable table : EventTable.values()) {
            TopicStatistics.Window window = windows.get(table);
            Map<String, Object> topic = new LinkedHashMap<>();
            topic.put("count", counts.get(table));
            topic.put("windowCount", window.rows());
            topic.put("avgMs", window.avgMs());
            topic.put("p50Ms", window.p50Ms());
            topic.put("p95Ms", window.p95Ms());
            topic.put("p99Ms", window.p99Ms());
            topic.put("ratePerSec", window.ratePerSec());
            topics.put(table.table(), topic);
        }

        Map<String, Object> snapshot = new LinkedHashMap<>();
        snapshot.put("topics", topics);
        snapshot.put("queues", queues.depths());
        snapshot.put("windowSeconds", statistics.window().toSeconds());
        snapshot.put("rateWindowSeconds", statistics.rateWindow().toSeconds());
        snapshot.put("refreshIntervalMs", refreshIntervalMs);
        snapshot.put("generatedAt", now.toString());
        return snapshot;
    }
}
