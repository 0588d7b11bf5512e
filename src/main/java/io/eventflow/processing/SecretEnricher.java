package io.eventflow.processing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.springframework.stereotype.Component;

/** Seals a secret word into an active event for topic3 (service 1) and opens it again (service 2). */
@Component
public class SecretEnricher {

    private static final TypeReference<LinkedHashMap<String, Object>> EVENT = new TypeReference<>() {
    };

    private final SecretWords words;
    private final SecretCipher cipher;
    private final ObjectMapper json = new ObjectMapper();

    public SecretEnricher(SecretWords words, SecretCipher cipher) {
        this.words = words;
        this.cipher = cipher;
    }

    /** The event as it arrived, plus {@code secretValue}: a fresh word, encrypted. */
    public Map<String, Object> enrich(Map<String, Object> row) {
        try {
            Map<String, Object> event = json.readValue((String) row.get("eventData"), EVENT);
            event.put("secretValue", cipher.encrypt(words.next()));
            return event;
        } catch (IOException e) {
            throw new UncheckedIOException("eventData was read once already", e);
        }
    }

    /** Adds {@code secretWord}, decrypted from the row's {@code secretValue}. */
    public Map<String, Object> reveal(Map<String, Object> row) {
        Object secretValue = row.get("secretValue");
        if (secretValue == null) {
            throw new PoisonMessageException("field secretValue is missing");
        }
        row.put("secretWord", cipher.decrypt((String) secretValue));
        return row;
    }
}
