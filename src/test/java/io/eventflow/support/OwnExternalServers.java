package io.eventflow.support;

import java.sql.SQLException;

import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * For a test class with a Spring context of its own (@DirtiesContext): in external mode a vhost and a database of its
 * own on the machine's RabbitMQ and PostgreSQL, given to the context, dropped by {@link #close()}; in embedded mode
 * nothing (the context's embedded servers are its own already).
 */
public final class OwnExternalServers implements AutoCloseable {

    private final OwnVhost vhost;
    private final OwnDatabase database;

    private OwnExternalServers(OwnVhost vhost, OwnDatabase database) {
        this.vhost = vhost;
        this.database = database;
    }

    /** Called from the test's @DynamicPropertySource; close it in @AfterAll. */
    public static OwnExternalServers register(String name, DynamicPropertyRegistry registry) throws SQLException {
        if (EventflowProcess.EMBEDDED) {
            return new OwnExternalServers(null, null);
        }
        OwnVhost vhost = OwnVhost.create(name);
        OwnDatabase database = OwnDatabase.create(name);
        registry.add("spring.rabbitmq.virtual-host", vhost::name);
        registry.add("spring.datasource.url", database::url);
        return new OwnExternalServers(vhost, database);
    }

    /** The vhost of external mode, null in embedded mode. */
    public String vhost() {
        return vhost == null ? null : vhost.name();
    }

    @Override
    public void close() throws SQLException {
        if (vhost != null) {
            vhost.close();
            database.close();
        }
    }
}
