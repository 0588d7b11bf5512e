package io.eventflow.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import io.eventflow.support.EventflowProcess;
import io.eventflow.support.OwnDatabase;
import io.eventflow.support.RabbitMqCluster;
import io.eventflow.support.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.util.FileSystemUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * AMQPS to RabbitMQ, the broker's CA given as a PEM file in an SSL bundle ({@code spring.rabbitmq.ssl.bundle}): a node
 * of the test's own that speaks TLS only on its port. With the right CA events flow end to end over TLS connections;
 * with another CA, or a certificate of another host name, nothing connects, the broker's health is DOWN and the log
 * names the refused certificate. The broker's certificate names {@code localhost} only: Eventflow connects to it there.
 */
@EnabledIfSystemProperty(named = "eventflow.embedded", matches = "false",
        disabledReason = "starts a RabbitMQ node of its own (Debian's rabbitmq-server) and uses the machine's PostgreSQL: external mode (-Pexternal) only")
@EnabledIf(value = "io.eventflow.support.TestCertificates#opensslPresent",
        disabledReason = "needs the openssl command to make the test's certificates")
class TlsBrokerIT {

    private static final Path CERTIFICATES = Path.of("target", "tls-broker-it");
    private static TestCertificates.Server broker;
    private static TestCertificates otherCa;
    private static RabbitMqCluster node;

    @BeforeAll
    static void startBrokerSpeakingTlsOnly() throws Exception {
        FileSystemUtils.deleteRecursively(CERTIFICATES);
        broker = TestCertificates.authority(CERTIFICATES.resolve("broker-ca"), "eventflow-test-broker-ca").issue("server", "DNS:localhost");
        otherCa = TestCertificates.authority(CERTIFICATES.resolve("other-ca"), "eventflow-test-other-ca");
        node = RabbitMqCluster.startPrivateWithTls("ef-tls-broker", broker);
    }

    @AfterAll
    static void stopBroker() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void eventsFlowOverAmqpsWhenTheBrokersCaIsTrusted() throws Exception {
        try (OwnDatabase database = OwnDatabase.create("eventflow_tls_broker_it");
             EventflowProcess app = launch("tls-broker-it", arguments(database, broker.ca(), "localhost"))) {
            app.awaitReady();
            assertThat(app.post("{\"eventType\":\"passiveEvent\",\"count\":3}").statusCode()).isEqualTo(202);
            assertThat(app.post("{\"eventType\":\"activeEvent\",\"count\":2}").statusCode()).isEqualTo(202);

            await().atMost(Duration.ofSeconds(60))
                    .until(() -> database.count("topic1") == 3 && database.count("topic2") == 2 && database.count("topic3") == 2);
            // What the broker itself reports of each connection Eventflow holds: TLS, every one.
            assertThat(node.connectionsUsingTls()).isNotEmpty().containsOnly("true");
            assertThat(app.management("/actuator/health").body()).contains("\"rabbit\":{\"status\":\"UP\"}");
        }
    }

    @Test
    void aBrokerCertificateOfAnotherCaIsRefusedAndNothingConnects() throws Exception {
        try (OwnDatabase database = OwnDatabase.create("eventflow_tls_broker_it");
             EventflowProcess app = launch("tls-broker-wrong-ca-it", arguments(database, otherCa.ca(), "localhost"))) {
            awaitRefusedWithRabbitDown(app, "PKIX path building failed");

            assertThat(app.management("/actuator/health/readiness").statusCode()).isEqualTo(503);
            assertThat(node.connectionsUsingTls()).as("connections the broker accepted").isEmpty();
        }
    }

    @Test
    void aBrokerCertificateForAnotherHostNameIsRefused() throws Exception {
        try (OwnDatabase database = OwnDatabase.create("eventflow_tls_broker_it");
             EventflowProcess app = launch("tls-broker-wrong-host-it", arguments(database, broker.ca(), "127.0.0.1"))) {
            awaitRefusedWithRabbitDown(app, "No subject alternative names matching IP address 127.0.0.1 found");
            assertThat(node.connectionsUsingTls()).as("connections the broker accepted").isEmpty();
        }
    }

    /** The jar with these arguments, its log started afresh: a line of an earlier run must not pass for this one's. */
    private static EventflowProcess launch(String name, List<String> args) throws IOException {
        Files.deleteIfExists(Path.of("target", name + ".log"));
        return EventflowProcess.launch(name, args);
    }

    private static List<String> arguments(OwnDatabase database, Path trustedCa, String host) {
        return List.of(
                "--eventflow.embedded=false",
                "--eventflow.cipher.key=" + EventflowProcess.randomCipherKey(),
                "--spring.datasource.url=" + database.url(),
                "--spring.rabbitmq.addresses=" + node.addresses().replace("127.0.0.1", host),
                "--spring.rabbitmq.ssl.enabled=true",
                "--spring.rabbitmq.ssl.bundle=broker",
                "--spring.ssl.bundle.pem.broker.truststore.certificate=file:" + trustedCa.toAbsolutePath());
    }

    /** Eventflow keeps running, logs the broker's certificate refused for {@code why}, and its rabbit health is DOWN. */
    private static void awaitRefusedWithRabbitDown(EventflowProcess app, String why) {
        await().atMost(Duration.ofSeconds(180)).until(() -> {
            assertThat(app.isAlive()).as("Eventflow exited; see " + app.logFile()).isTrue();
            // From JDK 25 on the exception's message names the TLS alert first: "(certificate_unknown) PKIX path ...".
            return Pattern.compile("Broker not reachable to declare the queues now \\(javax\\.net\\.ssl\\.SSLHandshakeException: "
                    + "(\\(certificate_unknown\\) )?" + Pattern.quote(why)).matcher(app.log()).find();
        });
        await().atMost(Duration.ofSeconds(180)).ignoreExceptions()
                .until(() -> app.management("/actuator/health").body().contains("\"rabbit\":{\"status\":\"DOWN\"}"));
    }
}
