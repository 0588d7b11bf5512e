package io.eventflow.processing;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.springframework.stereotype.Component;

/** Seals a secret word into an active event for topic3 (service 1) and opens it again (service 2). */
@Component
public class SecretEnricher {

    private final SecretWords words;
    private final SecretCipher cipher;
    private final ObjectMapper json = new ObjectMapper();

    public SecretEnricher(SecretWords words, SecretCipher cipher) {
        this.words = words;
        this.cipher = cipher;
    }

    /**
     * For each event, the message as it arrived (read by {@link EventReader}) plus {@code secretValue}: a fresh word,
     * encrypted, and {@code secretKeyId}: the id of the key that sealed it; as the JSON bytes of the message to topic3.
     */
    public List<byte[]> enrichAll(List<Event> events) throws JsonProcessingException {
        List<byte[]> messages = new ArrayList<>(events.size());
        for (Event event : events) {
            ObjectNode sealed = event.json().deepCopy();
            sealed.put("secretValue", cipher.encrypt(words.next()));
            sealed.put("secretKeyId", cipher.sealingKeyId());
            messages.add(json.writeValueAsBytes(sealed));
        }
        return messages;
    }

    /**
     * Gives every event its {@code secretWord}, decrypted from its {@code secretValue} with the key its
     * {@code secretKeyId} names; without one (sealed by an Eventflow before key ids), with the key {@code default}.
     */
    public List<Event> revealAll(List<Event> events) {
        events.replaceAll(event -> {
            if (event.secretValue() == null) {
                throw new PoisonMessageException("field secretValue is missing");
            }
            JsonNode keyId = event.json().get("secretKeyId");
            if (keyId != null && !keyId.isNull() && !keyId.isTextual()) {
                throw new PoisonMessageException("field secretKeyId is not a string");
            }
            return event.withSecretWord(cipher.decrypt(keyId == null || keyId.isNull() ? null : keyId.textValue(), event.secretValue()));
        });
        return events;
    }
}
