import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * bench/chaos's client: a steady stream of POST /api/events with an Idempotency-Key, each request sent again with the
 * same key (to the next instance) until one answers 202, however long the faults last.
 *
 *   java bench/ChaosLoad.java URL1,URL2 seconds=D ledger=FILE [clients=4] [pause-ms=20] [max-events=10]
 *       [give-up-seconds=300]
 *
 * Each client picks eventType (two passive to one active) and a count of 1..max-events, sends, and pauses pause-ms
 * after a 202. After D seconds no new request starts; those still unanswered are retried until give-up-seconds past D.
 * Every accepted request becomes a line "batchId,eventType,count" of FILE, for the ledger's row count. Prints one line
 * of key=value: requests, attempts, retries, accepted events by type, answers by status, requests never accepted,
 * the longest the API as a whole accepted nothing (longest gap between two 202s) and the longest one request waited.
 */
public class ChaosLoad {
    static final Pattern BATCH_ID = Pattern.compile("\"batchId\"\\s*:\\s*\"([0-9a-f-]{36})\"");

    public static void main(String[] args) throws Exception {
        List<URI> urls = Arrays.stream(args[0].split(",")).map(URI::create).toList();
        Map<String, String> opt = new HashMap<>();
        for (String a : Arrays.copyOfRange(args, 1, args.length)) opt.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        int clients = Integer.parseInt(opt.getOrDefault("clients", "4"));
        long pauseMs = Long.parseLong(opt.getOrDefault("pause-ms", "20"));
        int maxEvents = Integer.parseInt(opt.getOrDefault("max-events", "10"));
        long endAt = System.currentTimeMillis() + (long) (Double.parseDouble(opt.get("seconds")) * 1000);
        long giveUpAt = endAt + Long.parseLong(opt.getOrDefault("give-up-seconds", "300")) * 1000;
        Path ledger = Path.of(opt.get("ledger"));

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        AtomicLong requests = new AtomicLong(), attempts = new AtomicLong(), unresolved = new AtomicLong();
        AtomicLong acceptedPassive = new AtomicLong(), acceptedActive = new AtomicLong();
        AtomicLong lastAccepted = new AtomicLong(System.currentTimeMillis()), longestGap = new AtomicLong(), longestWait = new AtomicLong();
        Map<String, AtomicLong> statuses = new ConcurrentHashMap<>();
        List<String> accepted = new ArrayList<>();

        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread thread = new Thread(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (long n = 0; System.currentTimeMillis() < endAt; n++) {
                    String type = n % 3 == 2 ? "activeEvent" : "passiveEvent";
                    int count = 1 + random.nextInt(maxEvents);
                    String key = UUID.randomUUID().toString();
                    String body = "{\"eventType\":\"" + type + "\",\"count\":" + count + "}";
                    requests.incrementAndGet();
                    long firstSent = System.currentTimeMillis();
                    String batchId = null;
                    for (int attempt = 0; batchId == null; attempt++) {
                        if (attempt > 0 && System.currentTimeMillis() > giveUpAt) break;
                        // The first attempt goes to the client's own instance, each retry to the next one.
                        URI url = urls.get((client + attempt) % urls.size());
                        attempts.incrementAndGet();
                        String status;
                        try {
                            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30))
                                    .header("Content-Type", "application/json").header("Idempotency-Key", key)
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                            status = Integer.toString(answer.statusCode());
                            Matcher batch = BATCH_ID.matcher(answer.body());
                            if (answer.statusCode() == 202 && batch.find()) {
                                batchId = batch.group(1);
                            } else if (answer.statusCode() / 100 == 4) {
                                System.err.println("chaos-load: refused as bad (" + answer.statusCode() + "): " + answer.body());
                            }
                        } catch (IOException e) {
                            status = e.getClass().getSimpleName();
                        } catch (InterruptedException e) {
                            return;
                        }
                        statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
                        if (batchId == null) {
                            pause(250 + random.nextInt(250)); // a retry's back-off, so a refused instance is not hammered
                        }
                    }
                    long now = System.currentTimeMillis();
                    if (batchId == null) {
                        unresolved.incrementAndGet();
                        continue;
                    }
                    long previous = lastAccepted.getAndAccumulate(now, Math::max);
                    longestGap.accumulateAndGet(now - previous, Math::max);
                    longestWait.accumulateAndGet(now - firstSent, Math::max);
                    (type.equals("activeEvent") ? acceptedActive : acceptedPassive).addAndGet(count);
                    synchronized (accepted) {
                        accepted.add(batchId + "," + type + "," + count);
                    }
                    pause(pauseMs); // the stream's pace, not a wait for anything
                }
            }, "chaos-client-" + c);
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) thread.join();

        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(ledger))) {
            accepted.forEach(out::println);
        }
        StringBuilder line = new StringBuilder();
        line.append("requests=").append(requests).append(" attempts=").append(attempts)
                .append(" retries=").append(attempts.get() - requests.get())
                .append(" accepted_requests=").append(accepted.size())
                .append(" accepted_passive=").append(acceptedPassive).append(" accepted_active=").append(acceptedActive)
                .append(" unresolved=").append(unresolved)
                .append(" longest_refusal_ms=").append(longestGap).append(" longest_wait_ms=").append(longestWait);
        new TreeMap<>(statuses).forEach((status, n) -> line.append(" status_").append(status).append('=').append(n));
        System.out.println(line);
    }

    static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
