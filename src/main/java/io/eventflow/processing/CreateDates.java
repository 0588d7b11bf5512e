package io.eventflow.processing;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * An event's {@code create_date} as epoch milliseconds, for the created-to-stored timer. The ingest writes every date as
 * {@code yyyy-MM-ddTHH:mm:ss.SSSZ} and a batch's events mostly share their second, so the second is parsed once and
 * only the milliseconds per event: {@link Instant#parse} on every event was ~3 % of Eventflow's CPU under one-event
 * requests (a JFR profile, docs/benchmarks.md). Any other form (a foreign producer's offset) goes through
 * {@link Instant#parse}, with its answer or its exception.
 */
final class CreateDates {

    private static final int SECOND_LENGTH = "yyyy-MM-ddTHH:mm:ss".length();

    private record Second(String text, long epochMillis) {
    }

    // Read and replaced whole by the store routes' threads: at worst two parse the same new second.
    private volatile Second last;

    long epochMillis(String date) {
        if (date.length() != SECOND_LENGTH + 5 || date.charAt(SECOND_LENGTH) != '.' || date.charAt(date.length() - 1) != 'Z') {
            return Instant.parse(date).toEpochMilli();
        }
        int millis = 0;
        for (int i = SECOND_LENGTH + 1; i < SECOND_LENGTH + 4; i++) {
            char digit = date.charAt(i);
            if (digit < '0' || digit > '9') {
                throw new DateTimeParseException("not a create_date", date, i);
            }
            millis = millis * 10 + digit - '0';
        }
        Second second = last;
        if (second == null || !date.regionMatches(0, second.text(), 0, SECOND_LENGTH)) {
            String text = date.substring(0, SECOND_LENGTH);
            second = new Second(text, Instant.parse(text + 'Z').toEpochMilli());
            last = second;
        }
        return second.epochMillis() + millis;
    }
}
