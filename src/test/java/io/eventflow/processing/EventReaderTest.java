package io.eventflow.processing;

import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.support.QueueMessages;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The event message as a record: read field by field, and written back it is the message on the wire (create_date). */
class EventReaderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anEventWrittenBackIsTheMessageItWasReadFrom() throws Exception {
        String message = QueueMessages.event("activeEvent", UUID.randomUUID(), "sealed");

        Event event = new EventReader().read(message, "activeEvent");

        assertThat(event.message()).isEqualTo(message);
        assertThat(JSON.readTree(JSON.writeValueAsString(event))).isEqualTo(JSON.readTree(message));
        assertThat(JSON.writeValueAsString(event.processedAt("2026-11-30T00:00:00Z").withSecretWord("basil")))
                .as("what the consumer adds is not part of the message").isEqualTo(JSON.writeValueAsString(event));
    }

    @Test
    void aMessageOfAnotherEventTypeIsPoison() {
        String message = QueueMessages.event("passiveEvent", UUID.randomUUID(), null);

        assertThatThrownBy(() -> new EventReader().read(message, "activeEvent")).isInstanceOf(PoisonMessageException.class)
                .hasMessageContaining("this queue carries activeEvent");
    }
}
