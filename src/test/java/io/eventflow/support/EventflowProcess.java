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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged jar (target/eventflow-*.jar) run as a real process on ports of its own, its output in
 * {@code target/<name>.log}: what an operator starts, for the tests of several processes and of process faults.
 */
public final class EventflowProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String name;
    private final int appPort = freePort();
    private final int managementPort = freePort();
    private final Path logFile;
    private final Process process;

    private EventflowProcess(String name, List<String> args) throws IOException {
        this.name = name;
        this.logFile = Path.of("target", name + ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:MaxDirectMemorySize=64m",
                "-jar", jar().toString(),
                "--server.port=" + appPort,
                "--management.server.port=" + managementPort));
        command.addAll(args);
        this.process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
    }

    /** Starts the jar with these arguments and returns at once; {@link #awaitReady()} waits for it. */
    public static EventflowProcess launch(String name, List<String> args) throws IOException {
        return new EventflowProcess(name, args);
    }

    /** Ready: readiness UP on the management port (every route it runs started). */
    public EventflowProcess awaitReady() {
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).until(() -> {
            assertThat(process.isAlive()).as(name + " exited; see " + logFile).isTrue();
            return status(managementPort, "/actuator/health/readiness") == 200;
        });
        return this;
    }

    public String name() {
        return name;
    }

    public int appPort() {
        return appPort;
    }

    public Path logFile() {
        return logFile;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** POST /api/events with a JSON body. */
    public HttpResponse<String> post(String json) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + appPort + "/api/events"))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The status of a GET on the application port. */
    public int get(String path) throws IOException, InterruptedException {
        return get(appPort, path).statusCode();
    }

    /** GET on the management port (health, Prometheus). */
    public HttpResponse<String> management(String path) throws IOException, InterruptedException {
        return get(managementPort, path);
    }

    /** Exchanges a route completed, from this process's Prometheus endpoint (0 if it has none). */
    public long exchanges(String routeId) throws IOException, InterruptedException {
        Matcher metric = Pattern.compile("(?m)^camel_exchanges_total\\{[^}]*routeId=\"" + Pattern.quote(routeId) + "\"[^}]*} ([0-9.E]+)$")
                .matcher(management("/actuator/prometheus").body());
        return metric.find() ? (long) Double.parseDouble(metric.group(1)) : 0;
    }

    /** SIGKILL: no shutdown hook, no acknowledgement, no goodbye to the broker. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** A graceful stop (SIGTERM), forced after 60 s. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int status(int port, String path) throws InterruptedException {
        try {
            return get(port, path).statusCode();
        } catch (IOException notListeningYet) {
            return 0;
        }
    }

    /** target/eventflow-*.jar, the one runnable jar that package makes. */
    public static Path jar() throws IOException {
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
