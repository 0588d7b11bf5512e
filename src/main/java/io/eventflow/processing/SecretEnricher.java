package io.eventflow.processing;

import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.springframework.stereotype.Component;

/** Seals a secret word into an active event for topic3 (service 1) and opens it again (service 2). */
@Component
public class SecretEnricher {

    private final SecretWords words;
    private final SecretCipher cipher;

    public SecretEnricher(SecretWords words, SecretCipher cipher) {
        this.words = words;
        this.cipher = cipher;
    }

    /** The event as it arrived (read by {@link EventReader}), plus {@code secretValue}: a fresh word, encrypted. */
    public ObjectNode enrich(Map<String, Object> row) {
        ObjectNode event = ((ObjectNode) row.get("event")).deepCopy();
        event.put("secretValue", cipher.encrypt(words.next()));
        return event;
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
