package io.eventflow.dashboard;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

import io.eventflow.config.EventflowProperties;
import io.eventflow.pipeline.Topic;
import org.apache.camel.CamelContext;
import org.springframework.stereotype.Component;

/**
 * One snapshot of the pipeline for {@code GET /api/metrics} and the dashboard's stream: per topic the exact
 * count, latency percentiles and rate, and the topic as modelled (its label, queues, table, route); per queue its depth and
 * consumers.
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

    public MetricsSnapshot snapshot() {
        Instant now = Instant.now();
        // The broker and the database are asked at the same time: the answer waits for the slower, not the sum.
        CompletableFuture<QueueDepths.Sample> depths = CompletableFuture.supplyAsync(queues::depths, brokerCalls);
        Map<Topic, TopicStatistics.Statistics> stats = DatabaseAccess.query(() -> statistics.read(now));

        Map<String, MetricsSnapshot.TopicMetrics> topics = new LinkedHashMap<>();
        for (Topic table : Topic.values()) {
            topics.put(table.table(), topic(table, stats.get(table)));
        }
        QueueDepths.Sample queueSample = depths.join();
        return new MetricsSnapshot(topics, queueSample.depths(), queueSample.takenAt().toString(),
                statistics.window().toSeconds(), statistics.rateWindow().toSeconds(), refreshIntervalMs, now.toString());
    }

    /** The window's figures, then what the page builds its cards, queue rows, chart series and selectors from: the topic as modelled. */
    private static MetricsSnapshot.TopicMetrics topic(Topic model, TopicStatistics.Statistics window) {
        return new MetricsSnapshot.TopicMetrics(window.count(), window.windowRows(), window.avgMs(), window.p50Ms(),
                window.p95Ms(), window.p99Ms(), window.ratePerSec(), model.label(), model.eventType(), model.queue(),
                model.deadLetterQueue(), model.table(), model.route(), model.hasSecretWord(),
                Topic.ingested().contains(model), model.feeds().stream().map(Topic::queue).toList());
    }
}
