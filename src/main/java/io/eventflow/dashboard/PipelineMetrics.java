package io.eventflow.dashboard;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

import io.eventflow.config.EventflowProperties;
import org.apache.camel.CamelContext;
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
    private final ExecutorService brokerCalls;

    public PipelineMetrics(TopicStatistics statistics, QueueDepths queues, EventflowProperties properties, CamelContext camel) {
        this.statistics = statistics;
        this.queues = queues;
        this.refreshIntervalMs = properties.dashboard().refreshInterval().toMillis();
        // Its own small pool, never the HTTP threads': a request waiting on a task queued behind requests could stall.
        this.brokerCalls = camel.getExecutorServiceManager().newFixedThreadPool(this, "dashboard-queue-depths", 2);
    }

    public Map<String, Object> snapshot() {
        Instant now = Instant.now();
        // The broker and the database are asked at the same time: the answer waits for the slower, not the sum.
        CompletableFuture<QueueDepths.Sample> depths = CompletableFuture.supplyAsync(queues::depths, brokerCalls);
        Map<EventTable, TopicStatistics.Statistics> stats = DatabaseAccess.query(() -> statistics.read(now));

        Map<String, Object> topics = new LinkedHashMap<>();
        for (EventTable table : EventTable.values()) {
            TopicStatistics.Statistics window = stats.get(table);
            Map<String, Object> topic = new LinkedHashMap<>();
            topic.put("count", window.count());
            topic.put("windowCount", window.windowRows());
            topic.put("avgMs", window.avgMs());
            topic.put("p50Ms", window.p50Ms());
            topic.put("p95Ms", window.p95Ms());
            topic.put("p99Ms", window.p99Ms());
            topic.put("ratePerSec", window.ratePerSec());
            topics.put(table.table(), topic);
        }

        Map<String, Object> snapshot = new LinkedHashMap<>();
        snapshot.put("topics", topics);
        QueueDepths.Sample queueSample = depths.join();
        snapshot.put("queues", queueSample.depths());
        snapshot.put("queuesSampledAt", queueSample.takenAt().toString());
        snapshot.put("windowSeconds", statistics.window().toSeconds());
        snapshot.put("rateWindowSeconds", statistics.rateWindow().toSeconds());
        snapshot.put("refreshIntervalMs", refreshIntervalMs);
        snapshot.put("generatedAt", now.toString());
        return snapshot;
    }
}
