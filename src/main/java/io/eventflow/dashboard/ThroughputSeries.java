package io.eventflow.dashboard;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

import io.eventflow.api.ProblemException;
import io.eventflow.config.EventflowProperties;
import io.eventflow.pipeline.Topic;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Header;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Throughput and latency per topic in time buckets, for the dashboard's charts: {@code GET /api/metrics/series}.
 * Only a few fixed windows are offered, each cut into at most 60 buckets; the cost follows the rows inside the
 * window (through the processed_date index), not the table's history.
 * <p>
 * A bucket that ended more than {@link #SETTLE} ago no longer changes: it is read once, at most
 * {@link #SLICE_SECONDS} of rows per statement (so each stays well inside the dashboard pool's statement timeout),
 * and kept. Each call then reads only the buckets still filling, and one answer serves every caller of the window for
 * {@code min(bucket, refresh-interval)}. A delete or truncate (the exact counts go down) clears what was kept.
 */
@Component
public class ThroughputSeries {

    /** window name -> {window seconds, bucket seconds} */
    private static final Map<String, int[]> WINDOWS = windows();
    // A batch is stamped (processed_date) before its insert commits, normally milliseconds earlier.
    private static final Duration SETTLE = Duration.ofSeconds(10);
    private static final int SLICE_SECONDS = 300;
    private static final int WAITED_RETRY_AFTER_SECONDS = 2;

    // percentile_cont(0.95) sorted every bucket's rows, and the planner sorted them all by bucket first. The same
    // figures from a hashed histogram (bucket, total_time_ms -> rows): p95 is interpolated between the two ranks exactly
    // as percentile_cont does it. OFFSET 0 keeps the planner's guess at the histogram's size small enough to hash.
    private static final String FIGURES = """
            (SELECT '%1$s' AS topic, extract(epoch FROM bin)::bigint AS bin_start, n, avg_ms,
                    lo::float8 + (hi::float8 - lo::float8) * (0.95::float8 * (n - 1) - floor(0.95::float8 * (n - 1))) AS p95_ms
             FROM (SELECT bin, max(n)::bigint AS n, sum(ms * c) / max(n) AS avg_ms,
                          min(ms) FILTER (WHERE upto > floor(0.95::float8 * (n - 1))) AS lo,
                          min(ms) FILTER (WHERE upto > ceil(0.95::float8 * (n - 1))) AS hi
                   FROM (SELECT bin, ms, c, sum(c) OVER (PARTITION BY bin ORDER BY ms) AS upto,
                                sum(c) OVER (PARTITION BY bin) AS n
                         FROM (SELECT bin, ms, count(*) AS c
                               FROM (SELECT date_bin(? * interval '1 second', processed_date, timestamptz 'epoch') AS bin,
                                            total_time_ms AS ms
                                     FROM %1$s WHERE processed_date >= ? AND processed_date < ? OFFSET 0) AS event
                               GROUP BY bin, ms) AS histogram) AS ranked
                   GROUP BY bin) AS figures)""";
    private static final String SERIES = Arrays.stream(Topic.values())
            .map(t -> FIGURES.formatted(t.table()))
            .collect(Collectors.joining(" UNION ALL "));
    private static final String TOTALS = "SELECT topic, sum(rows) AS total FROM event_counts GROUP BY topic";

    private final JdbcTemplate jdbc;
    private final Duration answerMaxAge;
    private final Counter queries;
    /** bucket seconds -> bucket index -> the settled bucket's figures per topic */
    private final Map<Integer, Map<Long, Map<Topic, Figures>>> settled = new ConcurrentHashMap<>();
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final Duration queryTimeout;
    private volatile Map<String, Long> totals = Map.of();

    public ThroughputSeries(@Qualifier(DashboardDatabase.QUALIFIER) JdbcTemplate jdbc, EventflowProperties properties,
                            MeterRegistry meters) {
        this.jdbc = jdbc;
        this.answerMaxAge = properties.dashboard().refreshInterval();
        this.queryTimeout = properties.dashboard().queryTimeout();
        this.queries = Counter.builder("eventflow.dashboard.series.queries")
                .description("SQL statements /api/metrics/series sent to the database").register(meters);
    }

    /** One bucket of one topic: rows, and their average and p95 latency. */
    private record Figures(long rows, double avgMs, double p95Ms) {
    }

    private record Answer(MetricsSeries body, long madeAt) {
    }

    public MetricsSeries series(@Header("window") String window) {
        String name = window == null || window.isBlank() ? "5m" : window;
        int[] spec = WINDOWS.get(name);
        if (spec == null) {
            throw new ProblemException(400, "Unknown window", "window must be one of " + String.join(", ", WINDOWS.keySet()));
        }
        long maxAgeNanos = Math.min(Duration.ofSeconds(spec[1]).toNanos(), answerMaxAge.toNanos());
        Answer answer = answers.get(name);
        if (answer != null && System.nanoTime() - answer.madeAt() < maxAgeNanos) {
            return answer.body();
        }
        // Callers of one window wait for one reading instead of each running it, but no longer than one statement
        // may take: they hold threads of the REST routes' pool, which the ingest shares.
        ReentrantLock lock = locks.computeIfAbsent(name, n -> new ReentrantLock());
        if (!acquire(lock)) {
            throw ProblemException.unavailable("Series being read", "another request is reading the " + name
                    + " window from the event store; try again shortly", WAITED_RETRY_AFTER_SECONDS);
        }
        try {
            answer = answers.get(name);
            if (answer != null && System.nanoTime() - answer.madeAt() < maxAgeNanos) {
                return answer.body();
            }
            MetricsSeries body = DatabaseAccess.query(() -> read(name, spec[0], spec[1]));
            answers.put(name, new Answer(body, System.nanoTime()));
            return body;
        } finally {
            lock.unlock();
        }
    }

    private boolean acquire(ReentrantLock lock) {
        try {
            return lock.tryLock(queryTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private MetricsSeries read(String name, int windowSeconds, int bucketSeconds) {
        forgetIfRowsWentAway();
        long nowSeconds = Instant.now().getEpochSecond();
        long lastBucket = Math.floorDiv(nowSeconds, bucketSeconds);
        long firstBucket = lastBucket - windowSeconds / bucketSeconds + 1;
        // Buckets before this one ended at least SETTLE ago.
        long firstOpen = Math.floorDiv(nowSeconds - SETTLE.toSeconds(), bucketSeconds);
        Map<Long, Map<Topic, Figures>> kept = settled.computeIfAbsent(bucketSeconds, b -> new ConcurrentHashMap<>());
        kept.keySet().removeIf(bucket -> bucket < firstBucket);

        int sliceBuckets = Math.max(1, SLICE_SECONDS / bucketSeconds);
        long bucket = firstBucket;
        while (bucket < firstOpen) {
            if (kept.containsKey(bucket)) {
                bucket++;
                continue;
            }
            long end = bucket;
            while (end < firstOpen && end - bucket < sliceBuckets && !kept.containsKey(end)) {
                end++;
            }
            Map<Long, Map<Topic, Figures>> slice = query(bucketSeconds, bucket, end);
            for (long b = bucket; b < end; b++) {
                kept.put(b, slice.getOrDefault(b, Map.of()));
            }
            bucket = end;
        }
        Map<Long, Map<Topic, Figures>> open = query(bucketSeconds, Math.max(firstOpen, firstBucket), lastBucket + 1);

        List<Long> times = new ArrayList<>();
        Map<Topic, List<Double>[]> values = new EnumMap<>(Topic.class);
        for (Topic table : Topic.values()) {
            values.put(table, new List[] {new ArrayList<Double>(), new ArrayList<Double>(), new ArrayList<Double>()});
        }
        for (long b = firstBucket; b <= lastBucket; b++) {
            times.add(b * bucketSeconds);
            Map<Topic, Figures> figures = b < firstOpen ? kept.getOrDefault(b, Map.of()) : open.getOrDefault(b, Map.of());
            // The current bucket is still filling: its rate is over the seconds it has lasted so far.
            long elapsed = b == lastBucket ? Math.max(1, nowSeconds - lastBucket * bucketSeconds + 1) : bucketSeconds;
            for (Topic table : Topic.values()) {
                Figures f = figures.get(table);
                List<Double>[] series = values.get(table);
                series[0].add(f == null ? 0.0 : rounded(f.rows() / (double) elapsed));
                series[1].add(f == null ? null : rounded(f.avgMs()));
                series[2].add(f == null ? null : rounded(f.p95Ms()));
            }
        }
        Map<String, MetricsSeries.TopicSeries> topics = new LinkedHashMap<>();
        values.forEach((table, series) -> topics.put(table.table(), new MetricsSeries.TopicSeries(series[0], series[1], series[2])));
        return new MetricsSeries(name, windowSeconds, bucketSeconds, times, topics, Instant.ofEpochSecond(nowSeconds).toString());
    }

    /** Buckets from {@code first} up to (not including) {@code end}, one statement. */
    private Map<Long, Map<Topic, Figures>> query(int bucketSeconds, long first, long end) {
        Map<Long, Map<Topic, Figures>> buckets = new HashMap<>();
        if (first >= end) {
            return buckets;
        }
        OffsetDateTime from = OffsetDateTime.ofInstant(Instant.ofEpochSecond(first * bucketSeconds), ZoneOffset.UTC);
        OffsetDateTime to = OffsetDateTime.ofInstant(Instant.ofEpochSecond(end * bucketSeconds), ZoneOffset.UTC);
        Object[] parameters = new Object[Topic.values().length * 3];
        for (int i = 0; i < Topic.values().length; i++) {
            parameters[i * 3] = bucketSeconds;
            parameters[i * 3 + 1] = from;
            parameters[i * 3 + 2] = to;
        }
        queries.increment();
        jdbc.query(SERIES, rs -> {
            buckets.computeIfAbsent(Math.floorDiv(rs.getLong("bin_start"), bucketSeconds), b -> new EnumMap<>(Topic.class))
                    .put(EventTable.require(rs.getString("topic")),
                            new Figures(rs.getLong("n"), rs.getDouble("avg_ms"), rs.getDouble("p95_ms")));
        }, parameters);
        return buckets;
    }

    /** Rows only ever arrive, except by a delete or truncate: then the kept buckets may hold rows that are gone. */
    private void forgetIfRowsWentAway() {
        Map<String, Long> now = new HashMap<>();
        queries.increment();
        jdbc.query(TOTALS, rs -> {
            now.put(rs.getString("topic"), rs.getLong("total"));
        });
        Map<String, Long> before = totals;
        if (before.entrySet().stream().anyMatch(e -> now.getOrDefault(e.getKey(), 0L) < e.getValue())) {
            settled.clear();
        }
        totals = now;
    }

    private static Double rounded(double value) {
        return Math.round(value * 10) / 10.0;
    }

    private static Map<String, int[]> windows() {
        Map<String, int[]> windows = new LinkedHashMap<>();
        windows.put("1m", new int[] {60, 2});
        windows.put("5m", new int[] {300, 5});
        windows.put("15m", new int[] {900, 15});
        windows.put("1h", new int[] {3600, 60});
        return windows;
    }
}
