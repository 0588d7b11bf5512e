package io.eventflow.security;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.config.EventflowProperties;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.mock.env.MockEnvironment;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;

import static org.assertj.core.api.Assertions.assertThat;

/** Who may post events, one refusal at a time; the end-to-end path is ApplicationSecurityTest. */
class IngestCredentialsTest {

    // printf %s <key> | sha256sum
    private static final String CI_KEY = "ci-key-2f6e1b0c9a8d7e6f";
    private static final String CI_HASH = "0aacdd3620b43c3e0b82650d808b94c182c1cd237a76f0c0922e3d8d8b989321";
    private static final String OPS_KEY = "ops-key-8e7d6c5b4a3f2e1d";
    private static final String OPS_HASH = "8448c57ca8c9c663a550100993c9177eadfaaf178f5a53afc426708f18723dcb";

    private static final TestTokens ISSUER = new TestTokens();
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void withoutKeysOrTokensConfiguredEveryoneMayPost() throws Exception {
        assertThat(admitted(credentials(Map.of(), null), new MockHttpServletRequest("POST", "/api/events"))).isTrue();
    }

    @Test
    void noCredentialsIs401WithAChallenge() throws Exception {
        MockHttpServletResponse refused = refusal(credentials(keys(), null), new MockHttpServletRequest("POST", "/api/events"));

        assertThat(refused.getStatus()).isEqualTo(401);
        assertThat(refused.getHeader("WWW-Authenticate")).isEqualTo("Bearer realm=\"eventflow\"");
        assertThat(refused.getContentType()).isEqualTo("application/problem+json");
        assertThat(json.readTree(refused.getContentAsString()).get("title").asText()).isEqualTo("Unauthorized");
    }

    @Test
    void aConfiguredKeyIsAcceptedInEitherHeaderAndAWrongOneIsNot() throws Exception {
        IngestCredentials credentials = credentials(keys(), null);

        assertThat(admitted(credentials, withHeader("Authorization", "Bearer " + CI_KEY))).isTrue();
        assertThat(admitted(credentials, withHeader("X-API-Key", OPS_KEY))).isTrue();
        MockHttpServletResponse wrong = refusal(credentials, withHeader("X-API-Key", CI_KEY + "x"));
        assertThat(wrong.getStatus()).isEqualTo(401);
        assertThat(wrong.getHeader("WWW-Authenticate")).contains("error=\"invalid_token\"");
        assertThat(wrong.getContentAsString()).doesNotContain(CI_KEY);
    }

    @Test
    void aKeyRemovedFromTheConfigurationIsRefusedAndTheOthersStillWork() throws Exception {
        IngestCredentials revoked = credentials(Map.of("ci", CI_HASH), null);

        assertThat(refusal(revoked, withHeader("X-API-Key", OPS_KEY)).getStatus()).isEqualTo(401);
        assertThat(admitted(revoked, withHeader("X-API-Key", CI_KEY))).isTrue();
    }

    @Test
    void aTokenWithScopeEventsWriteIsAccepted() throws Exception {
        assertThat(admitted(credentials(Map.of(), decoder()), bearer(ISSUER.token("events:read events:write")))).isTrue();
    }

    @Test
    void anExpiredTokenIs401() throws Exception {
        MockHttpServletResponse refused = refusal(credentials(Map.of(), decoder()),
                bearer(ISSUER.token(TestTokens.ISSUER, "events:write", Instant.now().minusSeconds(120))));

        assertThat(refused.getStatus()).isEqualTo(401);
        assertThat(refused.getHeader("WWW-Authenticate")).contains("error=\"invalid_token\"");
        assertThat(json.readTree(refused.getContentAsString()).get("detail").asText()).contains("expired");
    }

    @Test
    void aTokenOfAnotherIssuerIs401() throws Exception {
        MockHttpServletResponse refused = refusal(credentials(Map.of(), decoder()),
                bearer(ISSUER.token("https://elsewhere.test", "events:write", Instant.now().plusSeconds(300))));

        assertThat(refused.getStatus()).isEqualTo(401);
        assertThat(json.readTree(refused.getContentAsString()).get("detail").asText()).contains("iss");
    }

    @Test
    void aValidTokenWithoutScopeEventsWriteIs403() throws Exception {
        MockHttpServletResponse refused = refusal(credentials(Map.of(), decoder()), bearer(ISSUER.token("events:read")));

        assertThat(refused.getStatus()).isEqualTo(403);
        assertThat(refused.getHeader("WWW-Authenticate")).contains("error=\"insufficient_scope\"").contains("events:write");
        assertThat(json.readTree(refused.getContentAsString()).get("title").asText()).isEqualTo("Forbidden");
    }

    @Test
    void aTokenSignedByAnotherKeyIs401() throws Exception {
        MockHttpServletResponse refused = refusal(credentials(Map.of(), decoder()), bearer(new TestTokens().token("events:write")));

        assertThat(refused.getStatus()).isEqualTo(401);
    }

    private static boolean admitted(IngestCredentials credentials, MockHttpServletRequest request) throws Exception {
        MockHttpServletResponse response = new MockHttpServletResponse();
        boolean admitted = credentials.admit(request, response);
        if (admitted) {
            assertThat(response.getContentAsString()).as("nothing is written for an admitted request").isEmpty();
        }
        return admitted;
    }

    /** The refusal written, failing if the request was admitted. */
    private static MockHttpServletResponse refusal(IngestCredentials credentials, MockHttpServletRequest request) throws Exception {
        MockHttpServletResponse response = new MockHttpServletResponse();
        assertThat(credentials.admit(request, response)).as("admitted").isFalse();
        return response;
    }

    private static Map<String, String> keys() {
        return Map.of("ci", CI_HASH, "ops", OPS_HASH);
    }

    private static IngestCredentials credentials(Map<String, String> keys, JwtDecoder tokens) {
        MockEnvironment environment = new MockEnvironment();
        keys.forEach((name, hash) -> environment.setProperty("eventflow.security.api-keys." + name, hash));
        if (tokens != null) {
            environment.setProperty(ApplicationExposure.JWT + "issuer-uri", TestTokens.ISSUER);
        }
        EventflowProperties properties = Binder.get(environment).bindOrCreate("eventflow", EventflowProperties.class);
        return new IngestCredentials(properties, environment, Optional.ofNullable(tokens));
    }

    /** What Spring Boot builds from issuer-uri and a key: signature, expiry and issuer checked. */
    private static JwtDecoder decoder() {
        NimbusJwtDecoder decoder = NimbusJwtDecoder.withPublicKey(ISSUER.publicKey()).build();
        decoder.setJwtValidator(JwtValidators.createDefaultWithIssuer(TestTokens.ISSUER));
        return decoder;
    }

    private static MockHttpServletRequest withHeader(String name, String value) {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/api/events");
        request.addHeader(name, value);
        return request;
    }

    private static MockHttpServletRequest bearer(String token) {
        return withHeader("Authorization", "Bearer " + token);
    }
}
