package io.eventflow.routes;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The route files are what Camel's tooling (Kaoto, VS Code's YAML support, camel-jbang) expects: each validates against
 * the Camel YAML DSL JSON schema shipped in the camel-yaml-dsl jar of the Camel version in use.
 */
class RouteFilesSchemaTest {

    /** Inside camel-yaml-dsl-&lt;version&gt;.jar; the same file .vscode/settings.json maps to routes/*.camel.yaml. */
    private static final String CAMEL_SCHEMA = "schema/camelYamlDsl.json";

    /** A property placeholder Camel resolves before it converts the value: the schema types only the resolved value. */
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{[^{}]+}}");
    private static final Schema SCHEMA = camelSchema();

    @Test
    void everyRouteFileValidatesAgainstCamelsYamlDslSchema() throws IOException {
        Map<String, List<String>> invalid = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> routes = Files.list(Path.of("routes"))) {
            files = routes.filter(file -> file.getFileName().toString().endsWith(".camel.yaml")).sorted().toList();
        }
        assertThat(files).as("routes/*.camel.yaml").isNotEmpty();
        for (Path file : files) {
            List<String> errors = errors(Files.readString(file));
            if (!errors.isEmpty()) {
                invalid.put(file.toString(), errors);
            }
        }
        assertThat(invalid).as("route files the Camel YAML DSL schema refuses").isEmpty();
    }

    @Test
    void aMisspelledStepIsRefusedByTheSchema() {
        String misspelled = """
                - route:
                    id: probe
                    from:
                      uri: direct:probe
                      steps:
                        - setHeadr:
                            name: x
                            constant: y
                """;

        assertThat(errors(misspelled)).as("a step Camel does not know").isNotEmpty();
    }

    private static List<String> errors(String yaml) {
        // SnakeYAML, as Camel's loader does, resolves anchors and aliases (the ingest's two REST paths share theirs).
        JsonNode routes = new ObjectMapper().valueToTree(new Yaml().load(yaml));
        return SCHEMA.validate(routes).stream().filter(error -> !placeholderForATypedValue(error)).map(Error::toString).toList();
    }

    private static boolean placeholderForATypedValue(Error error) {
        return "type".equals(error.getKeyword()) && error.getInstanceNode() != null && error.getInstanceNode().isTextual()
                && PLACEHOLDER.matcher(error.getInstanceNode().asText()).matches();
    }

    private static Schema camelSchema() {
        try (InputStream schema = RouteFilesSchemaTest.class.getClassLoader().getResourceAsStream(CAMEL_SCHEMA)) {
            assertThat(schema).as(CAMEL_SCHEMA + " on the class path (camel-yaml-dsl)").isNotNull();
            return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4).getSchema(schema);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
