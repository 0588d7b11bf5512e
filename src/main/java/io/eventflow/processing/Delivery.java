package io.eventflow.processing;

import java.io.IOException;

import com.rabbitmq.client.Channel;
import org.apache.camel.Exchange;
import org.apache.camel.component.springrabbit.SpringRabbitMQConstants;
import org.springframework.amqp.rabbit.connection.ChannelProxy;

/**
 * One message a consumer received and has not acknowledged yet: its bytes as they arrived, the queue it was
 * published to, and the channel and delivery tag that acknowledge it.
 */
public record Delivery(byte[] body, String contentType, String routingKey, Channel channel, long deliveryTag) {

    /** The delivery of a message just consumed with {@code acknowledgeMode: MANUAL}. */
    static Delivery of(Exchange consumed) {
        Channel channel = consumed.getProperty(SpringRabbitMQConstants.CHANNEL, Channel.class);
        // A tag is valid only on the channel that delivered it. Spring's cached channel proxy opens a new channel
        // after a connection loss, where an old tag would be unknown and close that channel; the real one fails instead.
        if (channel instanceof ChannelProxy proxy) {
            channel = proxy.getTargetChannel();
        }
        return new Delivery(
                consumed.getMessage().getBody(byte[].class),
                consumed.getMessage().getHeader(SpringRabbitMQConstants.CONTENT_TYPE, String.class),
                consumed.getMessage().getHeader(SpringRabbitMQConstants.ROUTING_KEY, String.class),
                channel,
                consumed.getMessage().getHeader(SpringRabbitMQConstants.DELIVERY_TAG, Long.class));
    }

    /** Acknowledges it; false when its channel is gone, in which case the broker delivers it again. */
    boolean ack() {
        try {
            channel.basicAck(deliveryTag, false);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Gives it back to its queue; false when its channel is gone, which gives it back too. */
    boolean requeue() {
        try {
            channel.basicNack(deliveryTag, false, true);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
