package io.eventflow.api;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.support.EventflowIntegrationTest;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.apache.camel.CamelContext;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.rest.ParamDefinition;
import org.apache.camel.model.rest.RestDefinition;
import org.apache.camel.model.rest.RestParamType;
import org.apache.camel.model.rest.VerbDefinition;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/** The REST DSL in routes/ is the contract: the spec at /api/openapi.json is generated from it, and /api/docs shows it. */
class OpenApiContractTest extends EventflowIntegrationTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    /** The dashboard's query parameters and their defaults (null: none), as the beans in io.eventflow.dashboard apply them. */
    private static final Map<String, Map<String, String>> DASHBOARD_QUERY_PARAMETERS = Map.of(
            "/api/metrics", Map.of(),
            "/api/metrics/series", Map.of("window", "5m"),
            "/api/events/recent", mapOf("topic", null, "limit", "20"),
            "/api/deadletters", Map.of());

    /**
     * Each dashboard answer's members as its schema in the spec must name them (the records of io.eventflow.dashboard),
     * by a path into the answer: {@code topics.*} is every value of the map topics, {@code events[]} every item of the list.
     */
    private static final Map<String, Map<String, List<String>>> DASHBOARD_ANSWERS = Map.of(
            "/api/metrics", Map.of(
                    "", List.of("topics", "queues", "queuesSampledAt", "windowSeconds", "rateWindowSeconds", "refreshIntervalMs", "generatedAt"),
                    "topics.*", List.of("count", "windowCount", "avgMs", "p50Ms", "p95Ms", "p99Ms", "ratePerSec", "label", "eventType",
                            "queue", "deadLetterQueue", "table", "route", "hasSecretWord", "ingested", "feeds"),
                    "queues.*", List.of("deadLetter", "messages", "consumers", "error")),
            "/api/metrics/series", Map.of(
                    "", List.of("window", "windowSeconds", "bucketSeconds", "times", "topics", "generatedAt"),
                    "topics.*", List.of("ratePerSec", "avgMs", "p95Ms")),
            "/api/events/recent", Map.of(
                    "", List.of("topic", "limit", "events"),
                    "events[]", List.of("eventId", "eventType", "batchId", "createDate", "processedDate", "totalTimeMs", "secretWord",
                            "secretWordHidden")),
            "/api/events/{eventId}", Map.of(
                    "", List.of("eventId", "eventType", "batchId", "createDate", "path", "stages", "traceId", "traceUrl"),
                    "stages[]", List.of("topic", "route", "eventType", "batchId", "createDate", "processedDate", "totalTimeMs", "secretWord",
                            "secretWordHidden", "traceId", "traceUrl")),
            "/api/deadletters", Map.of(
                    "", List.of("queues", "sampledAt"),
                    "queues.*", List.of("messages", "browsed", "newest", "error", "notBrowsed"),
                    "queues.*.newest[]", List.of("queue", "deadLetteredAt", "route", "reason", "eventId")));

    @Autowired
    CamelContext camelContext;
    @LocalServerPort
    int port;

    @Test
    void everyRestOperationOfTheRoutesIsInTheSpecOnce() throws Exception {
        JsonNode paths = spec().path("paths");
        Set<String> documented = new TreeSet<>();
        for (VerbDefinition verb : documentedVerbs()) {
            JsonNode operation = paths.path(verb.getPath()).path(verb.asVerb());
            assertThat(operation.isObject()).as(verb.asVerb() + " " + verb.getPath()).isTrue();
            assertThat(operation.path("operationId").asText()).isEqualTo(verb.getId());
            assertThat(operation.path("responses").size()).as("response codes of " + verb.getId()).isGreaterThanOrEqualTo(2);
            operation.path("responses").fields().forEachRemaining(response -> {
                if (response.getKey().startsWith("4") || response.getKey().startsWith("5")) {
                    // Camel 4.17's reader files every answer under the operation's produces, not the responseMessage's contentType.
                    assertThat(response.getValue().path("content").path("application/json").path("schema").path("$ref").asText())
                            .as(verb.getId() + " " + response.getKey() + " is a problem").isEqualTo("#/components/schemas/ProblemDetail");
                }
            });
            documented.add(verb.asVerb() + " " + verb.getPath());
        }
        Set<String> inSpec = new TreeSet<>();
        paths.fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method -> inSpec.add(method + " " + path.getKey())));
        assertThat(inSpec).isEqualTo(documented).contains("post /api/events", "post /events", "get /api/events/{eventId}");
    }

    @Test
    void specValidatesAgainstTheOpenApiSpecification() throws Exception {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        SwaggerParseResult result = new OpenAPIV3Parser().readContents(get("/api/openapi.json").body(), null, options);

        assertThat(result.getOpenAPI()).isNotNull();
        assertThat(result.getMessages()).isEmpty();
        assertThat(result.getOpenAPI().getInfo().getTitle()).isEqualTo("Eventflow");
        assertThat(result.getOpenAPI().getInfo().getVersion()).doesNotContain("@");
    }

    @Test
    void specDeclaresHowAClientAuthenticates() throws Exception {
        JsonNode spec = spec();
        JsonNode schemes = spec.path("components").path("securitySchemes");

        assertThat(schemes.path("apiKey").path("type").asText()).isEqualTo("apiKey");
        assertThat(schemes.path("apiKey").path("in").asText()).isEqualTo("header");
        assertThat(schemes.path("apiKey").path("name").asText()).isEqualTo("X-API-Key");
        assertThat(schemes.path("bearerToken").path("scheme").asText()).isEqualTo("bearer");
        assertThat(schemes.path("bearerToken").path("bearerFormat").asText()).isEqualTo("JWT");
        assertThat(schemes.path("basicAuth").path("scheme").asText()).isEqualTo("basic");
        // Any one of them (a list of alternatives), for every operation.
        List<String> alternatives = new java.util.ArrayList<>();
        spec.path("security").forEach(requirement -> requirement.fieldNames().forEachRemaining(alternatives::add));
        assertThat(alternatives).containsExactlyInAnyOrder("apiKey", "basicAuth", "bearerToken");
    }

    @Test
    void everyDashboardQueryParameterIsInTheSpecWithItsDefault() throws Exception {
        JsonNode paths = spec().path("paths");
        for (Map.Entry<String, Map<String, String>> expected : DASHBOARD_QUERY_PARAMETERS.entrySet()) {
            VerbDefinition verb = documentedVerbs().stream().filter(v -> v.getPath().equals(expected.getKey())).findFirst().orElseThrow();
            Map<String, String> inDsl = new java.util.HashMap<>();
            for (ParamDefinition param : verb.getParams() == null ? List.<ParamDefinition>of() : verb.getParams()) {
                if (param.getType() == RestParamType.query) {
                    inDsl.put(param.getName(), param.getDefaultValue());
                }
            }
            assertThat(inDsl).as("query parameters of " + expected.getKey() + " in the REST DSL").isEqualTo(expected.getValue());

            Map<String, JsonNode> inSpec = new java.util.HashMap<>();
            for (JsonNode param : paths.path(expected.getKey()).path("get").path("parameters")) {
                if (param.path("in").asText().equals("query")) {
                    inSpec.put(param.path("name").asText(), param);
                }
            }
            assertThat(inSpec.keySet()).as("query parameters of " + expected.getKey() + " in the spec").isEqualTo(expected.getValue().keySet());
            expected.getValue().forEach((name, defaultValue) -> {
                JsonNode schema = inSpec.get(name).path("schema");
                assertThat(schema.has("default") ? schema.path("default").asText() : null).as(name + " default").isEqualTo(defaultValue);
                assertThat(inSpec.get(name).path("description").asText()).as(name + " description").isNotBlank();
            });
        }
        JsonNode eventId = paths.path("/api/events/{eventId}").path("get").path("parameters").get(0);
        assertThat(eventId.path("in").asText()).isEqualTo("path");
        assertThat(eventId.path("schema").path("format").asText()).isEqualTo("uuid");
        assertThat(paths.path("/api/metrics/series").path("get").path("parameters").get(0).path("schema").path("enum"))
                .extracting(JsonNode::asText).containsExactly("1m", "5m", "15m", "1h");
    }

    @Test
    void everyDashboardAnswerIsASchemaWithItsMembers() throws Exception {
        JsonNode spec = spec();
        DASHBOARD_ANSWERS.forEach((path, members) -> {
            JsonNode answer = spec.path("paths").path(path).path("get").path("responses").path("200")
                    .path("content").path("application/json").path("schema");
            assertThat(answer.path("$ref").asText()).as("200 of " + path).startsWith("#/components/schemas/");
            members.forEach((within, names) -> {
                JsonNode schema = schemaAt(spec, answer, within);
                List<String> properties = new ArrayList<>();
                schema.path("properties").fieldNames().forEachRemaining(properties::add);
                assertThat(properties).as(path + " " + within).containsExactlyInAnyOrderElementsOf(names);
            });
        });
    }

    /** The schema of the members at {@code within} ("" the answer itself, "a.*" the values of map a, "a[]" the items of list a). */
    private static JsonNode schemaAt(JsonNode spec, JsonNode schema, String within) {
        JsonNode at = resolve(spec, schema);
        for (String step : within.isEmpty() ? new String[0] : within.split("\\.")) {
            if (step.equals("*")) {
                at = resolve(spec, at.path("additionalProperties"));
            } else if (step.endsWith("[]")) {
                at = resolve(spec, resolve(spec, at.path("properties").path(step.substring(0, step.length() - 2))).path("items"));
            } else {
                at = resolve(spec, at.path("properties").path(step));
            }
        }
        return at;
    }

    private static JsonNode resolve(JsonNode spec, JsonNode schema) {
        String ref = schema.path("$ref").asText();
        return ref.isEmpty() ? schema : spec.path("components").path("schemas").path(ref.substring(ref.lastIndexOf('/') + 1));
    }

    @Test
    void apiDocsServesSwaggerUiOnTheSpec() throws Exception {
        HttpResponse<String> docs = get("/api/docs");
        assertThat(docs.statusCode()).isEqualTo(302);
        String page = docs.headers().firstValue("Location").orElseThrow();

        HttpResponse<String> html = get(page);
        assertThat(html.statusCode()).isEqualTo(200);
        List<String> assets = new ArrayList<>();
        Matcher src = Pattern.compile("(?:src|href)=\"([^\"]+\\.(?:js|css))\"").matcher(html.body());
        while (src.find()) {
            assets.add(URI.create("http://localhost" + page).resolve(src.group(1)).getPath());
        }
        assertThat(assets).contains("/webjars/swagger-ui/5.34.1/swagger-ui-bundle.js", "/webjars/swagger-ui/5.34.1/swagger-ui.css");
        for (String asset : assets) {
            assertThat(get(asset).statusCode()).as(asset).isEqualTo(200);
        }
        String script = assets.stream().filter(a -> !a.startsWith("/webjars/") && a.endsWith(".js")).findFirst().orElseThrow();
        assertThat(get(script).body()).contains("'/api/openapi.json'");
        assertThat(get("/").body()).contains("href=\"/api/docs\"");
    }

    private List<VerbDefinition> documentedVerbs() {
        List<VerbDefinition> verbs = new ArrayList<>();
        for (RestDefinition rest : ((ModelCamelContext) camelContext).getRestDefinitions()) {
            for (VerbDefinition verb : rest.getVerbs()) {
                if (!"false".equals(verb.getApiDocs())) {
                    verbs.add(verb);
                }
            }
        }
        assertThat(verbs).as("REST operations loaded from routes/").hasSizeGreaterThanOrEqualTo(7);
        return verbs;
    }

    private JsonNode spec() throws IOException, InterruptedException {
        HttpResponse<String> answer = get("/api/openapi.json");
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        return new ObjectMapper().readTree(answer.body());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, String> mapOf(String k1, String v1, String k2, String v2) {
        Map<String, String> map = new java.util.HashMap<>();
        map.put(k1, v1);
        map.put(k2, v2);
        return map;
    }
}
