package io.eventflow.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import io.eventflow.EventflowApplication;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.mock.env.MockEnvironment;

/** Which application-port settings Eventflow refuses to start with, and how it says so. */
@ExtendWith(OutputCaptureExtension.class)
class ApplicationExposureTest {

    static final String KEY_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"; // sha256 of "test"
    static final String BCRYPT = "{bcrypt}$2a$10$GRLdNijSQMUvl/au9ofL.eDwmoohzzS7.rmNSJZ.0FxO/BTk76klW";

    @Test
    void startOnANonLoopbackAddressWithoutAuthenticationFailsWithWhatToDo(CapturedOutput output) throws Exception {
        Optional<InetAddress> external = nonLoopbackAddress();
        Assumptions.assumeTrue(external.isPresent(), "this machine has no non-loopback IPv4 address");

        // Refused while the configuration is read: no embedded server starts, no port opens.
        assertThatThrownBy(() -> new SpringApplicationBuilder(EventflowApplication.class)
                .run("--server.address=" + external.get().getHostAddress(), "--server.port=0",
                        "--management.server.port=0", "--eventflow.data-dir=target/test-data/security-refused"))
                .isInstanceOf(ApplicationExposureException.class)
                .hasMessageContaining("not a loopback address")
                .hasMessageContaining("eventflow.security.api-keys");
        assertThat(output.getAll())
                .contains("APPLICATION FAILED TO START")
                .contains("Eventflow refuses to start: server.address is " + external.get().getHostAddress())
                .contains("or bind to loopback: server.address=127.0.0.1")
                .doesNotContain("Embedded AMQP broker");
    }

    @Test
    void aSecretComesFromAFileNamedAfterItsSetting(CapturedOutput output) throws Exception {
        Optional<InetAddress> external = nonLoopbackAddress();
        Assumptions.assumeTrue(external.isPresent(), "this machine has no non-loopback IPv4 address");
        // As Kubernetes and Docker mount a secret: one file per setting, its value ending with a newline.
        Path secrets = Files.createDirectories(Path.of("target/test-data/security-configtree"));
        Files.writeString(secrets.resolve("eventflow.security.api-keys.ci"), KEY_HASH + "\n");

        // The key hash was read (and is valid without its newline): only the login is missing now.
        assertThatThrownBy(() -> new SpringApplicationBuilder(EventflowApplication.class)
                .run("--EVENTFLOW_SECRETS_DIR=" + secrets.toAbsolutePath(), "--server.address=" + external.get().getHostAddress(),
                        "--server.port=0", "--management.server.port=0", "--eventflow.data-dir=target/test-data/security-refused"))
                .isInstanceOf(ApplicationExposureException.class)
                .hasMessageContaining("no login or bearer token is configured for the dashboard and the read API");
        assertThat(output.getAll()).doesNotContain(KEY_HASH);
    }

    @Test
    void everyInterfaceCountsAsNonLoopbackAndHalfTheAuthenticationIsNotEnough() {
        assertThatThrownBy(() -> exposure("0.0.0.0").check())
                .hasMessageContaining("server.address is 0.0.0.0")
                .hasMessageContaining("no API key, login or bearer token is configured");
        assertThatThrownBy(() -> exposure("").check()).hasMessageContaining("unset (every interface)");
        assertThatThrownBy(() -> exposure("0.0.0.0", "eventflow.security.api-keys.ci", KEY_HASH).check())
                .hasMessageContaining("no login or bearer token is configured for the dashboard and the read API");
        assertThatThrownBy(() -> exposure("0.0.0.0", "eventflow.security.users.ann.password", BCRYPT).check())
                .hasMessageContaining("no API key or bearer token is configured for the ingest");
    }

    @Test
    void loopbackNeedsNothingAndKeysWithLoginsOrTokensOpenAnyAddress() {
        assertThatCode(() -> exposure("127.0.0.1").check()).doesNotThrowAnyException();
        assertThatCode(() -> exposure("::1").check()).doesNotThrowAnyException();
        assertThat(exposure("127.0.0.1").ingestGuarded()).isFalse();
        assertThat(exposure("127.0.0.1").readsGuarded()).isFalse();

        assertThatCode(() -> exposure("0.0.0.0", "eventflow.security.api-keys.ci", KEY_HASH,
                "eventflow.security.users.ann.password", BCRYPT).check()).doesNotThrowAnyException();
        assertThatCode(() -> exposure("0.0.0.0", ApplicationExposure.JWT + "issuer-uri", "https://issuer.example").check())
                .doesNotThrowAnyException();
        // Once given, they are asked for on loopback too.
        assertThat(exposure("127.0.0.1", "eventflow.security.api-keys.ci", KEY_HASH).ingestGuarded()).isTrue();
    }

    @Test
    void aKeyOrPasswordInClearIsRefused() {
        assertThatThrownBy(() -> exposure("127.0.0.1", "eventflow.security.api-keys.ci", "my-secret-key").check())
                .hasMessageContaining("eventflow.security.api-keys.ci is not a SHA-256 hash")
                .hasMessageNotContaining("my-secret-key");
        assertThatThrownBy(() -> exposure("127.0.0.1", "eventflow.security.users.ann.password", "hunter2").check())
                .hasMessageContaining("eventflow.security.users.ann.password is not a password hash")
                .hasMessageNotContaining("hunter2");
    }

    private static ApplicationExposure exposure(String address, String... properties) {
        MockEnvironment environment = new MockEnvironment().withProperty("server.address", address);
        for (int i = 0; i < properties.length; i += 2) {
            environment.setProperty(properties[i], properties[i + 1]);
        }
        return ApplicationExposure.of(environment);
    }

    static Optional<InetAddress> nonLoopbackAddress() throws SocketException {
        return NetworkInterface.networkInterfaces()
                .flatMap(NetworkInterface::inetAddresses)
                .filter(address -> address instanceof java.net.Inet4Address && !address.isLoopbackAddress())
                .findFirst();
    }
}
