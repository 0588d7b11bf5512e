package io.eventflow.processing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.eventflow.support.EventflowIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.beans.factory.annotation.Autowired;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.verifyNoMoreInteractions;

/**
 * A batch's messages are acknowledged with one multiple ack, and that ack never takes a message that is not stored:
 * on the run's broker, a channel closed after the acks gives back exactly the messages that were not acknowledged.
 */
class ChannelAcksTest extends EventflowIntegrationTest {

    @Autowired
    CachingConnectionFactory connectionFactory;

    // A channel whose first tag is not 1 is acknowledged one tag at a time (ChannelAcksModelTest).
    @Test
    void aBatchOfContiguousTagsFromTheChannelsFirstIsOneMultipleAck() throws Exception {
        Channel channel = mock(Channel.class);
        ChannelAcks acks = ChannelAcks.of(channel);
        List<Long> batch = LongStream.rangeClosed(1, 250).boxed().toList();
        batch.forEach(acks::received);

        acks.ack(channel, batch);

        verify(channel).basicAck(250, true);
        verifyNoMoreInteractions(channel);
    }

    @Test
    void storedTagsWaitASecondAtMostBehindASlowBatchThenMultipleAcksGoOn() throws Exception {
        Channel channel = mock(Channel.class);
        AtomicLong now = new AtomicLong();
        // No timer: here another ack comes after the wait (the timer alone: ChannelAcksModelTest).
        ChannelAcks acks = new ChannelAcks(now::get, (delay, task) -> { });
        LongStream.rangeClosed(1, 5).forEach(acks::received);

        acks.ack(channel, List.of(2L, 3L));
        verifyNoInteractions(channel);
        now.addAndGet(ChannelAcks.MAX_WAIT_NANOS + 1);
        acks.ack(channel, List.of(4L));
        acks.ack(channel, List.of(1L));
        acks.received(6);
        acks.received(7);
        acks.ack(channel, List.of(5L, 6L, 7L));

        var sent = inOrder(channel);
        sent.verify(channel).basicAck(2, false);
        sent.verify(channel).basicAck(3, false);
        sent.verify(channel).basicAck(4, false);
        sent.verify(channel).basicAck(1, true);
        sent.verify(channel).basicAck(7, true);
        verifyNoMoreInteractions(channel);
    }

    @Test
    void aBatchStoredBeforeAnEarlierOneWaitsForIt() throws Exception {
        int back = givenBack(6, (channel, tags) -> received(channel, tags).ack(channel, tags.subList(3, 6)));

        assertThat(back).as("batch 1-3, still being stored, is not acknowledged by batch 4-6's ack").isEqualTo(6);
    }

    @Test
    void bothBatchesStoredInEitherOrderAcknowledgeAll() throws Exception {
        int back = givenBack(6, (channel, tags) -> {
            ChannelAcks acks = received(channel, tags);
            acks.ack(channel, tags.subList(3, 6));
            acks.ack(channel, tags.subList(0, 3));
        });

        assertThat(back).isZero();
    }

    @Test
    void aTagNoBatchHoldsIsNeverTakenByAMultipleAck() throws Exception {
        int back = givenBack(6, (channel, tags) -> {
            // The third delivery never reached a batch (the listener container gave it back, or it failed on the way).
            List<Long> held = List.of(tags.get(0), tags.get(1), tags.get(3), tags.get(4), tags.get(5));
            ChannelAcks acks = received(channel, held);
            acks.ack(channel, held.subList(0, 2));
            acks.ack(channel, held.subList(2, 5));
        });

        assertThat(back).as("only the delivery no batch held").isEqualTo(1);
    }

    @Test
    void aDeliveryGivenBackIsSkippedByTheMultipleAckAfterIt() throws Exception {
        int back = givenBack(3, (channel, tags) -> {
            ChannelAcks acks = received(channel, tags);
            acks.requeue(channel, tags.get(1));
            acks.ack(channel, List.of(tags.get(0), tags.get(2)));
            assertThat(channel.isOpen()).as("no ack named the tag given back").isTrue();
        });

        assertThat(back).as("the one given back").isEqualTo(1);
    }

    /** What a test does with the tags of the messages it took. */
    private interface Settling {
        void settle(Channel channel, List<Long> tags) throws Exception;
    }

    /**
     * On a connection of its own: a queue of {@code messages} messages, all taken unacknowledged on one channel and
     * settled as the test says; then how many the queue has back once that channel is closed.
     */
    private int givenBack(int messages, Settling settling) throws Exception {
        try (Connection connection = connectionFactory.getRabbitConnectionFactory().newConnection()) {
            String queue = queueOf(connection, messages);
            Channel channel = connection.createChannel();
            settling.settle(channel, get(channel, queue, messages));
            return givenBackOnClose(connection, channel, queue);
        }
    }

    /** A queue of this connection's own, holding {@code messages} messages. */
    private static String queueOf(Connection connection, int messages) throws Exception {
        Channel channel = connection.createChannel();
        String queue = channel.queueDeclare("", false, true, false, null).getQueue();
        for (int i = 0; i < messages; i++) {
            channel.basicPublish("", queue, null, ("m" + i).getBytes(UTF_8));
        }
        channel.close();
        return queue;
    }

    /** The channel's acknowledgements, each of these deliveries handed to a batch. */
    private static ChannelAcks received(Channel channel, List<Long> tags) {
        ChannelAcks acks = ChannelAcks.of(channel);
        tags.forEach(acks::received);
        return acks;
    }

    /** Takes {@code count} messages from the queue, unacknowledged. */
    private static List<Long> get(Channel channel, String queue, int count) throws Exception {
        List<Long> tags = new ArrayList<>();
        while (tags.size() < count) {
            GetResponse response = channel.basicGet(queue, false);
            if (response != null) {
                tags.add(response.getEnvelope().getDeliveryTag());
            }
        }
        return tags;
    }

    /**
     * Closes the channel, which gives back what it had not acknowledged, and counts the queue's messages once the count
     * held for a while (the broker counts what came back a moment after the close).
     */
    private static int givenBackOnClose(Connection connection, Channel channel, String queue) throws Exception {
        channel.close();
        Channel look = connection.createChannel();
        try {
            AtomicInteger last = new AtomicInteger(-1);
            await().atMost(Duration.ofSeconds(10)).during(Duration.ofMillis(300)).until(() -> {
                int now = look.queueDeclarePassive(queue).getMessageCount();
                return now == last.getAndSet(now);
            });
            return last.get();
        } finally {
            look.close();
        }
    }
}
