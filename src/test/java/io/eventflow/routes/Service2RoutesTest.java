package io.eventflow.routes;

import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;

import io.eventflow.processing.DeadLetters;
import io.eventflow.processing.SecretCipher;
import io.eventflow.routes.RouteFiles.MockBroker;
import io.eventflow.routes.RouteFiles.RecordingChannel;
import io.eventflow.support.QueueMessages;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * routes/service2.camel.yaml: a topic3 batch has each event's secretValue decrypted into the secret_word column and is
 * stored with one insert; a ciphertext that does not open (another key, tampered) is poison, dead-lettered to
 * topic3.dlq with its reason. The consumer is replaced by {@code direct:topic3}, the insert by {@code mock:insert-topic3}.
 */
class Service2RoutesTest {

    private CamelContext camel;
    private final RecordingChannel channel = new RecordingChannel();
    private final SecretCipher cipher = RouteFiles.cipher();
    private ProducerTemplate broker;
    private MockEndpoint inserts;

    @BeforeEach
    void start() throws Exception {
        camel = RouteFiles.load(RouteFiles.consumerSettings(2), "consumers.camel.yaml", "service2.camel.yaml");
        RouteFiles.bindConsumerBeans(camel, new MockBroker(camel));
        AdviceWith.adviceWith(camel, "service2-topic3-batch", route -> route.replaceFromWith("direct:topic3"));
        AdviceWith.adviceWith(camel, "service2-topic3", route -> route.weaveByToUri("sql:*").replace().to("mock:insert-topic3"));
        camel.start();
        broker = camel.createProducerTemplate();
        inserts = camel.getEndpoint("mock:insert-topic3", MockEndpoint.class);
    }

    @AfterEach
    void stop() {
        camel.stop();
    }

    @Test
    void eachSecretValueIsDecryptedIntoTheSecretWordColumn() throws Exception {
        inserts.expectedMessageCount(1);
        UUID apple = UUID.randomUUID();
        UUID pear = UUID.randomUUID();

        deliver(QueueMessages.event("activeEvent", apple, cipher.encrypt("apple")), 1);
        deliver(QueueMessages.event("activeEvent", pear, cipher.encrypt("pear")), 2);

        await().atMost(Duration.ofSeconds(20)).until(() -> channel.acked.size() == 2);
        inserts.assertIsSatisfied();
        Map<?, ?> columns = inserts.getExchanges().get(0).getMessage().getBody(Map.class);
        String[] ids = (String[]) columns.get("eventId");
        String[] words = (String[]) columns.get("secretWord");
        assertThat(words).hasSize(2);
        assertThat(words[java.util.Arrays.asList(ids).indexOf(apple.toString())]).isEqualTo("apple");
        assertThat(words[java.util.Arrays.asList(ids).indexOf(pear.toString())]).isEqualTo("pear");
        assertThat(channel.acked).containsExactlyInAnyOrder(1L, 2L);
    }

    @Test
    void aSecretValueThatDoesNotOpenIsDeadLetteredWithItsReason() throws Exception {
        MockEndpoint deadLetters = camel.getEndpoint("mock:topic3.dlq", MockEndpoint.class);
        deadLetters.expectedMessageCount(1);
        deadLetters.expectedHeaderReceived(DeadLetters.ROUTE, "service2-topic3");
        inserts.expectedMessageCount(1);
        byte[] sealed = Base64.getDecoder().decode(cipher.encrypt("plum"));
        sealed[sealed.length - 1] ^= 1;
        String tampered = Base64.getEncoder().encodeToString(sealed);

        deliver(QueueMessages.event("activeEvent", UUID.randomUUID(), tampered), 1);
        deliver(QueueMessages.event("activeEvent", UUID.randomUUID(), cipher.encrypt("fig")), 2);

        await().atMost(Duration.ofSeconds(20)).until(() -> channel.acked.size() == 2);
        MockEndpoint.assertIsSatisfied(camel);
        assertThat(deadLetters.getExchanges().get(0).getMessage().getHeader(DeadLetters.REASON, String.class))
                .isEqualTo("secretValue does not decrypt: wrong key or tampered ciphertext");
        assertThat((String[]) inserts.getExchanges().get(0).getMessage().getBody(Map.class).get("secretWord")).containsExactly("fig");
        assertThat(channel.acked).containsExactlyInAnyOrder(1L, 2L);
    }

    @Test
    void aMessageSealedWithAKeyNoLongerConfiguredIsDeadLetteredNamingTheKeyId() throws Exception {
        MockEndpoint deadLetters = camel.getEndpoint("mock:topic3.dlq", MockEndpoint.class);
        deadLetters.expectedMessageCount(1);
        inserts.expectedMessageCount(1);
        String sealed = QueueMessages.event("activeEvent", UUID.randomUUID(), cipher.encrypt("plum"));
        // As a process sealed it before its key 'retired' was removed from every process.
        String retired = sealed.substring(0, sealed.length() - 1) + ",\"secretKeyId\":\"retired\"}";

        deliver(retired, 1);
        deliver(QueueMessages.event("activeEvent", UUID.randomUUID(), cipher.encrypt("fig")), 2);

        await().atMost(Duration.ofSeconds(20)).until(() -> channel.acked.size() == 2);
        MockEndpoint.assertIsSatisfied(camel);
        assertThat(deadLetters.getExchanges().get(0).getMessage().getHeader(DeadLetters.REASON, String.class))
                .isEqualTo("secretValue is sealed with cipher key 'retired', which this process does not have (it has [default])");
        assertThat((String[]) inserts.getExchanges().get(0).getMessage().getBody(Map.class).get("secretWord")).containsExactly("fig");
    }

    private void deliver(String body, long tag) {
        RouteFiles.deliver(broker, "direct:topic3", "topic3", body, channel.channel, tag);
    }
}
