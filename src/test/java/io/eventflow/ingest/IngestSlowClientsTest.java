package io.eventflow.ingest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.eventflow.support.EventflowIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clients that send slowly or leave early, on the real HTTP server: a body that trickles in holds a connection, never
 * one of the request threads, and is answered 408 at its deadline while normal requests keep being accepted; a client
 * that leaves before its answer ends its request quietly, without a stack trace on stderr or a pool thread dying.
 */
@TestPropertySource(properties = {
        "eventflow.data-dir=target/test-data/ingest-slow-clients",
        "eventflow.http.body-timeout-ms=3000"})
class IngestSlowClientsTest extends EventflowIntegrationTest {

    private static final String ONE_EVENT = "{\"eventType\":\"passiveEvent\",\"count\":1}";
    private static final int SLOW_CLIENTS = 64;
    private static final Duration NORMAL_TRAFFIC = Duration.ofSeconds(8);
    /** Generous for a loaded 2-core box; a request held behind a stalled body waited the whole 20 s deadline. */
    private static final long USUAL_ANSWER_MS = 3000;
    private static final Pattern POOL_THREAD = Pattern.compile("api-http-(\\d+)");

    @LocalServerPort
    int port;

    @Test
    void slowBodiesAreAnswered408WhileNormalRequestsKeepBeingAccepted() throws Exception {
        List<Socket> slow = new ArrayList<>();
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        try {
            for (int i = 0; i < SLOW_CLIENTS; i++) {
                Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
                socket.setSoTimeout(30_000);
                write(socket, headers(ONE_EVENT.length()) + ONE_EVENT.substring(0, 2));
                slow.add(socket);
            }
            // One more byte of each body every 2 s, a client on a very bad link or one that means harm, until it is answered
            // (writing on after the server closed would reset the connection and lose its answer).
            int[] sent = {2};
            trickle.scheduleAtFixedRate(() -> {
                if (sent[0] < ONE_EVENT.length() - 1) {
                    for (Socket socket : slow) {
                        try {
                            if (socket.getInputStream().available() == 0) {
                                write(socket, ONE_EVENT.substring(sent[0], sent[0] + 1));
                            }
                        } catch (IOException answered) {
                            // Answered and closed by the server already.
                        }
                    }
                    sent[0]++;
                }
            }, 2, 2, TimeUnit.SECONDS);

            long end = System.nanoTime() + NORMAL_TRAFFIC.toNanos();
            int accepted = 0;
            while (System.nanoTime() < end) {
                long start = System.nanoTime();
                ResponseEntity<Map> answer = postEvents(ONE_EVENT);
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertThat(answer.getStatusCode().value()).as("a normal request beside %d slow bodies: %s", SLOW_CLIENTS, answer.getBody())
                        .isEqualTo(202);
                assertThat(tookMs).as("a normal request's answer time beside %d slow bodies", SLOW_CLIENTS).isLessThan(USUAL_ANSWER_MS);
                accepted++;
            }
            assertThat(accepted).isPositive();

            for (Socket socket : slow) {
                String answer = readAnswer(socket);
                assertThat(answer).as("the answer to a slow body").startsWith("HTTP/1.1 408")
                        .contains("application/problem+json", "\"title\":\"Request body timeout\"", "nothing was published");
            }
        } finally {
            trickle.shutdownNow();
            for (Socket socket : slow) {
                socket.close();
            }
        }
    }

    @Test
    void clientsThatLeaveBeforeTheirAnswerLeaveNoStackTraceAndNoDeadThread() throws Exception {
        PrintStream stderr = System.err;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new TeeStream(stderr, printed), true));
        try {
            List<Socket> leaving = new ArrayList<>();
            String body = "{\"eventType\":\"passiveEvent\",\"count\":100}";
            for (int i = 0; i < 200; i++) {
                Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
                write(socket, headers(body.length()) + body);
                leaving.add(socket);
            }
            // The clients give up 50 ms after the last one sent; many requests are still queued or publishing then.
            TimeUnit.MILLISECONDS.sleep(50);
            for (Socket socket : leaving) {
                socket.setSoLinger(true, 0);
                socket.close();
            }
            // Once every request is answered or dropped, a new one is accepted at once.
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> postEvents(ONE_EVENT).getStatusCode().value() == 202);
        } finally {
            System.setErr(stderr);
        }
        assertThat(printed.toString(StandardCharsets.UTF_8)).as("printed on stderr, outside the application log").isEmpty();
        assertThat(Thread.getAllStackTraces().keySet()).as("request threads: a 33rd means one died and was replaced")
                .allSatisfy(thread -> {
                    Matcher pool = POOL_THREAD.matcher(thread.getName());
                    if (pool.matches()) {
                        assertThat(Integer.parseInt(pool.group(1))).isLessThanOrEqualTo(32);
                    }
                });
    }

    private static String headers(int length) {
        return "POST /api/events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: " + length + "\r\n\r\n";
    }

    private static void write(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Everything the server sends until it closes the connection (a 408 closes it) or 30 s pass. */
    private static String readAnswer(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        byte[] buffer = new byte[1024];
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            answer.write(buffer, 0, n);
        }
        return answer.toString(StandardCharsets.US_ASCII);
    }

    /** Writes to stderr as before, and keeps a copy. */
    private static final class TeeStream extends OutputStream {

        private final OutputStream first;
        private final OutputStream second;

        TeeStream(OutputStream first, OutputStream second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public synchronized void write(int b) throws IOException {
            first.write(b);
            second.write(b);
        }

        @Override
        public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
            first.write(bytes, offset, length);
            second.write(bytes, offset, length);
        }
    }
}
