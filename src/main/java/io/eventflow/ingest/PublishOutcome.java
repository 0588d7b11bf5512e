package io.eventflow.ingest;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import io.eventflow.api.ProblemException;
import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

/** Decides the answer to an ingest request from what the broker confirmed. */
@Component
public class PublishOutcome {

    /** Passes when the broker confirmed every event; otherwise 503 saying how many it did confirm. */
    public void requireAllConfirmed(Exchange exchange) {
        int expected = exchange.getProperty("eventCount", Integer.class);
        AtomicInteger confirmed = exchange.getProperty(ConfirmedCount.CONFIRMED, AtomicInteger.class);
        int accepted = confirmed == null ? 0 : confirmed.get();
        if (accepted < expected) {
            String cause = exchange.getProperty(ConfirmedCount.LAST_FAILURE, "no confirm", String.class);
            throw new ProblemException(503, "Broker unavailable",
                    "the broker confirmed " + accepted + " of " + expected + " events (" + cause + "); the others were not accepted",
                    Map.of("accepted", accepted, "batchId", exchange.getProperty("batchId", String.class)));
        }
    }
}
