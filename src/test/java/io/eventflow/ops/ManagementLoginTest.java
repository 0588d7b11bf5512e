package io.eventflow.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.support.EventflowIntegrationTest;
import org.apache.camel.test.spring.junit5.DisableJmx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpStatus;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

/** Management with a login configured: everything but health asks for it, on loopback too. */
@ExtendWith(OutputCaptureExtension.class)
@DisableJmx(false)
// A context of its own configuration: closed after the class, so its consumers never take another test's messages.
@DirtiesContext
@TestPropertySource(properties = {
        "eventflow.data-dir=target/test-data/ops-login",
        "management.server.port=0",
        "eventflow.management.username=" + ManagementLoginTest.USERNAME,
        "eventflow.management.password=" + ManagementLoginTest.PASSWORD})
class ManagementLoginTest extends EventflowIntegrationTest {

    static final String USERNAME = "operator";
    static final String PASSWORD = "s3cret-Login-Never-Logged";
    private static final String CAMEL_ROUTES = "org.apache.camel:context=*,type=routes,name=*";

    @LocalManagementPort
    int managementPort;
    @Autowired
    Environment environment;

    @Test
    void jolokiaAndTheConsoleRequireTheLogin() {
        ManagementClient anonymous = ManagementClient.on(managementPort);
        ManagementClient wrong = anonymous.withLogin(USERNAME, "not-the-password");
        ManagementClient operator = anonymous.withLogin(USERNAME, PASSWORD);

        assertThat(anonymous.get("/actuator/jolokia/version").statusCode()).isEqualTo(401);
        assertThat(anonymous.get("/actuator/hawtio/").statusCode()).isEqualTo(401);
        assertThat(anonymous.get("/actuator/prometheus").statusCode()).isEqualTo(401);
        assertThat(anonymous.get("/actuator/deadletters").statusCode()).isEqualTo(401);
        assertThat(wrong.get("/actuator/hawtio/").statusCode()).isEqualTo(401);
        var refused = anonymous.get("/actuator/prometheus");
        assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"Realm\"");
        assertThat(refused.body()).contains("\"status\":401");

        assertThat(operator.get("/actuator/hawtio/").statusCode()).isEqualTo(200);
        var read = operator.jolokiaRead(CAMEL_ROUTES, "RouteId");
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.body()).contains("\"ingest-events\"");
        assertThat(operator.get("/actuator/deadletters").statusCode()).isEqualTo(200);
        assertThat(operator.post("/actuator/deadletters", "{}").statusCode()).isEqualTo(200);
    }

    @Test
    void healthProbesStayOpenForOrchestrators() {
        ManagementClient anonymous = ManagementClient.on(managementPort);

        assertThat(anonymous.get("/actuator/health").statusCode()).isEqualTo(200);
        assertThat(anonymous.get("/actuator/health/liveness").statusCode()).isEqualTo(200);
        assertThat(anonymous.get("/actuator/health/readiness").statusCode()).isEqualTo(200);
    }

    @Test
    void applicationPortNeedsNoLogin() {
        assertThat(postEvents("{\"eventType\":\"passiveEvent\",\"count\":1}").getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
    }

    // The capture starts before the context of this class, so it holds the whole start-up log.
    @Test
    void noPasswordReachesTheLog(CapturedOutput output) {
        assertThat(output.getAll()).contains("Started").doesNotContain(PASSWORD);
        String brokerPassword = environment.getProperty("spring.rabbitmq.password");
        // A broker's guest/guest password is also its user name, which connection lines show (amqp://guest@...).
        if (brokerPassword != null && !brokerPassword.isEmpty()
                && !brokerPassword.equals(environment.getProperty("spring.rabbitmq.username"))) {
            assertThat(output.getAll()).doesNotContain(brokerPassword);
        }
        String databasePassword = environment.getProperty("spring.datasource.password");
        if (databasePassword != null && !databasePassword.isEmpty()) {
            assertThat(output.getAll()).doesNotContain(databasePassword);
        }
        assertThat(output.getAll()).doesNotContain("Using generated security password");
    }
}
