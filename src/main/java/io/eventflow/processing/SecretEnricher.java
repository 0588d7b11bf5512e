package io.eventflow.processing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
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
     * For each row, the event as it arrived (read by {@link EventReader}) plus {@code secretValue}: a fresh word,
     * encrypted; as the JSON bytes of the message to topic3.
     */
    public List<byte[]> enrichAll(List<Map<String, Object>> rows) throws JsonProcessingException {
        List<byte[]> messages = new ArrayList<>(rows.size());
        for (Map<String, Object> row : rows) {
            ObjectNode event = ((ObjectNode) row.get("event")).deepCopy();
            event.put("secretValue", cipher.encrypt(words.next()));
            messages.add(json.writeValueAsBytes(event));
        }
        return messages;
    }

    /** Adds {@code secretWord} to every row, decrypted from its {@code secretValue}. */
    public List<Map<String, Object>> revealAll(List<Map<String, Object>> rows) {
        for (Map<String, Object> row : rows) {
            Object secretValue = row.get("secretValue");
            if (secretValue == null) {
                throw new PoisonMessageException("field secretValue is missing");
            }
            row.put("secretWord", cipher.decrypt((String) secretValue));
        }
        return rows;
    }
}
