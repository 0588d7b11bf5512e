package io.eventflow.ingest;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

import io.eventflow.api.ProblemException;

/**
 * The {@code Idempotency-Key} of an ingest request (the IETF httpapi draft's header), and the ids derived from it: the
 * same key, eventType and count always give the same batchId and the same event ids, so a retry of a request publishes
 * the same events again and the idempotent inserts store each of them once.
 * <p>
 * Ids are name-based UUIDs (version 3, {@link UUID#nameUUIDFromBytes}) of {@code eventflow/1}, the key, the eventType,
 * the count and the event's index (or {@code batch}). Eventflow keeps no record of keys: the same key with another
 * eventType or count is another request whose events get other ids, not a detectable reuse. Keys of all clients share
 * one space, hence the minimum length: a UUID per request is the intended key.
 */
public final class IdempotencyKey {

    public static final String HEADER = "Idempotency-Key";
    static final int MIN_LENGTH = 16;
    static final int MAX_LENGTH = 255;
    /** Changing the derivation would give a retry across an upgrade other ids: never change it, add a new version. */
    private static final String NAMESPACE = "eventflow/1\n";

    private final String prefix;

    private IdempotencyKey(String key, String eventType, int count) {
        this.prefix = NAMESPACE + key + "\n" + eventType + "\n" + count + "\n";
    }

    /**
     * The key of a request, or null when it carried none; a key that is not 16 to 255 visible ASCII characters
     * (optionally in double quotes, the draft's structured-field string) is refused with 400.
     */
    static String validate(String header) {
        if (header == null) {
            return null;
        }
        String key = header.length() >= 2 && header.startsWith("\"") && header.endsWith("\"")
                ? header.substring(1, header.length() - 1) : header;
        if (key.length() < MIN_LENGTH || key.length() > MAX_LENGTH) {
            throw invalid("it is " + key.length() + " characters long");
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') {
                throw invalid("character " + (i + 1) + " is not a visible ASCII character other than \" and \\");
            }
        }
        return key;
    }

    private static ProblemException invalid(String why) {
        return new ProblemException(400, "Invalid Idempotency-Key", "an Idempotency-Key is " + MIN_LENGTH + " to " + MAX_LENGTH
                + " visible ASCII characters, such as a UUID; " + why);
    }

    /** The ids of a request with this (validated) key, eventType and count. */
    static IdempotencyKey of(String key, String eventType, int count) {
        return new IdempotencyKey(key, eventType, count);
    }

    UUID batchId() {
        return uuid("batch");
    }

    UUID eventId(int index) {
        return uuid(Integer.toString(index));
    }

    private UUID uuid(String name) {
        return UUID.nameUUIDFromBytes((prefix + name).getBytes(StandardCharsets.US_ASCII));
    }
}
