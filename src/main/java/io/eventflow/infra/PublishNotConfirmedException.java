package io.eventflow.infra;

import org.springframework.amqp.AmqpException;

/** The broker did not confirm every message of a batch (unreachable, refused, or could not route it): retry. */
public class PublishNotConfirmedException extends AmqpException {

    public PublishNotConfirmedException(String message) {
        super(message);
    }
}
