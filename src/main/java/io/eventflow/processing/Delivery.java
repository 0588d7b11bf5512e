package io.eventflow.processing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import com.rabbitmq.client.Channel;
import io.eventflow.tracing.MessageTracing;
import org.apache.camel.Exchange;
import org.apache.camel.component.springrabbit.SpringRabbitMQConstants;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.connection.ChannelProxy;

/**
 * One message a consumer received and has not acknowledged yet: its bytes as they arrived, the queue it was
 * published to, the channel and delivery tag that acknowledge it, and its producer's W3C {@code traceparent} (null
 * when it carries none: tracing off, io.eventflow.tracing).
 */
public record Delivery(byte[] body, String contentType, String routingKey, Channel channel, long deliveryTag,
        String traceparent) {

    /**
     * A message the listener container just received on {@code channel} from its queue, as it arrived: known to the
     * channel's acknowledgements from now on, before anything reads it.
     */
    public static Delivery arrived(Message message, Channel channel) {
        MessageProperties properties = message.getMessageProperties();
        Delivery delivery = new Delivery(message.getBody(), properties.getContentType(), properties.getConsumerQueue(),
                target(channel), properties.getDeliveryTag(), MessageTracing.traceparent(properties.getHeaders()));
        ChannelAcks.of(delivery.channel()).delivered(delivery.deliveryTag());
        return delivery;
    }

    /** The delivery of a message just consumed with {@code acknowledgeMode: MANUAL}, handed to a batch. */
    static Delivery of(Exchange consumed) {
        Channel channel = target(consumed.getProperty(SpringRabbitMQConstants.CHANNEL, Channel.class));
        Delivery delivery = new Delivery(
                consumed.getMessage().getBody(byte[].class),
                consumed.getMessage().getHeader(SpringRabbitMQConstants.CONTENT_TYPE, String.class),
                consumed.getMessage().getHeader(SpringRabbitMQConstants.ROUTING_KEY, String.class),
                channel,
                consumed.getMessage().getHeader(SpringRabbitMQConstants.DELIVERY_TAG, Long.class),
                consumed.getMessage().getHeader(MessageTracing.TRACEPARENT, String.class));
        ChannelAcks.of(channel).received(delivery.deliveryTag());
        return delivery;
    }

    /**
     * A tag is valid only on the channel that delivered it. Spring's cached channel proxy opens a new channel after a
     * connection loss, where an old tag would be unknown and close that channel; the real one fails instead.
     */
    private static Channel target(Channel channel) {
        return channel instanceof ChannelProxy proxy ? proxy.getTargetChannel() : channel;
    }

    /** Whether a batch took it (and settles it); if not, whoever received it must. */
    public boolean inBatch() {
        return ChannelAcks.of(channel).inBatch(deliveryTag);
    }

    /**
     * Acknowledges these deliveries, whose messages were stored: one multiple ack per channel where it can
     * ({@link ChannelAcks}). How many could not be, their channel gone: the broker delivers those again.
     */
    static int ack(List<Delivery> deliveries) {
        Map<Channel, List<Long>> tags = new IdentityHashMap<>();
        for (Delivery delivery : deliveries) {
            tags.computeIfAbsent(delivery.channel(), channel -> new ArrayList<>()).add(delivery.deliveryTag());
        }
        int lost = 0;
        for (Map.Entry<Channel, List<Long>> channel : tags.entrySet()) {
            try {
                ChannelAcks.of(channel.getKey()).ack(channel.getKey(), channel.getValue());
            } catch (IOException | RuntimeException e) {
                lost += channel.getValue().size();
            }
        }
        return lost;
    }

    /** Acknowledges it; false when its channel is gone, in which case the broker delivers it again. */
    boolean ack() {
        return ack(List.of(this)) == 0;
    }

    /** Gives it back to its queue; false when its channel is gone, which gives it back too. */
    boolean requeue() {
        try {
            ChannelAcks.of(channel).requeue(channel, deliveryTag);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
