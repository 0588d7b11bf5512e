package io.eventflow.processing;

/** A message that no retry can make succeed: it goes to its queue's dead-letter queue with this reason. */
public class PoisonMessageException extends RuntimeException {

    public PoisonMessageException(String reason) {
        super(reason);
    }

    public PoisonMessageException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
