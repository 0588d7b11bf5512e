package io.eventflow.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged jar (target/eventflow-*.jar) run as a process of its own, in a working directory of the test's
 * choosing, its output appended to a log file. For the *IT tests that failsafe runs after package.
 */
public final class EventflowProcess implements AutoCloseable {

    public static final boolean EMBEDDED = !"false".equals(System.getProperty("eventflow.embedded"));
    /** The key of application-test.yml: test-only, never a default. */
    public static final String TEST_CIPHER_KEY = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0=";

    private final Process process;
    private final Path logFile;
    private final int appPort;
    private final HttpClient http = HttpClient.newHttpClient();

    private EventflowProcess(Process process, Path logFile, int appPort) {
        this.process = process;
        this.logFile = logFile;
        this.appPort = appPort;
    }

    /** Starts the jar in {@code workDir} on a free application port and a free management port, in the build's mode. */
    public static EventflowProcess start(Path workDir, Path logFile, List<String> args) throws IOException {
        int appPort = freePort();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-jar", jar().toString(),
                "--server.port=" + appPort,
                "--management.server.port=0",
                "--eventflow.embedded=" + EMBEDDED,
                // External mode only (the embedded servers override both): the tests' database and a shared key.
                "--spring.datasource.url=jdbc:postgresql://127.0.0.1:5432/eventflow_test",
                "--eventflow.cipher.key=" + TEST_CIPHER_KEY));
        command.addAll(args);
        Files.createDirectories(workDir);
        Process process = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toAbsolutePath().toFile()))
                .start();
        return new EventflowProcess(process, logFile, appPort);
    }

    /** Waits until the ingest answers (a 400 for an empty event), failing at once if the process exits. */
    public EventflowProcess awaitReady() {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
            assertThat(process.isAlive()).as("Eventflow exited; see " + logFile).isTrue();
            try {
                return post("/api/events", "{}").statusCode() == 400;
            } catch (IOException notYet) {
                return false;
            }
        });
        return this;
    }

    /** Waits for the process to end by itself and gives its exit status. */
    public int awaitExit(Duration atMost) throws InterruptedException {
        assertThat(process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS))
                .as("Eventflow still running %s after it was expected to exit; see %s", atMost, logFile).isTrue();
        return process.exitValue();
    }

    public HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    public String log() throws IOException {
        return Files.readString(logFile);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook, no clean stop of anything. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** A graceful stop, so an embedded PostgreSQL is stopped with it. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + appPort + path);
    }

    /** target/eventflow-*.jar, the one runnable jar that package makes. */
    private static Path jar() throws IOException {
        try (var files = Files.list(Path.of("target"))) {
            List<Path> jars = files.filter(f -> f.getFileName().toString().matches("eventflow-.*\\.jar")).toList();
            assertThat(jars).as("the packaged jar target/eventflow-*.jar (run with ./mvnw verify)").hasSize(1);
            return jars.get(0).toAbsolutePath();
        }
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
