package io.eventflow.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.TableLock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

/**
 * {@code /api/metrics/series} reads on the dashboard's own pool with a statement timeout, and keeps what it read:
 * a wide window asked for by many pages costs the consumers nothing, and asking again costs the database nothing.
 * Each test has a context of its own: what one test's calls kept (the answer, the settled buckets) must not answer the
 * other's first call.
 */
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_EACH_TEST_METHOD)
@TestPropertySource(properties = {
        "eventflow.data-dir=target/test-data/dashboard-series",
        "eventflow.dashboard.refresh-interval=1s",
        "eventflow.dashboard.query-timeout=500ms"})
class ThroughputSeriesTest extends EventflowIntegrationTest {

    // Cold, 1 h in 60 s buckets: the totals, 12 slices of 5 minutes, the buckets still filling.
    private static final int COLD_STATEMENTS = 14;

    @Autowired
    MeterRegistry meters;

    @Test
    void aSecondCallInTheSameBucketDoesNotQueryTheDatabaseAgainAndLaterOnesReadOnlyTheOpenBuckets() {
        jdbc.update("INSERT INTO topic1 (event_id, event_type, batch_id, create_date, processed_date, total_time_ms, event_data) "
                + "SELECT gen_random_uuid(), 'passiveEvent', gen_random_uuid(), now() - interval '20 minutes', "
                + "now() - interval '20 minutes' + i * interval '1 millisecond', 7, '{}' FROM generate_series(1, 100) AS i");
        double statements = statements();
        long borrowed = dashboardPoolBorrows();

        ResponseEntity<Map> first = http.getForEntity("/api/metrics/series?window=1h", Map.class);
        assertThat(first.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(statements() - statements).isGreaterThanOrEqualTo(COLD_STATEMENTS - 1);
        assertThat(dashboardPoolBorrows()).isGreaterThan(borrowed);
        List<Number> rates = ((Map<String, Map<String, List<Number>>>) first.getBody().get("topics")).get("topic1").get("ratePerSec");
        // Rates are rounded to 0.1/s per 60 s bucket, and the 100 rows may straddle two buckets.
        assertThat(rates.stream().mapToDouble(Number::doubleValue).sum() * 60).isCloseTo(100.0, within(6.0));

        double afterFirst = statements();
        long borrowedAfterFirst = dashboardPoolBorrows();
        ResponseEntity<Map> second = http.getForEntity("/api/metrics/series?window=1h", Map.class);
        assertThat(second.getBody()).isEqualTo(first.getBody());
        assertThat(statements()).isEqualTo(afterFirst);
        assertThat(dashboardPoolBorrows()).as("connections taken from the dashboard pool").isEqualTo(borrowedAfterFirst);

        // Once the answer is older than refresh-interval, a call reads again: only the buckets still filling.
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
            http.getForEntity("/api/metrics/series?window=1h", Map.class);
            return statements() > afterFirst;
        });
        assertThat(statements() - afterFirst).as("statements of a warm call").isLessThanOrEqualTo(3);
    }

    @Test
    void aSettledBucketReportsTheAverageAndTheP95ThatPercentileContGivesForItsRows() {
        // 1,000 rows in one minute, latencies spread so that the 95th percentile falls between two different values.
        jdbc.update("INSERT INTO topic1 (event_id, event_type, batch_id, create_date, processed_date, total_time_ms, event_data) "
                + "SELECT gen_random_uuid(), 'passiveEvent', gen_random_uuid(), now(), "
                + "date_trunc('minute', now() - interval '20 minutes') + i * interval '1 millisecond', i * i % 997, '{}' "
                + "FROM generate_series(1, 1000) AS i");
        Map<String, Object> expected = jdbc.queryForMap("SELECT extract(epoch FROM date_trunc('minute', min(processed_date)))::bigint AS bucket, "
                + "avg(total_time_ms)::float8 AS avg_ms, percentile_cont(0.95) WITHIN GROUP (ORDER BY total_time_ms) AS p95_ms FROM topic1");

        Map<String, Object> body = http.getForEntity("/api/metrics/series?window=1h", Map.class).getBody();
        int at = ((List<Number>) body.get("times")).stream().map(Number::longValue).toList().indexOf(((Number) expected.get("bucket")).longValue());
        Map<String, List<Number>> topic1 = ((Map<String, Map<String, List<Number>>>) body.get("topics")).get("topic1");
        assertThat(topic1.get("avgMs").get(at).doubleValue()).isEqualTo(Math.round((double) expected.get("avg_ms") * 10) / 10.0);
        assertThat(topic1.get("p95Ms").get(at).doubleValue()).isEqualTo(Math.round((double) expected.get("p95_ms") * 10) / 10.0);
    }

    @Test
    void consumersKeepStoringWhileManySeriesCallsHitTheStatementTimeout() throws Exception {
        // A read of topic1 that cannot finish: an exclusive lock held by another transaction makes every series read
        // outlast the 500 ms statement timeout, on a fast database as on a slow one. The pipeline below stores
        // active events (topic2 and topic3), which the lock does not touch; only the pools are shared.
        List<ResponseEntity<Map>> answers = new CopyOnWriteArrayList<>();
        AtomicBoolean storm = new AtomicBoolean(true);
        ExecutorService pages = Executors.newFixedThreadPool(24);
        try (TableLock lock = TableLock.hold(jdbc.getDataSource().getConnection(), "topic1", "ACCESS EXCLUSIVE")) {
            try {
                for (int i = 0; i < 24; i++) {
                    pages.execute(() -> {
                        while (storm.get()) {
                            answers.add(http.getForEntity("/api/metrics/series?window=1h", Map.class));
                        }
                    });
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> answers.size() >= 5);

                postEvents("{\"eventType\":\"activeEvent\",\"count\":100}");
                await().atMost(Duration.ofSeconds(10)).until(() -> rows("topic3") == 100);
            } finally {
                storm.set(false);
                pages.shutdown();
                assertThat(pages.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
                lock.release();
            }
        }

        assertThat(answers).allSatisfy(answer -> assertThat(answer.getStatusCode().value()).isIn(200, 503));
        assertThat(answers).anySatisfy(answer -> {
            assertThat(answer.getStatusCode().value()).isEqualTo(503);
            assertThat(answer.getBody()).containsEntry("title", "Query took too long");
            assertThat(answer.getHeaders().getFirst("Retry-After")).isNotBlank();
        });
    }

    private double statements() {
        return meters.get("eventflow.dashboard.series.queries").counter().count();
    }

    /** Connections ever taken from the dashboard's pool; its meters appear when the pool starts, at its first use. */
    private long dashboardPoolBorrows() {
        Timer usage = meters.find("hikaricp.connections.usage").tag("pool", "dashboard").timer();
        return usage == null ? 0 : usage.count();
    }
}
