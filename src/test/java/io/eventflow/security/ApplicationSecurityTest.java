package io.eventflow.security;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.QueueMessages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The application port with every kind of credential configured, over real HTTP: API keys and a JWT issuer (its JWK set
 * served by the test) for the ingest, logins and tokens for the reads, and secret words only for role secrets.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "eventflow.data-dir=target/test-data/security",
        // printf %s ingest-key-5d1c2b3a | sha256sum
        "eventflow.security.api-keys.ci=2b2bccce736bc25da6db600e5017b7899120d378e2e498a7c2c941f68d4e10a6",
        // BCrypt (cost 4, test speed) of PASSWORD: the start-up check reads these before @DynamicPropertySource applies.
        "eventflow.security.users.reader.password=" + ApplicationSecurityTest.PASSWORD_HASH,
        "eventflow.security.users.auditor.password=" + ApplicationSecurityTest.PASSWORD_HASH,
        "eventflow.security.users.auditor.roles=secrets",
        "eventflow.security.users.poster.password=" + ApplicationSecurityTest.PASSWORD_HASH,
        "eventflow.security.users.poster.roles=writer",
        "spring.security.oauth2.resourceserver.jwt.issuer-uri=" + TestTokens.ISSUER})
class ApplicationSecurityTest extends EventflowIntegrationTest {

    private static final String KEY = "ingest-key-5d1c2b3a";
    private static final String PASSWORD = "correct horse battery staple";
    static final String PASSWORD_HASH = "{bcrypt}$2a$04$0DjN.K.eJh5VTj3NOxGW1OnsV39qtj7tutsV1BYqnYrETe/PbpHeu";
    private static final TestTokens ISSUER = new TestTokens();
    private static final HttpServer JWK_SET = jwkSet();

    private final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private final ObjectMapper json = new ObjectMapper();

    @LocalServerPort
    int port;
    @Autowired
    RabbitTemplate rabbit;

    @DynamicPropertySource
    static void jwkSetUri(DynamicPropertyRegistry registry) {
        registry.add("spring.security.oauth2.resourceserver.jwt.jwk-set-uri",
                () -> "http://127.0.0.1:" + JWK_SET.getAddress().getPort() + "/jwks");
    }

    @AfterAll
    static void stopJwkSet() {
        JWK_SET.stop(0);
    }

    @Test
    void refusedPostsPublishNothingAndAKeyOrATokenWithEventsWritePosts() throws Exception {
        HttpResponse<String> none = post(Map.of());
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"eventflow\"");
        assertThat(none.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(post(Map.of("X-API-Key", KEY + "-old")).statusCode()).isEqualTo(401);
        assertThat(post(Map.of("Authorization", "Bearer " + ISSUER.token("events:read"))).statusCode()).isEqualTo(403);
        assertThat(post(Map.of("Authorization", "Bearer " + ISSUER.token("https://elsewhere.test", "events:write",
                Instant.now().plusSeconds(300)))).statusCode()).isEqualTo(401);

        assertThat(post(Map.of("X-API-Key", KEY)).statusCode()).isEqualTo(202);
        assertThat(post(Map.of("Authorization", "Bearer " + KEY)).statusCode()).isEqualTo(202);
        assertThat(post(Map.of("Authorization", "Bearer " + ISSUER.token("events:write"))).statusCode()).isEqualTo(202);

        // Three accepted requests of two events each; the four refused ones would have added eight.
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("topic1") == 6);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> rows("topic1") == 6 && depth("topic1") == 0);
    }

    @Test
    void readsNeedALoginOrATokenWithEventsRead() throws Exception {
        HttpResponse<String> none = get("/api/metrics", Map.of());
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"eventflow\", Bearer realm=\"eventflow\"");
        assertThat(json.readTree(none.body()).get("title").asText()).isEqualTo("Unauthorized");
        assertThat(get("/api/metrics", basic("reader", "wrong")).statusCode()).isEqualTo(401);
        assertThat(get("/api/metrics", bearer(ISSUER.token("events:write"))).statusCode()).isEqualTo(403);
        assertThat(get("/api/metrics", bearer(ISSUER.token(TestTokens.ISSUER, "events:read", Instant.now().minusSeconds(60))))
                .statusCode()).isEqualTo(401);

        assertThat(get("/api/metrics", basic("reader", PASSWORD)).statusCode()).isEqualTo(200);
        assertThat(get("/api/metrics", bearer(ISSUER.token("events:read"))).statusCode()).isEqualTo(200);
        // The API's description stays open, so a client can learn how to authenticate.
        assertThat(get("/api/openapi.json", Map.of()).statusCode()).isEqualTo(200);
    }

    @Test
    void theDashboardSendsABrowserToItsLoginPageAndTheFormLoginOpensIt() throws Exception {
        HttpResponse<String> page = get("/", Map.of("Accept", "text/html"));
        assertThat(page.statusCode()).isEqualTo(302);
        assertThat(page.headers().firstValue("Location")).hasValueSatisfying(location -> assertThat(location).endsWith("/login.html"));

        HttpResponse<String> login = get("/login.html", Map.of("Accept", "text/html"));
        assertThat(login.statusCode()).isEqualTo(200);
        String csrf = cookie(login, "EVENTFLOW-XSRF");
        HttpResponse<String> refusedWithoutToken = client.send(form("/login", "username=auditor&password="
                + URLEncoder.encode(PASSWORD, StandardCharsets.UTF_8), null), HttpResponse.BodyHandlers.ofString());
        assertThat(refusedWithoutToken.statusCode()).isEqualTo(403);

        HttpResponse<String> loggedIn = client.send(form("/login", "username=auditor&password="
                + URLEncoder.encode(PASSWORD, StandardCharsets.UTF_8) + "&_csrf=" + csrf, "EVENTFLOW-XSRF=" + csrf),
                HttpResponse.BodyHandlers.ofString());
        assertThat(loggedIn.statusCode()).isEqualTo(302);
        String session = cookie(loggedIn, "JSESSIONID");
        assertThat(get("/", Map.of("Cookie", "JSESSIONID=" + session)).statusCode()).isEqualTo(200);
        assertThat(get("/api/metrics", Map.of("Cookie", "JSESSIONID=" + session)).statusCode()).isEqualTo(200);
    }

    @Test
    void aReaderWithoutRoleSecretsSeesThatTheWordWasDecryptedNotTheWord() throws Exception {
        HttpResponse<String> posted = client.send(HttpRequest.newBuilder(uri("/api/events")).header("X-API-Key", KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"eventType\":\"activeEvent\",\"count\":3}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).isEqualTo(202);
        QueueMessages.publish(rabbit, "topic1", "this is not an event");
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("topic3") == 3 && depth("topic1.dlq") == 1);
        List<String> words = jdbc.queryForList("SELECT secret_word FROM topic3", String.class);
        String eventId = jdbc.queryForObject("SELECT event_id::text FROM topic3 LIMIT 1", String.class);

        for (Map<String, String> reader : List.of(basic("reader", PASSWORD), bearer(ISSUER.token("events:read")))) {
            String recent = get("/api/events/recent?topic=topic3", reader).body();
            String trace = get("/api/events/" + eventId, reader).body();
            String deadLetters = get("/api/deadletters", reader).body();
            String stream = firstStreamFrame(reader);
            for (String answer : List.of(recent, trace, deadLetters, stream)) {
                assertThat(answer).isNotEmpty();
                words.forEach(word -> assertThat(answer).doesNotContain("\"" + word + "\""));
            }
            for (JsonNode event : json.readTree(recent).get("events")) {
                assertThat(event.get("secretWord").asText()).isEqualTo("(hidden)");
                assertThat(event.get("secretWordHidden").asBoolean()).isTrue();
            }
            assertThat(json.readTree(trace).get("stages").get(1).get("secretWord").asText()).isEqualTo("(hidden)");
            assertThat(json.readTree(deadLetters).at("/queues/topic1.dlq/newest/0/reason").asText()).isEqualTo("(hidden)");
            assertThat(deadLetters).doesNotContain("this");
        }

        for (Map<String, String> mayRead : List.of(basic("auditor", PASSWORD), bearer(ISSUER.token("events:read events:secrets")))) {
            JsonNode recent = json.readTree(get("/api/events/recent?topic=topic3", mayRead).body());
            assertThat(recent.get("events").findValuesAsText("secretWord")).containsExactlyInAnyOrderElementsOf(words);
            assertThat(recent.get("events").get(0).has("secretWordHidden")).isFalse();
            assertThat(json.readTree(get("/api/deadletters", mayRead).body()).at("/queues/topic1.dlq/newest/0/reason").asText())
                    .startsWith("not JSON");
        }
    }

    @Test
    void everyAnswerForbidsInlineCodeFramingSniffingAndReferrersAndAllowsNoOtherOrigin() throws Exception {
        for (String path : List.of("/", "/login.html", "/api/metrics")) {
            HttpResponse<String> answer = get(path, Map.of("Authorization", basic("auditor", PASSWORD).get("Authorization"),
                    "Origin", "https://elsewhere.test"));
            assertThat(answer.headers().firstValue("Content-Security-Policy")).as(path)
                    .hasValue(ApplicationPortSecurity.CONTENT_SECURITY_POLICY);
            assertThat(answer.headers().firstValue("Content-Security-Policy").orElseThrow()).doesNotContain("unsafe-inline")
                    .contains("frame-ancestors 'none'");
            assertThat(answer.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
            assertThat(answer.headers().firstValue("Referrer-Policy")).as(path).hasValue("no-referrer");
            assertThat(answer.headers().firstValue("Access-Control-Allow-Origin")).as(path).isEmpty();
        }
    }

    @Test
    void theSimulatorPostsWithTheSessionOfALoginWithRoleWriterAndItsCsrfTokenOnly() throws Exception {
        String[] poster = loggedIn("poster");
        String[] reader = loggedIn("reader");
        String simulated = "{\"eventType\":\"passiveEvent\",\"count\":4}";

        HttpResponse<String> withoutToken = send("/api/events", simulated, Map.of("Cookie", poster[0]));
        HttpResponse<String> wrongToken = send("/api/events", simulated, Map.of("Cookie", poster[0], "X-XSRF-TOKEN", "forged"));
        HttpResponse<String> notAWriter = send("/api/events", simulated, Map.of("Cookie", reader[0], "X-XSRF-TOKEN", reader[1]));
        assertThat(withoutToken.statusCode()).isEqualTo(403);
        assertThat(wrongToken.statusCode()).isEqualTo(403);
        assertThat(withoutToken.body()).contains("X-XSRF-TOKEN");
        assertThat(notAWriter.statusCode()).isEqualTo(403);
        assertThat(json.readTree(notAWriter.body()).get("detail").asText()).contains("reader").contains("role writer");

        HttpResponse<String> accepted = send("/api/events", simulated, Map.of("Cookie", poster[0], "X-XSRF-TOKEN", poster[1]));
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String batchId = json.readTree(accepted.body()).get("batchId").asText();
        await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.queryForObject(
                "SELECT count(*) FROM topic1 WHERE batch_id = CAST(? AS uuid)", Long.class, batchId) == 4);
        assertThat(rows("topic1")).as("the refused posts published nothing").isEqualTo(4);
    }

    /** A form login of {@code user}: the Cookie header of its session and CSRF cookie, and its CSRF token. */
    private String[] loggedIn(String user) throws Exception {
        String loginToken = cookie(get("/login.html", Map.of("Accept", "text/html")), "EVENTFLOW-XSRF");
        HttpResponse<String> login = client.send(form("/login", "username=" + user + "&password="
                + URLEncoder.encode(PASSWORD, StandardCharsets.UTF_8) + "&_csrf=" + loginToken, "EVENTFLOW-XSRF=" + loginToken),
                HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).isEqualTo(302);
        String session = "JSESSIONID=" + cookie(login, "JSESSIONID");
        // The login replaced the token; the page loaded after it carries the session's new one, as a browser gets it.
        String token = cookie(get("/", Map.of("Cookie", session)), "EVENTFLOW-XSRF");
        return new String[] {session + "; EVENTFLOW-XSRF=" + token, token};
    }

    @Test
    void theIngestsOwnAnswersCarryTheSameHardeningHeaders() throws Exception {
        // The ingest skips the security chain that writes these on every other answer (api/ApiGate).
        Map<String, HttpResponse<String>> answers = Map.of(
                "accepted", post(Map.of("X-API-Key", KEY)),
                "no credentials", post(Map.of()),
                "bad input", send("/api/events", "{\"eventType\":\"nope\"}", Map.of("X-API-Key", KEY)),
                "too large", send("/events", "{\"eventType\":\"passiveEvent\",\"pad\":\"" + "x".repeat(20_000) + "\"}",
                        Map.of("X-API-Key", KEY)));
        assertThat(answers.get("accepted").statusCode()).isEqualTo(202);
        assertThat(answers.get("no credentials").statusCode()).isEqualTo(401);
        assertThat(answers.get("bad input").statusCode()).isEqualTo(400);
        assertThat(answers.get("too large").statusCode()).isEqualTo(413);
        answers.forEach((what, answer) -> {
            assertThat(answer.headers().firstValue("Content-Security-Policy")).as(what).hasValue(ApplicationPortSecurity.CONTENT_SECURITY_POLICY);
            assertThat(answer.headers().firstValue("X-Content-Type-Options")).as(what).hasValue("nosniff");
            assertThat(answer.headers().firstValue("Referrer-Policy")).as(what).hasValue("no-referrer");
            assertThat(answer.headers().firstValue("X-Frame-Options")).as(what).hasValue("DENY");
            assertThat(answer.headers().allValues("Content-Security-Policy")).as(what + ": written once").hasSize(1);
        });
        assertThat(get("/api/metrics", basic("auditor", PASSWORD)).headers().allValues("X-Content-Type-Options"))
                .as("an answer of the security chain: written once").containsExactly("nosniff");
    }

    private HttpResponse<String> send(String path, String body, Map<String, String> headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(Map<String, String> headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/api/events")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"eventType\":\"passiveEvent\",\"count\":2}"));
        headers.forEach(request::header);
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path, Map<String, String> headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).GET();
        headers.forEach(request::header);
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest form(String path, String body, String cookie) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        return request.build();
    }

    /** The first snapshot the push stream sends this reader (it sends one at once). */
    private String firstStreamFrame(Map<String, String> headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/api/metrics/stream")).header("Accept", "text/event-stream");
        headers.forEach(request::header);
        HttpResponse<InputStream> answer = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(answer.statusCode()).isEqualTo(200);
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(answer.body(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.startsWith("data:")) {
                    return line.substring(5);
                }
            }
        }
        throw new AssertionError("the stream ended without a snapshot");
    }

    private static String cookie(HttpResponse<?> answer, String name) {
        return answer.headers().allValues("Set-Cookie").stream().filter(cookie -> cookie.startsWith(name + "="))
                .map(cookie -> cookie.substring(name.length() + 1, cookie.indexOf(';'))).findFirst()
                .orElseThrow(() -> new AssertionError("no cookie " + name + " in " + answer.headers().allValues("Set-Cookie")));
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private static Map<String, String> basic(String user, String password) {
        return Map.of("Authorization", "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }

    private static Map<String, String> bearer(String token) {
        return Map.of("Authorization", "Bearer " + token);
    }

    private static HttpServer jwkSet() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            byte[] document = ISSUER.jwkSet().getBytes(StandardCharsets.UTF_8);
            server.createContext("/jwks", exchange -> {
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, document.length);
                exchange.getResponseBody().write(document);
                exchange.close();
            });
            server.start();
            return server;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
