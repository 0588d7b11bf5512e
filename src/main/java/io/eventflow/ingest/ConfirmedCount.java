package io.eventflow.ingest;

import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

/**
 * Counts the events of one request whose publish the broker confirmed, so the answer can say exactly how many
 * were accepted. A failed publish is counted, not rethrown: every event of the request is attempted.
 * Sets property {@code confirmed} on the request's exchange.
 */
@Component
public class ConfirmedCount implements AggregationStrategy {

    public static final String CONFIRMED = "confirmed";
    public static final String LAST_FAILURE = "publishFailure";

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        throw new UnsupportedOperationException("needs the input exchange");
    }

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange, Exchange inputExchange) {
        AtomicInteger confirmed = inputExchange.getProperty(CONFIRMED, AtomicInteger.class);
        if (confirmed == null) {
            confirmed = new AtomicInteger();
            inputExchange.setProperty(CONFIRMED, confirmed);
        }
        // A failure counts whether it is still on the exchange or an onException already handled it.
        Exception failure = newExchange.getException() != null
                ? newExchange.getException()
                : newExchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        if (failure == null) {
            confirmed.incrementAndGet();
        } else {
            inputExchange.setProperty(LAST_FAILURE, failure.getMessage());
            newExchange.setException(null);
        }
        return inputExchange;
    }

    @Override
    public void timeout(Exchange exchange, int index, int total, long timeout) {
        // What the broker has not confirmed by the request's deadline is not accepted; late confirms are ignored.
        exchange.setProperty(LAST_FAILURE, "no confirm within the request deadline of " + timeout + " ms");
    }
}
