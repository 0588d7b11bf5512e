package io.eventflow.infra.embedded;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import io.eventflow.config.StartRefusedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;

/**
 * The embedded broker and database of one application context, started together and stopped together.
 * Registered as the context's first disposable singleton, so it is destroyed last.
 */
public final class EmbeddedInfrastructure implements DisposableBean {

    public static final String BEAN_NAME = "eventflowEmbeddedInfrastructure";
    private static final Logger log = LoggerFactory.getLogger(EmbeddedInfrastructure.class);

    private final EmbeddedBroker broker;
    private final EmbeddedDatabase database;
    private final AtomicBoolean stopped = new AtomicBoolean();

    private EmbeddedInfrastructure(EmbeddedBroker broker, EmbeddedDatabase database) {
        this.broker = broker;
        this.database = database;
    }

    /** Starts both in parallel; if either fails, the other is stopped before the failure is thrown. */
    static EmbeddedInfrastructure start(EmbeddedSettings settings) {
        // Each on a thread of its own with the application's class loader: Qpid finds its plugins through the context
        // class loader, and from JDK 24 the common pool's threads have the system one, which cannot see the libraries
        // nested in the packaged jar ("At least one implementation of ... SystemConfigFactory expected").
        ClassLoader classes = Thread.currentThread().getContextClassLoader();
        Executor starter = task -> {
            Thread thread = new Thread(task, "eventflow-embedded-start");
            thread.setContextClassLoader(classes);
            thread.setDaemon(true);
            thread.start();
        };
        CompletableFuture<EmbeddedBroker> broker = CompletableFuture.supplyAsync(() -> timed(
                () -> EmbeddedBroker.start(settings.brokerDir(), settings.embeddedBrokerPort()),
                (b, ms) -> log.info("Embedded AMQP broker (Qpid Broker-J, BDB store) on 127.0.0.1:{}, "
                        + "virtual host '{}', data in {}, started in {} ms",
                        b.port(), EmbeddedBroker.VIRTUAL_HOST, b.directory(), ms)), starter);
        CompletableFuture<EmbeddedDatabase> database = CompletableFuture.supplyAsync(() -> timed(
                () -> EmbeddedDatabase.start(settings.postgresDir(), settings.postgresPasswordFile(),
                        settings.embeddedPostgresPort()),
                (d, ms) -> log.info("Embedded PostgreSQL {} on 127.0.0.1:{}, database '{}', data in {}, "
                        + "started in {} ms", EmbeddedDatabase.MAJOR_VERSION, d.port(), EmbeddedDatabase.DATABASE,
                        d.directory(), ms)), starter);
        try {
            CompletableFuture.allOf(broker, database).join();
            return new EmbeddedInfrastructure(broker.join(), database.join());
        } catch (CompletionException e) {
            broker.thenAccept(EmbeddedInfrastructure::closeQuietly);
            database.thenAccept(EmbeddedInfrastructure::closeQuietly);
            if (e.getCause() instanceof StartRefusedException refused) {
                throw refused;
            }
            throw new IllegalStateException("Could not start the embedded broker and database "
                    + "(set EVENTFLOW_EMBEDDED=false to use an external RabbitMQ and PostgreSQL): "
                    + rootCause(e), e.getCause());
        }
    }

    /** Calls {@code recreated} with a queue's name, on a broker thread, each time a deleted queue is declared again. */
    public void onQueueRecreated(Consumer<String> recreated) {
        broker.onQueueRecreated(recreated);
    }

    /** How many consumers the embedded broker counts on a queue, or -1 when it has no queue of that name. */
    public int consumers(String queue) {
        return broker.consumers(queue);
    }

    /** What Spring Boot needs to reach exactly these two servers and nothing else. */
    Map<String, Object> connectionProperties() {
        Map<String, Object> properties = new LinkedHashMap<>();
        String amqpAddress = "127.0.0.1:" + broker.port();
        properties.put("spring.rabbitmq.host", "127.0.0.1");
        properties.put("spring.rabbitmq.port", broker.port());
        // addresses wins over host/port in Boot, so a user-given one must not survive.
        properties.put("spring.rabbitmq.addresses", amqpAddress);
        properties.put("spring.rabbitmq.username", EmbeddedBroker.USERNAME);
        properties.put("spring.rabbitmq.password", broker.password());
        properties.put("spring.rabbitmq.virtual-host", EmbeddedBroker.VIRTUAL_HOST);
        properties.put("spring.rabbitmq.ssl.enabled", false);
        properties.put("spring.datasource.url", database.jdbcUrl());
        properties.put("spring.datasource.username", EmbeddedDatabase.USERNAME);
        properties.put("spring.datasource.password", database.password());
        properties.put("spring.datasource.driver-class-name", "org.postgresql.Driver");
        // Flyway would use its own url if one were given: point it at the same database.
        properties.put("spring.flyway.url", database.jdbcUrl());
        properties.put("spring.flyway.user", EmbeddedDatabase.USERNAME);
        properties.put("spring.flyway.password", database.password());
        return properties;
    }

    public int brokerPort() {
        return broker.port();
    }

    public int postgresPort() {
        return database.port();
    }

    @Override
    public void destroy() {
        if (stopped.getAndSet(true)) {
            return;
        }
        closeQuietly(broker);
        closeQuietly(database);
        log.info("Embedded AMQP broker and PostgreSQL stopped");
    }

    private static void closeQuietly(AutoCloseable part) {
        try {
            part.close();
        } catch (Exception e) {
            log.warn("Could not stop {} cleanly: {}", part.getClass().getSimpleName(), e.toString());
        }
    }

    private static String rootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.toString();
    }

    private interface Starter<T> {
        T start() throws Exception;
    }

    private interface Started<T> {
        void log(T part, long millis);
    }

    private static <T> T timed(Starter<T> starter, Started<T> started) {
        long begin = System.nanoTime();
        try {
            T part = starter.start();
            started.log(part, (System.nanoTime() - begin) / 1_000_000);
            return part;
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }
}
