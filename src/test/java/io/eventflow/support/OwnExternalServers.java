package io.eventflow.support;

import java.sql.SQLException;
import java.time.Duration;

import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.QueueInformation;
import org.springframework.test.context.DynamicPropertyRegistry;

import static org.awaitility.Awaitility.await;

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

    /**
     * Deletes a queue of the context's broker and, in external mode, returns once RabbitMQ has cancelled its consumers.
     * RabbitMQ 3.10 tells a deleted quorum queue's consumers asynchronously; a queue of the same name declared before
     * it did inherits them as ghosts that are counted and take messages but never deliver them (reproduced with a bare
     * client: 20 of 20 runs; docs/operations.md). An operator's delete and declare are seconds apart.
     */
    public void deleteQueue(AmqpAdmin amqp, String queue) {
        if (vhost == null) {
            amqp.deleteQueue(queue);
            return;
        }
        long channelConsumers = MachineServices.rabbitmqChannelConsumers(vhost.name());
        QueueInformation info = amqp.getQueueInfo(queue);
        int queueConsumers = info == null ? 0 : info.getConsumerCount();
        amqp.deleteQueue(queue);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> MachineServices.rabbitmqChannelConsumers(vhost.name()) == channelConsumers - queueConsumers);
    }

    @Override
    public void close() throws SQLException {
        if (vhost != null) {
            vhost.close();
            database.close();
        }
    }
}
