package io.eventflow.ingest;

import java.util.Map;

import io.eventflow.api.ProblemException;
import io.eventflow.infra.ConfirmedPublisher;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.springframework.stereotype.Component;

/** Decides the answer to an ingest request from what the broker confirmed. */
@Component
public class PublishOutcome implements Processor {

    /** The route's step: the body is the broker's outcome. */
    @Override
    public void process(Exchange exchange) {
        requireAllConfirmed(exchange.getIn().getBody(ConfirmedPublisher.Outcome.class), exchange);
    }

    /**
     * Passes when the broker confirmed every event; otherwise 503 saying how many it did confirm ({@code accepted}), how
     * many were sent without a confirm by the deadline and may still be stored ({@code unconfirmed}; the rest were never
     * published), and with {@code retrySafe} whether sending the same request again (with its Idempotency-Key) stores
     * none twice.
     */
    public void requireAllConfirmed(ConfirmedPublisher.Outcome outcome, Exchange exchange) {
        int expected = exchange.getProperty("eventCount", Integer.class);
        if (outcome.confirmed() < expected) {
            String cause = outcome.failure() == null ? "no confirm" : outcome.failure();
            String others = outcome.unconfirmed() == 0 ? "the others were not accepted"
                    : outcome.unconfirmed() + " were sent without a confirm and may still be stored, the other "
                    + (expected - outcome.confirmed() - outcome.unconfirmed()) + " were not published";
            throw new ProblemException(503, "Broker unavailable",
                    "the broker confirmed " + outcome.confirmed() + " of " + expected + " events (" + cause + "); " + others,
                    Map.of("accepted", outcome.confirmed(), "unconfirmed", outcome.unconfirmed(),
                            "batchId", exchange.getProperty("batchId", String.class),
                            "retrySafe", exchange.getProperty("retrySafe", Boolean.class)));
        }
    }
}
