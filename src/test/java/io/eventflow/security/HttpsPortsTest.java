package io.eventflow.security;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;

import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.pem.PemSslStoreBundle;
import org.springframework.boot.ssl.pem.PemSslStoreDetails;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;
import org.springframework.util.FileSystemUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * HTTPS on both ports from PEM files, each port with a certificate of its own CA (Spring Boot SSL bundles
 * {@code server.ssl.bundle} and {@code management.server.ssl.bundle}): a client that trusts a port's CA posts events,
 * reads the dashboard and its API, and asks for health; plain HTTP and a client that trusts another CA get nothing.
 */
@EnabledIf(value = "io.eventflow.support.TestCertificates#opensslPresent",
        disabledReason = "needs the openssl command to make the test's certificates")
// A context of its own configuration: closed after the class, so its consumers never take another test's messages.
@DirtiesContext
@TestPropertySource(properties = {
        "eventflow.data-dir=target/test-data/https-ports",
        "management.server.port=0"})
class HttpsPortsTest extends EventflowIntegrationTest {

    private static final Path CERTIFICATES = Path.of("target", "https-ports-test");
    private static TestCertificates.Server application;
    private static TestCertificates.Server management;

    @LocalServerPort
    int applicationPort;
    @LocalManagementPort
    int managementPort;

    @DynamicPropertySource
    static void pemFiles(DynamicPropertyRegistry registry) throws IOException {
        FileSystemUtils.deleteRecursively(CERTIFICATES);
        application = TestCertificates.authority(CERTIFICATES.resolve("application-ca"), "eventflow-test-application-ca").issue("server");
        management = TestCertificates.authority(CERTIFICATES.resolve("management-ca"), "eventflow-test-management-ca").issue("server");
        registry.add("spring.ssl.bundle.pem.application.keystore.certificate", () -> "file:" + application.certificate());
        registry.add("spring.ssl.bundle.pem.application.keystore.private-key", () -> "file:" + application.key());
        registry.add("spring.ssl.bundle.pem.management.keystore.certificate", () -> "file:" + management.certificate());
        registry.add("spring.ssl.bundle.pem.management.keystore.private-key", () -> "file:" + management.key());
        registry.add("server.ssl.bundle", () -> "application");
        registry.add("management.server.ssl.bundle", () -> "management");
    }

    @Test
    void aClientTrustingTheApplicationCaPostsEventsAndReadsTheDashboard() throws Exception {
        HttpClient client = trusting(application);

        HttpResponse<String> posted = client.send(HttpRequest.newBuilder(https(applicationPort, "/api/events"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"eventType\":\"activeEvent\",\"count\":3}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(60)).until(() -> rows("topic2") == 3 && rows("topic3") == 3);

        HttpResponse<String> page = get(client, https(applicationPort, "/"));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<script type=\"module\"");
        HttpResponse<String> recent = get(client, https(applicationPort, "/api/events/recent?topic=topic3"));
        assertThat(recent.statusCode()).isEqualTo(200);
        assertThat(recent.body()).contains("\"secretWord\"");
    }

    @Test
    void aClientTrustingTheManagementCaGetsHealth() throws Exception {
        HttpResponse<String> health = get(trusting(management), https(managementPort, "/actuator/health/readiness"));

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"");
    }

    @Test
    void plainHttpToEitherPortIsRefused() throws Exception {
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        for (int port : new int[] {applicationPort, managementPort}) {
            HttpResponse<String> answer = plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/events"))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"eventType\":\"passiveEvent\",\"count\":1}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            // Tomcat's answer on a TLS port to a client speaking plain HTTP; nothing of the request is served.
            assertThat(answer.statusCode()).as("plain http to port " + port).isEqualTo(400);
            assertThat(answer.body()).contains("This combination of host and port requires TLS.");
        }
        assertThat(rows("topic1")).isZero();
    }

    @Test
    void aClientThatDoesNotTrustAPortsCaIsRefused() {
        // The JDK's own CAs, and each port's CA at the other port: each port has a CA of its own.
        assertThatThrownBy(() -> get(HttpClient.newHttpClient(), https(applicationPort, "/")))
                .isInstanceOf(SSLHandshakeException.class).hasMessageContaining("PKIX path building failed");
        assertThatThrownBy(() -> get(trusting(application), https(managementPort, "/actuator/health")))
                .isInstanceOf(SSLHandshakeException.class).hasMessageContaining("PKIX path building failed");
        assertThatThrownBy(() -> get(trusting(management), https(applicationPort, "/")))
                .isInstanceOf(SSLHandshakeException.class).hasMessageContaining("PKIX path building failed");
    }

    private static HttpClient trusting(TestCertificates.Server server) {
        SslBundle trust = SslBundle.of(new PemSslStoreBundle(null, PemSslStoreDetails.forCertificate("file:" + server.ca())));
        SSLContext context = trust.createSslContext();
        return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static URI https(int port, String path) {
        return URI.create("https://127.0.0.1:" + port + path);
    }

    private static HttpResponse<String> get(HttpClient client, URI uri) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
