package io.eventflow.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Steady traffic into Eventflow processes, one client thread per process, two passive requests to one active, until
 * closed; it keeps every batch a 202 answer accepted, and when each refusal (any other answer or no answer) came.
 * A process that is no longer alive gets no more requests. {@link #keyed} traffic sends each request with an
 * Idempotency-Key and sends a refused one again with its key until a 202 (README "Retrying safely"), so even through
 * a broker outage or a killed process every request ends accepted, and the tables must hold exactly its events.
 */
public final class Traffic implements AutoCloseable {

    /** Where the traffic goes: an Eventflow process, or the application of a test's own context ({@link #local}). */
    public interface Target {
        String name();

        boolean isAlive();

        /** POST /api/events, with the header Idempotency-Key unless {@code idempotencyKey} is null. */
        HttpResponse<String> send(String json, String idempotencyKey) throws IOException, InterruptedException;
    }

    /** The Eventflow listening on {@code port} of this host, alive as long as the test runs. */
    public static Target local(int port) {
        HttpClient http = HttpClient.newHttpClient();
        return new Target() {
            @Override
            public String name() {
                return "local-" + port;
            }

            @Override
            public boolean isAlive() {
                return true;
            }

            @Override
            public HttpResponse<String> send(String json, String idempotencyKey) throws IOException, InterruptedException {
                return http.send(request(URI.create("http://127.0.0.1:" + port + "/api/events"), json, idempotencyKey),
                        HttpResponse.BodyHandlers.ofString());
            }
        };
    }

    /** A POST of JSON with a 30 s deadline, and the Idempotency-Key header if {@code idempotencyKey} is not null. */
    public static HttpRequest request(URI uri, String json, String idempotencyKey) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return request.build();
    }

    private static final Pattern BATCH_ID = Pattern.compile("\"batchId\"\\s*:\\s*\"([0-9a-f-]{36})\"");
    private static final Pattern TITLE = Pattern.compile("\"title\"\\s*:\\s*\"([^\"]*)\"");

    private final Map<String, Integer> passiveBatches = new ConcurrentHashMap<>();
    private final Map<String, Integer> activeBatches = new ConcurrentHashMap<>();
    private final List<Long> refusedAtMillis = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> refusalAnswers = new ConcurrentHashMap<>();
    private final AtomicLong inDoubt = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong slowestAnswerMillis = new AtomicLong();
    private final List<Thread> clients = new ArrayList<>();
    private volatile boolean running = true;

    private final boolean keyed;

    /** Starts one client per process: a request of {@code eventsPerRequest} events every {@code pause}. */
    public Traffic(List<? extends Target> processes, int eventsPerRequest, Duration pause) {
        this(processes, eventsPerRequest, pause, false);
    }

    /**
     * As the constructor, each request with a key of its own, sent again with it after each refusal (every {@code pause})
     * until a 202, also after {@link #close()} began: it gets an answer or it is counted {@link #inDoubt()}.
     */
    public static Traffic keyed(List<? extends Target> processes, int eventsPerRequest, Duration pause) {
        return new Traffic(processes, eventsPerRequest, pause, true);
    }

    private Traffic(List<? extends Target> processes, int eventsPerRequest, Duration pause, boolean keyed) {
        this.keyed = keyed;
        for (Target process : processes) {
            Thread client = new Thread(() -> send(process, eventsPerRequest, pause), "traffic-" + process.name());
            client.setDaemon(true);
            client.start();
            clients.add(client);
        }
    }

    private void send(Target process, int events, Duration pause) {
        for (long n = 0; running && process.isAlive(); n++) {
            boolean active = n % 3 == 2;
            String json = "{\"eventType\":\"" + (active ? "activeEvent" : "passiveEvent") + "\",\"count\":" + events + "}";
            String key = keyed ? UUID.randomUUID().toString() : null;
            try {
                boolean answered = accepted(process, json, active, events, key);
                while (!answered && keyed && process.isAlive()) {
                    Thread.sleep(pause.toMillis()); // the client's pace between attempts, not a wait for anything
                    answered = accepted(process, json, active, events, key);
                }
                if (!answered && (keyed || process.isAlive())) {
                    inDoubt.incrementAndGet();
                }
                Thread.sleep(pause.toMillis()); // the pace of the load, not a wait for anything
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One attempt of a request: true if a 202 accepted it, else its refusal is counted (unless its process died). */
    private boolean accepted(Target process, String json, boolean active, int events, String key) throws InterruptedException {
        String refusal;
        try {
            long sent = System.nanoTime();
            HttpResponse<String> answer = process.send(json, key);
            slowestAnswerMillis.accumulateAndGet((System.nanoTime() - sent) / 1_000_000, Math::max);
            Matcher batch = BATCH_ID.matcher(answer.body());
            if (answer.statusCode() == 202 && batch.find()) {
                (active ? activeBatches : passiveBatches).put(batch.group(1), events);
                accepted.addAndGet(events);
                return true;
            }
            Matcher title = TITLE.matcher(answer.body());
            refusal = answer.statusCode() + (title.find() ? " " + title.group(1) : "");
        } catch (IOException e) {
            if (!process.isAlive()) {
                return false;
            }
            refusal = "no answer";
        }
        refusedAtMillis.add(System.currentTimeMillis());
        refusalAnswers.merge(refusal, 1, Integer::sum);
        return false;
    }

    public long acceptedEvents() {
        return accepted.get();
    }

    public long acceptedActiveEvents() {
        return activeBatches.values().stream().mapToLong(Integer::longValue).sum();
    }

    public long acceptedPassiveEvents() {
        return passiveBatches.values().stream().mapToLong(Integer::longValue).sum();
    }

    /** Attempts refused: any answer but a 202, or none. */
    public int refusals() {
        return refusedAtMillis.size();
    }

    /** Refused attempts by answer: status and problem title ({@code "503 Broker unavailable"}), or {@code "no answer"}. */
    public Map<String, Integer> refusalAnswers() {
        return Map.copyOf(refusalAnswers);
    }

    /** Requests that ended without a 202: their events may be stored or not. */
    public long inDoubt() {
        return inDoubt.get();
    }

    /** The longest a request waited for its answer. */
    public Duration slowestAnswer() {
        return Duration.ofMillis(slowestAnswerMillis.get());
    }

    /** From the first refusal to the last (zero if none), the time the ingest refused work. */
    public Duration refusalWindow() {
        return refusedAtMillis.isEmpty() ? Duration.ZERO
                : Duration.ofMillis(refusedAtMillis.stream().mapToLong(Long::longValue).max().getAsLong()
                        - refusedAtMillis.stream().mapToLong(Long::longValue).min().getAsLong());
    }

    /** Stops the clients and waits for their last answers; a client still trying after a minute leaves its request in doubt. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread client : clients) {
            client.join(60_000);
            if (client.isAlive()) {
                client.interrupt();
                inDoubt.incrementAndGet();
            }
        }
    }

    /**
     * Every accepted event stored exactly once: each batch a 202 accepted has exactly its events in its tables
     * (passive: topic1; active: topic2 and topic3). Events of refused requests may or may not be there.
     */
    public boolean everyAcceptedEventStored(Connection database) throws SQLException {
        return storedOnce(database, "topic1", passiveBatches).isEmpty()
                && storedOnce(database, "topic2", activeBatches).isEmpty()
                && storedOnce(database, "topic3", activeBatches).isEmpty();
    }

    /** The same as an assertion that names the batches stored wrongly. */
    public void assertEveryAcceptedEventStoredOnce(Connection database) throws SQLException {
        assertThat(storedOnce(database, "topic1", passiveBatches)).as("topic1: accepted batches stored wrongly (batch=stored rows)").isEmpty();
        assertThat(storedOnce(database, "topic2", activeBatches)).as("topic2: accepted batches stored wrongly").isEmpty();
        assertThat(storedOnce(database, "topic3", activeBatches)).as("topic3: accepted batches stored wrongly").isEmpty();
    }

    /**
     * For traffic that nothing refused: each table holds exactly the accepted events, counted in rows (topic1 the passive
     * ones, topic2 and topic3 the active ones), and every accepted batch exactly its events.
     */
    public void assertTablesHoldExactlyTheAcceptedEvents(Connection database) throws SQLException {
        assertThat(inDoubt()).as("requests without a 202 (refusals: %s); their events may be stored or not", refusalAnswers).isZero();
        assertThat(rows(database, "topic1")).as("rows of topic1 against accepted passive events").isEqualTo(acceptedPassiveEvents());
        assertThat(rows(database, "topic2")).as("rows of topic2 against accepted active events").isEqualTo(acceptedActiveEvents());
        assertThat(rows(database, "topic3")).as("rows of topic3 against accepted active events").isEqualTo(acceptedActiveEvents());
        assertEveryAcceptedEventStoredOnce(database);
    }

    private static long rows(Connection database, String table) throws SQLException {
        try (Statement statement = database.createStatement(); ResultSet rows = statement.executeQuery("SELECT count(*) FROM " + table)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static Map<String, Long> storedOnce(Connection database, String table, Map<String, Integer> batches) throws SQLException {
        Map<String, Long> stored = new HashMap<>();
        try (Statement statement = database.createStatement();
             ResultSet rows = statement.executeQuery("SELECT batch_id::text, count(*), count(DISTINCT event_id) FROM " + table + " GROUP BY batch_id")) {
            while (rows.next()) {
                assertThat(rows.getLong(3)).as("an event stored twice in " + table).isEqualTo(rows.getLong(2));
                stored.put(rows.getString(1), rows.getLong(2));
            }
        }
        Map<String, Long> wrong = new HashMap<>();
        batches.forEach((batch, events) -> {
            long rows = stored.getOrDefault(batch, 0L);
            if (rows != events) {
                wrong.put(batch, rows);
            }
        });
        return wrong;
    }
}
