package io.eventflow.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.Optional;

import io.eventflow.EventflowApplication;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.mock.env.MockEnvironment;

/** Which management bindings Eventflow refuses to start with, and how it says so. */
@ExtendWith(OutputCaptureExtension.class)
class ManagementExposureTest {

    @Test
    void startOnANonLoopbackAddressWithoutLoginFailsWithWhatToDo(CapturedOutput output) throws Exception {
        Optional<InetAddress> external = ManagementEndpointsTest.nonLoopbackAddress();
        Assumptions.assumeTrue(external.isPresent(), "this machine has no non-loopback IPv4 address");

        // Refused while the configuration is read: no embedded server starts, no port opens.
        assertThatThrownBy(() -> new SpringApplicationBuilder(EventflowApplication.class)
                .run("--management.server.address=" + external.get().getHostAddress(),
                        "--management.server.port=0", "--server.port=0",
                        "--eventflow.data-dir=target/test-data/ops-refused"))
                .isInstanceOf(ManagementExposureException.class)
                .hasMessageContaining("not a loopback address")
                .hasMessageContaining("eventflow.management.username");
        assertThat(output.getAll())
                .contains("APPLICATION FAILED TO START")
                .contains("Eventflow refuses to start: management.server.address is " + external.get().getHostAddress())
                .contains("Set eventflow.management.username and eventflow.management.password")
                .doesNotContain("Embedded AMQP broker");
    }

    @Test
    void everyInterfaceCountsAsNonLoopback() {
        assertThatThrownBy(() -> exposure("0.0.0.0", null, null).check())
                .hasMessageContaining("management.server.address is 0.0.0.0");
        assertThatThrownBy(() -> exposure("", null, null).check())
                .hasMessageContaining("unset (every interface)");
    }

    @Test
    void loopbackNeedsNoLoginAndALoginIsHonouredAnywhere() {
        assertThatCode(() -> exposure("127.0.0.1", null, null).check()).doesNotThrowAnyException();
        assertThatCode(() -> exposure("::1", null, null).check()).doesNotThrowAnyException();
        assertThat(exposure("127.0.0.1", null, null).loginRequired()).isFalse();

        assertThatCode(() -> exposure("0.0.0.0", "operator", "secret").check()).doesNotThrowAnyException();
        assertThat(exposure("127.0.0.1", "operator", "secret").loginRequired()).isTrue();
    }

    @Test
    void halfALoginOrManagementOnTheApplicationPortIsRefused() {
        assertThatThrownBy(() -> exposure("127.0.0.1", "operator", null).check())
                .hasMessageContaining("only one of eventflow.management.username and eventflow.management.password");
        MockEnvironment samePort = new MockEnvironment()
                .withProperty("server.port", "8080")
                .withProperty("management.server.port", "8080")
                .withProperty("management.server.address", "127.0.0.1");
        assertThatThrownBy(() -> ManagementExposure.of(samePort).check())
                .hasMessageContaining("would serve Hawtio and Jolokia on the application port");
    }

    private static ManagementExposure exposure(String address, String username, String password) {
        MockEnvironment environment = new MockEnvironment()
                .withProperty("server.port", "8080")
                .withProperty("management.server.port", "8081")
                .withProperty("management.server.address", address);
        if (username != null) {
            environment.setProperty("eventflow.management.username", username);
        }
        if (password != null) {
            environment.setProperty("eventflow.management.password", password);
        }
        return ManagementExposure.of(environment);
    }
}
