package io.eventflow.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Every Eventflow setting, under the prefix {@code eventflow}. The broker and the database use Spring
 * Boot's own {@code spring.rabbitmq.*} and {@code spring.datasource.*}.
 * <p>
 * {@code embedded}, {@code dataDir} and the two embedded ports are also bound before the context exists, by
 * {@link io.eventflow.infra.embedded.EmbeddedSettings}, which starts the embedded broker and database.
 * <p>
 * {@code routesReload}: whether editing a file under {@code routes/} reloads its routes while Eventflow runs.
 * Unset, it follows {@code embedded} (on in the zero-install mode, off otherwise); application.yml turns it
 * into {@code camel.main.routes-reload-enabled}, which Camel reads.
 * <p>
 * {@code routesDir}, {@code migrationsDir}, {@code dashboardDir}: the folders that override the routes, migrations
 * and dashboard packaged in the jar when they exist ({@link PipelineFiles}); {@code requiredRoutes}: the route ids
 * without which Eventflow refuses to start. (Strings, not Paths: Spring would turn "routes" into the copy on the classpath.)
 * {@code roles}: what this process runs ({@link Role}); {@link RoleSettings} turns them into the route files loaded.
 */
@ConfigurationProperties("eventflow")
public record EventflowProperties(
        @DefaultValue("true") boolean embedded,
        @DefaultValue("data") Path dataDir,
        @DefaultValue("0") int embeddedBrokerPort,
        @DefaultValue("0") int embeddedPostgresPort,
        @DefaultValue Ingest ingest,
        @DefaultValue Http http,
        @DefaultValue Consumers consumers,
        @DefaultValue Broker broker,
        @DefaultValue Cipher cipher,
        @DefaultValue Words words,
        Boolean routesReload,
        @DefaultValue Management management,
        @DefaultValue Dashboard dashboard,
        @DefaultValue("routes") String routesDir,
        @DefaultValue("db") String migrationsDir,
        @DefaultValue("dashboard-static") String dashboardDir,
        @DefaultValue({"ingest-events", "service1-topic1", "service1-topic2", "service2-topic3", "dead-letter",
                "dashboard-metrics", "dashboard-series", "dashboard-recent-events", "dashboard-event-trace"})
        List<String> requiredRoutes,
        @DefaultValue DeadLetterBrowse deadLetters,
        @DefaultValue({"ingest", "service1", "service2", "dashboard"}) Set<Role> roles,
        @DefaultValue Security security) {

    /**
     * The HTTP ingest: limits of one request, how many events may wait for their confirms at once (all requests
     * together), and the deadline of one request counted from its arrival. {@code warmupRequests}: requests made up and
     * parsed before readiness, their messages dropped, so the first users' requests run compiled code (0: none;
     * {@link io.eventflow.ingest.IngestWarmup}).
     */
    public record Ingest(
            @DefaultValue("10000") int maxCount,
            @DefaultValue("16384") int maxBodyBytes,
            @DefaultValue("20000") int maxInFlightEvents,
            @DefaultValue("20000") long requestTimeoutMs,
            @DefaultValue("20000") int warmupRequests) {
    }

    /**
     * The pool the REST routes run on: threads working at once, and requests that may wait for one; an ingest request
     * whose body has not fully arrived {@code bodyTimeoutMs} after the request is answered 408 (the body is read
     * without a thread, so a slow client holds only its connection meanwhile).
     */
    public record Http(
            @DefaultValue("32") int threads,
            @DefaultValue("1000") int queue,
            @DefaultValue("10000") long bodyTimeoutMs) {

        public Http {
            if (bodyTimeoutMs < 1) {
                throw new StartRefusedException("eventflow.http.body-timeout-ms is " + bodyTimeoutMs, "Set it to 1 or more.");
            }
        }
    }

    /**
     * The queue consumers of service 1 and service 2: consumers (threads) per queue, unacknowledged messages per
     * consumer, and the batches they store: at most {@code batchSize} messages, stored at the latest
     * {@code batchWaitMs} after the batch began, up to {@code storeThreads} batches of a queue at once.
     */
    public record Consumers(
            @DefaultValue("2") int concurrency,
            @DefaultValue("500") int prefetch,
            @DefaultValue("250") int batchSize,
            @DefaultValue("10") int batchWaitMs,
            @DefaultValue("3") int storeThreads) {

        /** AMQP carries a consumer's prefetch in 16 bits: RabbitMQ drops a connection that asks for more. */
        static final int MAX_PREFETCH = 65535;

        public Consumers {
            if (prefetch < 1 || prefetch > MAX_PREFETCH) {
                throw new StartRefusedException("eventflow.consumers.prefetch is " + prefetch + ", outside 1.." + MAX_PREFETCH
                        + " (AMQP's 16-bit field)", "Set eventflow.consumers.prefetch between 1 and " + MAX_PREFETCH + ".");
            }
            requirePositive("eventflow.consumers.concurrency", concurrency);
            requirePositive("eventflow.consumers.batch-size", batchSize);
            requirePositive("eventflow.consumers.batch-wait-ms", batchWaitMs);
            requirePositive("eventflow.consumers.store-threads", storeThreads);
        }
    }

    /**
     * What the broker is. {@code auto} asks the broker for its product name at start; {@code rabbitmq} adds
     * quorum queues and broker-side dead-lettering as a safety net, {@code generic} declares plain durable queues.
     * {@code publisherChannels}: the channels every publish goes out on (infra/ConfirmedPublisher).
     */
    public record Broker(@DefaultValue("auto") String flavor, @DefaultValue("10") int deliveryLimit,
                         @DefaultValue("2") int publisherChannels) {

        public Broker {
            requirePositive("eventflow.broker.publisher-channels", publisherChannels);
        }
    }

    /**
     * The AES-256 keys (base64 of 32 bytes each) that encrypt the secret word between service 1 and 2. {@code key} is
     * the key of id {@code default} (the one key of an Eventflow before key ids; a topic3 message without
     * {@code secretKeyId} was sealed with it). Empty: it is the one kept in {@code keyFile} (default
     * {@code <data-dir>/cipher.key}) if that file exists, or, when no {@code keys} are given either, a key generated
     * once into that file, so every Eventflow process started in this folder shares it; outside the zero-install mode
     * only with {@code allowGeneratedKey}, as processes on other hosts could not open what this one sealed.
     * {@code keys}: more keys by id (lower-case letters, digits and '-'), all of which open; {@code sealingKeyId}: the
     * one that seals (unset: {@code default} if there is such a key, else the only key of {@code keys}).
     */
    public record Cipher(@DefaultValue("") String key, Path keyFile, @DefaultValue("false") boolean allowGeneratedKey,
                         @DefaultValue Map<String, String> keys, String sealingKeyId) {

        @Override
        public String toString() {
            return "Cipher[key=" + (key.isBlank() ? "" : "****") + ", keyFile=" + keyFile
                    + ", allowGeneratedKey=" + allowGeneratedKey + ", keys=" + keys.keySet() + ", sealingKeyId=" + sealingKeyId + "]";
        }
    }

    /** The file the generated cipher key is kept in. */
    public Path cipherKeyFile() {
        return cipher.keyFile() != null ? cipher.keyFile() : dataDir.resolve("cipher.key");
    }

    /** Where secret words come from: the bundled list, or an HTTP word service with a fallback to the list. */
    public record Words(URI url, @DefaultValue("2s") Duration timeout) {
    }

    /**
     * The login for Hawtio, Jolokia and Prometheus on the management port. Both or neither; required when
     * management.server.address is not a loopback address, and enforced on any address once given.
     */
    public record Management(String username, String password) {

        public boolean hasCredentials() {
            return username != null && !username.isBlank() && password != null && !password.isBlank();
        }

        @Override
        public String toString() {
            return "Management[username=" + username + ", password=" + (password == null ? null : "****") + "]";
        }
    }

    /**
     * The live dashboard: how often the page polls when the push stream is down, how often the stream pushes a
     * snapshot, the window of the latency statistics (capped at {@code statsMaxRows} newest rows, so a burst cannot
     * make one snapshot expensive), the window the current rate is measured over, and how old a sample of the queue
     * depths may be before the broker is asked again. The stream serves at most {@code streamMaxListeners} pages and
     * drops one whose write has not finished within {@code streamSendTimeout} (it stopped reading). The dashboard
     * reads on a pool of its own, {@code dbPoolSize} connections whose statements are cancelled after {@code queryTimeout}.
     * {@code traceUrl}, when set, is a template such as {@code http://jaeger:16686/trace/{traceId}}: an event's trace
     * links to its trace in the tracing backend (io.eventflow.tracing).
     */
    public record Dashboard(
            @DefaultValue("5s") Duration refreshInterval,
            @DefaultValue("1s") Duration streamInterval,
            @DefaultValue("5m") Duration statsWindow,
            @DefaultValue("10s") Duration rateWindow,
            @DefaultValue("50000") int statsMaxRows,
            @DefaultValue("1s") Duration queueSampleMaxAge,
            @DefaultValue("50") int streamMaxListeners,
            @DefaultValue("5s") Duration streamSendTimeout,
            @DefaultValue("2") int dbPoolSize,
            @DefaultValue("10s") Duration queryTimeout,
            String traceUrl) {
    }

    /**
     * Reading the dead-letter queues (processing/DeadLetterQueues): at most {@code browseMax} messages of each are read
     * per listing, from the oldest; the newest shown are the newest of those.
     */
    public record DeadLetterBrowse(@DefaultValue("1000") int browseMax) {
    }

    /**
     * Who may use the application port (io.eventflow.security). {@code apiKeys}: name to the SHA-256 (hex) of a key
     * allowed to post events; removing an entry revokes that key. {@code users}: name to a login for the dashboard and
     * the read API, its password as a Spring Security hash ({@code {bcrypt}...}) and its roles ({@code secrets} sees
     * secret words and dead-letter reasons). Bearer tokens (JWT) use Spring Boot's
     * {@code spring.security.oauth2.resourceserver.jwt.*}.
     */
    public record Security(@DefaultValue Map<String, String> apiKeys, @DefaultValue Map<String, User> users) {

        /** A login of the dashboard and the read API: its password as a hash, and its roles. */
        public record User(String password, @DefaultValue List<String> roles) {

            @Override
            public String toString() {
                return "User[password=****, roles=" + roles + "]";
            }
        }
    }

    /** A count Eventflow cannot work with at 0 (no thread, no channel, no batch) refuses the start. */
    private static void requirePositive(String key, int value) {
        if (value < 1) {
            throw new StartRefusedException(key + " is " + value, "Set it to 1 or more.");
        }
    }
}
