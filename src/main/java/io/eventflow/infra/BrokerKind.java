package io.eventflow.infra;

/** Whether the broker is RabbitMQ, which takes RabbitMQ's own queue arguments, or a generic AMQP 0-9-1 broker. */
public record BrokerKind(boolean rabbitmq) {
}
