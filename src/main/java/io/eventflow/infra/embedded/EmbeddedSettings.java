package io.eventflow.infra.embedded;

import java.nio.file.Path;

import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * The {@code eventflow.*} keys that decide whether and where the embedded broker and database run.
 * Read with a {@link Binder} because they are needed before any bean exists.
 */
public record EmbeddedSettings(
        @DefaultValue("true") boolean embedded,
        @DefaultValue("data") Path dataDir,
        @DefaultValue("0") int embeddedBrokerPort,
        @DefaultValue("0") int embeddedPostgresPort) {

    public EmbeddedSettings {
        checkPort("eventflow.embedded-broker-port", embeddedBrokerPort, 5672);
        checkPort("eventflow.embedded-postgres-port", embeddedPostgresPort, 5432);
    }

    static EmbeddedSettings from(ConfigurableEnvironment environment) {
        return Binder.get(environment)
                .bindOrCreate("eventflow", Bindable.of(EmbeddedSettings.class));
    }

    Path brokerDir() {
        return dataDir.toAbsolutePath().normalize().resolve("broker");
    }

    Path postgresDir() {
        return dataDir.toAbsolutePath().normalize().resolve("postgres");
    }

    // The default port belongs to a real server the user may run; an embedded one must never take it.
    private static void checkPort(String key, int port, int forbidden) {
        if (port < 0 || port > 65535 || port == forbidden) {
            throw new IllegalArgumentException(key + "=" + port
                    + ": expected 0 (pick a free port) or a port from 1 to 65535 other than " + forbidden);
        }
    }
}
