package io.eventflow.api;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.eventflow.support.EventflowProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar, an upload dropped half-way by its client, then SIGTERM: the dropped request is over for the server
 * too, so the graceful shutdown has no request to wait for and the process exits in its usual few seconds, not after
 * the whole 30 s grace period.
 */
class DroppedUploadIT {

    /** The usual exit after SIGTERM is ~4 s; a request left counted as active held it for the 30 s grace period. */
    private static final Duration USUAL_EXIT = Duration.ofSeconds(15);

    private EventflowProcess process;

    @AfterEach
    void stop() throws Exception {
        process.close();
    }

    @Test
    void anUploadDroppedHalfWayDoesNotHoldTheShutdown() throws Exception {
        process = EventflowProcess.start(Path.of("target", "dropped-upload-it"), Path.of("target", "dropped-upload-it.log"), List.of());
        process.awaitReady();
        assertThat(process.post("{\"eventType\":\"passiveEvent\"}").statusCode()).isEqualTo(202);

        String body = "{\"eventType\":\"passiveEvent\",\"count\":10}";
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), process.appPort())) {
            OutputStream out = client.getOutputStream();
            out.write(("POST /api/events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body.substring(0, body.length() / 2)).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // The server has the headers and half the body when the client goes.
            assertThat(process.post("{\"eventType\":\"passiveEvent\"}").statusCode()).isEqualTo(202);
        }

        Duration stopping = process.terminate(Duration.ofSeconds(60));
        System.out.println("DroppedUploadIT: exited " + stopping.toMillis() + " ms after SIGTERM");
        assertThat(stopping).as("exit after SIGTERM").isLessThan(USUAL_EXIT);
        assertThat(process.log()).doesNotContain("Graceful shutdown aborted with one or more requests still active");
    }
}
