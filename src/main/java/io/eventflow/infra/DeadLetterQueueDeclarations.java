package io.eventflow.infra;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeoutException;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ShutdownSignalException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.rabbit.connection.Connection;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.connection.ConnectionListener;

/**
 * On RabbitMQ, declares the {@code .dlq} classic queues on every new connection, each on a channel of its own, apart
 * from RabbitAdmin's round of the quorum queues. A classic queue lives on one node; while that node is down or cut off
 * (a partition, a node paused by {@code pause_minority}) declaring it fails with 404 "home node ... is down or
 * inaccessible". In RabbitAdmin's round that failure closed the round's channel and failed the round, which RabbitAdmin
 * retried for about 12 s inside the connect, holding the connection every publisher and consumer waits for
 * (PartitionsClusterIT: accepting again 16 s after Eventflow had reconnected to the majority). Here it is a warning,
 * and the queue is declared again on the next connection.
 */
public final class DeadLetterQueueDeclarations implements ConnectionListener {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterQueueDeclarations.class);

    private final List<String> queues;
    private final ConnectionFactory connectionFactory;

    DeadLetterQueueDeclarations(List<String> queues, ConnectionFactory connectionFactory) {
        this.queues = List.copyOf(queues);
        this.connectionFactory = connectionFactory;
        connectionFactory.addConnectionListener(this);
    }

    @Override
    public void onCreate(Connection connection) {
        declareOn(connection);
    }

    /** Declares them on the current connection (opening one), for a connection opened before this listener was added. */
    public void declareNow() {
        try {
            declareOn(connectionFactory.createConnection());
        } catch (AmqpException e) {
            LOG.warn("Broker not reachable to declare the dead-letter queues now ({}); they are declared on connect", e.getMessage());
        }
    }

    private void declareOn(Connection connection) {
        for (String queue : queues) {
            Channel channel = null;
            try {
                channel = connection.createChannel(false);
                if (BrokerTopology.declaredTheOldWay(channel, queue)) {
                    LOG.warn("{} is a quorum queue, declared by an older Eventflow: left as it is. Browsing it would spend its letters'"
                            + " deliveries, which a delivery limit turns into drops, so it is listed by depth only and replayed whole;"
                            + " replay or move its letters, then delete it and let Eventflow declare it as a classic queue", queue);
                }
            } catch (IOException | AmqpException | ShutdownSignalException e) {
                LOG.warn("{} not declared now ({}); it is declared again on the next connection", queue, reason(e));
            } finally {
                closeQuietly(channel);
            }
        }
    }

    private static String reason(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ShutdownSignalException shutdown && shutdown.getReason() != null) {
                return shutdown.getReason().toString();
            }
        }
        return e.toString();
    }

    /** A channel the broker closed (404, 406) is closed already: closing it again is no news. */
    private static void closeQuietly(Channel channel) {
        if (channel != null && channel.isOpen()) {
            try {
                channel.close();
            } catch (IOException | TimeoutException | ShutdownSignalException e) {
                LOG.debug("Closing a declaration channel: {}", e.toString());
            }
        }
    }
}
