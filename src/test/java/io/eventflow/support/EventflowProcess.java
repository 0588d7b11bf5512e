package io.eventflow.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged jar (target/eventflow-*.jar) run as a real process on ports of its own, with the JVM options docs/benchmarks.md
 * recommends: what an operator starts, for the *IT tests of packaging, several processes and process faults, which
 * failsafe runs after package.
 */
public final class EventflowProcess implements AutoCloseable, Traffic.Target {

    public static final boolean EMBEDDED = !"false".equals(System.getProperty("eventflow.embedded"));
    /** The key of application-test.yml: test-only, never a default. */
    public static final String TEST_CIPHER_KEY = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0=";
    /** How long a start may take; -Deventflow.test.ready-seconds=N on a machine loaded far beyond its cores. */
    private static final Duration READY_PATIENCE = Duration.ofSeconds(Long.getLong("eventflow.test.ready-seconds", 180));
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String name;
    private final int appPort = freePort();
    private final int managementPort = freePort();
    private final Path logFile;
    private final Process process;

    private EventflowProcess(String name, Path jar, Path workDir, Path logFile, List<String> args) throws IOException {
        this(name, jar, workDir, logFile, args, List.of());
    }

    private EventflowProcess(String name, Path jar, Path workDir, Path logFile, List<String> args, List<String> prefix) throws IOException {
        this.name = name;
        this.logFile = logFile.toAbsolutePath();
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:MaxDirectMemorySize=64m",
                "-jar", jar.toString(),
                "--server.port=" + appPort,
                "--management.server.port=" + managementPort));
        command.addAll(args);
        Files.createDirectories(workDir);
        this.process = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(this.logFile.toFile()))
                .start();
    }

    /**
     * Starts the jar in {@code workDir}, in the build's mode (external: the tests' database and a shared key; the
     * embedded servers override both), output appended to {@code logFile}.
     */
    public static EventflowProcess start(Path workDir, Path logFile, List<String> args) throws IOException {
        return new EventflowProcess(workDir.getFileName().toString(), jar(), workDir, logFile, inTheBuildsMode(args));
    }

    /**
     * As {@link #start}, from the jar extracted into {@code workDir/eventflow} ({@code java -Djarmode=tools -jar
     * eventflow.jar extract}: the application's jar and its lib/ as real files), as the container image runs it.
     */
    public static EventflowProcess startExtracted(Path workDir, Path logFile, List<String> args) throws IOException, InterruptedException {
        Path folder = workDir.resolve("eventflow");
        Process extract = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djarmode=tools", "-jar", jar().toString(), "extract", "--destination", folder.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        assertThat(extract.waitFor(120, TimeUnit.SECONDS) && extract.exitValue() == 0).as("jar extracted; see " + logFile).isTrue();
        return new EventflowProcess(workDir.getFileName().toString(), folder.resolve(jar().getFileName()), workDir, logFile,
                inTheBuildsMode(args));
    }

    private static List<String> inTheBuildsMode(List<String> args) {
        List<String> all = new ArrayList<>(List.of(
                "--eventflow.embedded=" + EMBEDDED,
                "--spring.datasource.url=jdbc:postgresql://127.0.0.1:5432/eventflow_test"));
        all.addAll(withTestCipherKeyUnlessGiven(args));
        return all;
    }

    /**
     * {@code args} after {@code --eventflow.cipher.key=}{@link #TEST_CIPHER_KEY} unless they give that setting themselves
     * (a second occurrence would not replace the first: Spring joins repeated arguments with a comma).
     */
    public static List<String> withTestCipherKeyUnlessGiven(List<String> args) {
        List<String> all = new ArrayList<>();
        if (args.stream().noneMatch(arg -> arg.startsWith("--eventflow.cipher.key="))) {
            all.add("--eventflow.cipher.key=" + TEST_CIPHER_KEY);
        }
        all.addAll(args);
        return all;
    }

    /** Starts the jar in the build's folder with exactly these arguments, output in {@code target/<name>.log}. */
    public static EventflowProcess launch(String name, List<String> args) throws IOException {
        return new EventflowProcess(name, jar(), Path.of("."), Path.of("target", name + ".log"), args);
    }

    /**
     * As {@link #launch}, the process inside {@code namespace} ({@code ip netns exec}): its ports are the namespace's,
     * so only what runs there, or crosses a link to it, reaches them.
     */
    public static EventflowProcess launchIn(NetworkNamespace namespace, String name, List<String> args) throws IOException {
        return new EventflowProcess(name, jar(), Path.of("."), Path.of("target", name + ".log"), args, namespace.command());
    }

    public int managementPort() {
        return managementPort;
    }

    /** Ready: readiness UP on the management port (every route it runs started), failing at once if the process exits. */
    public EventflowProcess awaitReady() {
        await().atMost(READY_PATIENCE).pollInterval(Duration.ofMillis(200)).until(() -> {
            assertThat(process.isAlive()).as(name + " exited; see " + logFile).isTrue();
            return status(managementPort, "/actuator/health/readiness") == 200;
        });
        return this;
    }

    /** Waits for the process to end by itself and gives its exit status. */
    public int awaitExit(Duration atMost) throws InterruptedException {
        assertThat(process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS))
                .as("Eventflow still running %s after it was expected to exit; see %s", atMost, logFile).isTrue();
        return process.exitValue();
    }

    @Override
    public String name() {
        return name;
    }

    public int appPort() {
        return appPort;
    }

    public Path logFile() {
        return logFile;
    }

    public String log() throws IOException {
        return Files.readString(logFile);
    }

    @Override
    public boolean isAlive() {
        return process.isAlive();
    }

    /** POST /api/events with a JSON body. */
    public HttpResponse<String> post(String json) throws IOException, InterruptedException {
        return post("/api/events", json);
    }

    public HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
        return HTTP.send(Traffic.request(URI.create("http://127.0.0.1:" + appPort + path), json, null), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public HttpResponse<String> send(String json, String idempotencyKey) throws IOException, InterruptedException {
        return HTTP.send(Traffic.request(URI.create("http://127.0.0.1:" + appPort + "/api/events"), json, idempotencyKey),
                HttpResponse.BodyHandlers.ofString());
    }

    /** GET on the application port. */
    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return get(appPort, path);
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

    /**
     * SIGTERM, and the time the process took to exit by itself (failing if it was still running after {@code atMost}):
     * what an orchestrator does to stop or move it.
     */
    public Duration terminate(Duration atMost) throws InterruptedException {
        long asked = System.nanoTime();
        process.destroy();
        awaitExit(atMost);
        return Duration.ofNanos(System.nanoTime() - asked);
    }

    /** A graceful stop (SIGTERM), so an embedded PostgreSQL stops with it; forced after 60 s. */
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

    /** A random AES-256 key for eventflow.cipher.key, for a process on servers of the test's own. */
    public static String randomCipherKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
