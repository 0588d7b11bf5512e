package io.eventflow.infra;

import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.amqp.AmqpConnectException;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

/** The publisher's sender threads outlive an Error, so no publish is left waiting for a sender that died. */
class ConfirmedPublisherSenderTest {

    private static final long DEADLINE_MS = 30_000;

    @Test
    void aSenderThatMeetsAnErrorFailsItsBatchAtOnceAndKeepsSending() throws Exception {
        ConnectionFactory connections = mock(ConnectionFactory.class);
        when(connections.createConnection())
                .thenThrow(new OutOfMemoryError("Java heap space (simulated)"))
                .thenThrow(new AmqpConnectException(new ConnectException("Connection refused (simulated)")));
        ConfirmedPublisher publisher = new ConfirmedPublisher(connections);
        try {
            long start = System.nanoTime();
            ConfirmedPublisher.Outcome first = publisher.publish("topic1", List.of(event()), DEADLINE_MS);
            ConfirmedPublisher.Outcome second = publisher.publish("topic1", List.of(event()), DEADLINE_MS);
            long tookMs = (System.nanoTime() - start) / 1_000_000;

            assertThat(first.confirmed()).isZero();
            assertThat(first.failure()).contains("Java heap space (simulated)");
            // Answered by the same sender, alive: a dead one would have left this waiting out its deadline.
            assertThat(second.confirmed()).isZero();
            assertThat(second.failure()).contains("Connection refused (simulated)");
            assertThat(tookMs).as("both answered long before their deadline").isLessThan(DEADLINE_MS / 2);
        } finally {
            publisher.destroy();
        }
    }

    private static byte[] event() {
        return "{\"eventType\":\"passiveEvent\"}".getBytes(StandardCharsets.UTF_8);
    }
}
