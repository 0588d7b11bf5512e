package io.eventflow.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.eventflow.support.EventflowIntegrationTest;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

/**
 * The push stream against clients that misbehave: too many of them, and one that stops reading. Raw sockets, so a
 * client's reading (or not) is in the test's hands.
 */
@DirtiesContext
@TestPropertySource(properties = {
        "eventflow.data-dir=target/test-data/dashboard-stream",
        "eventflow.dashboard.stream-interval=50ms",
        "eventflow.dashboard.stream-max-listeners=3",
        "eventflow.dashboard.stream-send-timeout=1s"})
class MetricsStreamTest extends EventflowIntegrationTest {

    /**
     * On loopback the kernel gives a new connection megabytes of send buffer, which a page across a real network
     * does not have; a small one lets the stalled client's writes block within seconds, as they would there.
     */
    @TestConfiguration
    static class SmallSendBuffers {
        @Bean
        WebServerFactoryCustomizer<TomcatServletWebServerFactory> smallSendBuffers() {
            return factory -> factory.addConnectorCustomizers(connector -> connector.setProperty("socket.txBufSize", "8192"));
        }
    }

    private static final Duration AT_ONCE = Duration.ofSeconds(2);

    @LocalServerPort
    int port;
    @Autowired
    MeterRegistry meters;

    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void closeSockets() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
    }

    @Test
    void aListenerBeyondTheCapIsRefusedWith503UntilASlotFrees() throws Exception {
        List<Listener> open = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Listener listener = listen();
            assertThat(listener.status).isEqualTo(200);
            listener.awaitEvents(1, AT_ONCE);
            open.add(listener);
        }

        Listener refused = listen();
        assertThat(refused.status).isEqualTo(503);
        assertThat(refused.headers).anyMatch(h -> h.toLowerCase().startsWith("retry-after: "))
                .anyMatch(h -> h.toLowerCase().startsWith("content-type: application/problem+json"));
        assertThat(refused.body()).contains("\"status\":503").contains("listeners");

        open.get(0).socket.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> listen().status == 200);
    }

    @Test
    void aClientThatStopsReadingIsDroppedWhileTheOthersKeepReceivingOnTime() throws Exception {
        double droppedBefore = dropped();
        Listener reader = listen();
        reader.awaitEvents(1, AT_ONCE);

        Socket stalled = new Socket();
        sockets.add(stalled);
        stalled.setReceiveBufferSize(1024);
        stalled.connect(new InetSocketAddress("127.0.0.1", port));
        OutputStream request = stalled.getOutputStream();
        request.write(("GET /api/metrics/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        request.flush();
        // Never read from it: its window closes, then the server's send buffer fills, then a write blocks.

        await().atMost(Duration.ofSeconds(60)).until(() -> dropped() > droppedBefore);
        // Meanwhile and after, the reader's snapshots kept coming about every stream-interval.
        int received = reader.events.size();
        reader.awaitEvents(received + 5, Duration.ofSeconds(5));
        assertThat(reader.longestGap()).as("longest gap between the reader's events").isLessThan(Duration.ofSeconds(2));

        // A listener arriving now is served at once, with the last snapshot.
        Listener late = listen();
        assertThat(late.status).isEqualTo(200);
        late.awaitEvents(1, AT_ONCE);
    }

    private double dropped() {
        var counter = meters.find("eventflow.dashboard.stream.dropped").counter();
        return counter == null ? 0 : counter.count();
    }

    private Listener listen() throws IOException {
        Socket socket = new Socket();
        sockets.add(socket);
        socket.connect(new InetSocketAddress("127.0.0.1", port));
        socket.setSoTimeout(15_000);
        return new Listener(socket);
    }

    /** One SSE client: the status and headers, then every data line on a thread of its own, with its arrival time. */
    private static final class Listener {
        final Socket socket;
        final int status;
        final List<String> headers = new ArrayList<>();
        final List<Long> events = new CopyOnWriteArrayList<>();
        private final BufferedReader in;

        Listener(Socket socket) throws IOException {
            this.socket = socket;
            OutputStream out = socket.getOutputStream();
            out.write(("GET /api/metrics/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String statusLine = in.readLine();
            status = Integer.parseInt(statusLine.split(" ")[1]);
            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                headers.add(line);
            }
            if (status == 200) {
                Thread reader = new Thread(this::read, "sse-test-reader");
                reader.setDaemon(true);
                reader.start();
            }
        }

        private void read() {
            try {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.startsWith("event:metrics")) {
                        events.add(System.nanoTime());
                    }
                }
            } catch (IOException closed) {
                // the test closed the socket
            }
        }

        String body() throws IOException {
            StringBuilder body = new StringBuilder();
            char[] buffer = new char[4096];
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                body.append(buffer, 0, n);
                if (body.indexOf("}") >= 0) {
                    break;
                }
            }
            return body.toString();
        }

        void awaitEvents(int count, Duration within) {
            await().atMost(within).pollInterval(Duration.ofMillis(10)).until(() -> events.size() >= count);
        }

        Duration longestGap() {
            long longest = 0;
            for (int i = 1; i < events.size(); i++) {
                longest = Math.max(longest, events.get(i) - events.get(i - 1));
            }
            return Duration.ofNanos(longest);
        }
    }
}
