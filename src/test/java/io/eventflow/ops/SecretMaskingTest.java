package io.eventflow.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;

import io.eventflow.support.EventflowIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

/**
 * An operator who exposes /actuator/env and /actuator/configprops with their values shown still never sees the
 * cipher key: not under its own name, nor inside another value (the JVM's command line, {@code sun.java.command},
 * holds {@code --eventflow.cipher.key=...} when the key is given as an argument).
 */
@DirtiesContext
@TestPropertySource(properties = {
        "eventflow.data-dir=target/test-data/ops-secret-masking",
        "eventflow.cipher.key=" + SecretMaskingTest.KEY,
        "eventflow.cipher.keys.next=" + SecretMaskingTest.NEXT_KEY,
        "management.server.port=0",
        "management.endpoints.web.exposure.include=health,env,configprops",
        "management.endpoint.env.show-values=always",
        "management.endpoint.configprops.show-values=always",
        "eventflow.test.command-line=java -jar eventflow.jar --eventflow.cipher.key=" + SecretMaskingTest.KEY})
class SecretMaskingTest extends EventflowIntegrationTest {

    static final String KEY = "a2V5LW9mLXRoZS1zZWNyZXQtbWFza2luZy10ZXN0LS0=";
    /** A second key, by id, as a rotation adds it: masked as well. */
    static final String NEXT_KEY = "bmV4dC1rZXktb2YtdGhlLW1hc2tpbmctdGVzdC0tLS0=";

    @LocalManagementPort
    int managementPort;

    @Test
    void theEnvEndpointShowsValuesButNeverTheCipherKey() {
        HttpResponse<String> env = ManagementClient.on(managementPort).get("/actuator/env");

        assertThat(env.statusCode()).isEqualTo(200);
        // Values are shown (the test would prove nothing otherwise), the key's is not.
        assertThat(env.body()).contains("ops-secret-masking").contains("eventflow.cipher.key").doesNotContain(KEY)
                .contains("eventflow.cipher.keys.next").doesNotContain(NEXT_KEY);
        assertThat(ManagementClient.on(managementPort).get("/actuator/env/eventflow.cipher.key").body()).doesNotContain(KEY);
        assertThat(ManagementClient.on(managementPort).get("/actuator/env/eventflow.cipher.keys.next").body()).doesNotContain(NEXT_KEY);
    }

    @Test
    void theConfigpropsEndpointShowsValuesButNeverTheCipherKey() {
        HttpResponse<String> configprops = ManagementClient.on(managementPort).get("/actuator/configprops");

        assertThat(configprops.statusCode()).isEqualTo(200);
        assertThat(configprops.body()).contains("ops-secret-masking").contains("\"cipher\"").doesNotContain(KEY).doesNotContain(NEXT_KEY);
    }
}
