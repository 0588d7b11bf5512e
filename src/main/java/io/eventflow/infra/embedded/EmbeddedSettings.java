package io.eventflow.infra.embedded;

import java.nio.file.Path;

import io.eventflow.config.EventflowProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * The {@code eventflow.*} keys that decide whether and where the embedded broker and database run, taken from
 * {@link EventflowProperties} (their one home, defaults included) with a {@link Binder}, because they are needed
 * before any bean exists.
 */
public record EmbeddedSettings(boolean embedded, Path dataDir, int embeddedBrokerPort, int embeddedPostgresPort) {

    public EmbeddedSettings {
        checkPort("eventflow.embedded-broker-port", embeddedBrokerPort, 5672);
        checkPort("eventflow.embedded-postgres-port", embeddedPostgresPort, 5432);
    }

    static EmbeddedSettings from(ConfigurableEnvironment environment) {
        EventflowProperties properties = Binder.get(environment).bindOrCreate("eventflow", EventflowProperties.class);
        return new EmbeddedSettings(properties.embedded(), properties.dataDir(),
                properties.embeddedBrokerPort(), properties.embeddedPostgresPort());
    }

    Path brokerDir() {
        return dataDir.toAbsolutePath().normalize().resolve("broker");
    }

    Path postgresDir() {
        return dataDir.toAbsolutePath().normalize().resolve("postgres");
    }

    /** Beside the cluster, not in it: initdb wants the cluster's folder empty and reads the password from here. */
    Path postgresPasswordFile() {
        return dataDir.toAbsolutePath().normalize().resolve("postgres.password");
    }

    // The default port belongs to a real server the user may run; an embedded one must never take it.
    private static void checkPort(String key, int port, int forbidden) {
        if (port < 0 || port > 65535 || port == forbidden) {
            throw new IllegalArgumentException(key + "=" + port
                    + ": expected 0 (pick a free port) or a port from 1 to 65535 other than " + forbidden);
        }
    }
}
