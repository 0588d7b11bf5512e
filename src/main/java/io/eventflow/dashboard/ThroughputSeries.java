package io.eventflow.dashboard;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.eventflow.api.ProblemException;
import org.apache.camel.Header;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Throughput and latency per topic in time buckets, for the dashboard's charts: {@code GET /api/metrics/series}.
 * Only a few fixed windows are offered, each cut into at most 60 buckets; the cost follows the rows inside the
 * window (through the processed_date index), not the table's history.
 */
@Component
public class ThroughputSeries {

    /** window name -> {window seconds, bucket seconds} */
    private static final Map<String, int[]> WINDOWS = windows();

    private static final String SERIES = Arrays.stream(EventTable.values())
            .map(t -> "SELECT '" + t.table() + "' AS topic,"
                    + " floor(extract(epoch FROM processed_date) / ?)::bigint AS bucket, count(*) AS n,"
                    + " avg(total_time_ms) AS avg_ms,"
                    + " percentile_cont(0.95) WITHIN GROUP (ORDER BY total_time_ms) AS p95_ms"
                    + " FROM " + t.table() + " WHERE processed_date >= ? GROUP BY 2")
            .collect(Collectors.joining(" UNION ALL "));

    private final JdbcTemplate jdbc;

    public ThroughputSeries(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public Map<String, Object> series(@Header("window") String window) {
        String name = window == null || window.isBlank() ? "5m" : window;
        int[] spec = WINDOWS.get(name);
        if (spec == null) {
            throw new ProblemException(400, "Unknown window", "window must be one of " + String.join(", ", WINDOWS.keySet()));
        }
        int bucketSeconds = spec[1];
        long nowSeconds = Instant.now().getEpochSecond();
        long lastBucket = Math.floorDiv(nowSeconds, bucketSeconds);
        long firstBucket = lastBucket - spec[0] / bucketSeconds + 1;
        int buckets = (int) (lastBucket - firstBucket + 1);
        OffsetDateTime from = OffsetDateTime.ofInstant(Instant.ofEpochSecond(firstBucket * bucketSeconds), ZoneOffset.UTC);

        Map<EventTable, Double[][]> values = new EnumMap<>(EventTable.class);
        for (EventTable table : EventTable.values()) {
            Double[] rate = new Double[buckets];
            Arrays.fill(rate, 0.0);
            values.put(table, new Double[][] {rate, new Double[buckets], new Double[buckets]});
        }
        Object[] parameters = new Object[EventTable.values().length * 2];
        for (int i = 0; i < EventTable.values().length; i++) {
            parameters[i * 2] = bucketSeconds;
            parameters[i * 2 + 1] = from;
        }
        DatabaseAccess.query(() -> {
            jdbc.query(SERIES, rs -> {
                int index = (int) (rs.getLong("bucket") - firstBucket);
                if (index < 0 || index >= buckets) {
                    return;
                }
                // The current bucket is still filling: its rate is over the seconds it has lasted so far.
                long elapsed = index == buckets - 1 ? Math.max(1, nowSeconds - lastBucket * bucketSeconds + 1) : bucketSeconds;
                Double[][] topic = values.get(EventTable.require(rs.getString("topic")));
                topic[0][index] = rounded(rs.getLong("n") / (double) elapsed);
                topic[1][index] = rounded(rs.getDouble("avg_ms"));
                topic[2][index] = rounded(rs.getDouble("p95_ms"));
            }, parameters);
            return null;
        });

        List<Long> times = new ArrayList<>(buckets);
        for (long bucket = firstBucket; bucket <= lastBucket; bucket++) {
            times.add(bucket * bucketSeconds);
        }
        Map<String, Object> topics = new LinkedHashMap<>();
        values.forEach((table, series) -> {
            Map<String, Object> topic = new LinkedHashMap<>();
            topic.put("ratePerSec", Arrays.asList(series[0]));
            topic.put("avgMs", Arrays.asList(series[1]));
            topic.put("p95Ms", Arrays.asList(series[2]));
            topics.put(table.table(), topic);
        });
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("window", name);
        answer.put("windowSeconds", spec[0]);
        answer.put("bucketSeconds", bucketSeconds);
        answer.put("times", times);
        answer.put("topics", topics);
        answer.put("generatedAt", Instant.ofEpochSecond(nowSeconds).toString());
        return answer;
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
