package io.eventflow.routes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.eventflow.config.EventflowProperties;
import io.eventflow.config.Role;
import io.eventflow.ingest.EventRequestParser;
import io.eventflow.pipeline.Topic;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.model.Model;
import org.apache.camel.model.RouteDefinition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The topic model (io.eventflow.pipeline.Topic) and the places that must agree with it without reading it: the route files
 * of routes/ (queues consumed, routes, tables inserted into, event types read, the ingest's choice), the schema in db/
 * and the default eventflow.required-routes. Each assertion fails when one of them drifts from the model.
 */
class TopicModelTest {

    @Test
    void eachTopicIsConsumedFromItsQueueByItsBatchRouteAndStoredInItsTableByItsRoute() throws Exception {
        CamelContext camel = RouteFiles.load(RouteFiles.consumerSettings(2), "consumers.camel.yaml", "service1.camel.yaml",
                "service2.camel.yaml");
        Model model = camel.getCamelContextExtension().getContextPlugin(Model.class);
        for (Topic topic : Topic.values()) {
            RouteDefinition batch = model.getRouteDefinition(topic.batchRoute());
            assertThat(batch).as(topic.batchRoute()).isNotNull();
            assertThat(batch.getTemplateParameters()).as(topic.batchRoute())
                    .containsEntry("queue", topic.queue()).containsEntry("store", "direct:" + topic.route());

            RouteDefinition store = model.getRouteDefinition(topic.route());
            assertThat(store).as(topic.route()).isNotNull();
            String steps = store.toString();
            assertThat(steps).as(topic.route() + " reads its event type")
                    .contains("method:readAll(${body}, '" + topic.eventType() + "')");
            assertThat(insertedTable(steps)).as(topic.route() + " inserts into").isEqualTo(topic.table());
            assertThat(steps.contains("secret_word")).as(topic.route() + " stores a secret word").isEqualTo(topic.hasSecretWord());
        }
        assertThat(model.getRouteDefinitions().stream().filter(route -> route.getTemplateParameters() != null
                && route.getTemplateParameters().containsKey("queue")).map(RouteDefinition::getRouteId))
                .as("every batch consumer is a topic's").containsExactlyInAnyOrder(Stream.of(Topic.values()).map(Topic::batchRoute).toArray(String[]::new));
        camel.close();
    }

    @Test
    void service1RepublishesToTheTopicsItPublishes() throws Exception {
        CamelContext camel = RouteFiles.load(RouteFiles.consumerSettings(2), "consumers.camel.yaml", "service1.camel.yaml");
        String routes = camel.getCamelContextExtension().getContextPlugin(Model.class).getRouteDefinitions().toString();
        for (Topic topic : Topic.values()) {
            assertThat(routes.contains("publishAll('" + topic.queue() + "'")).as("service 1 publishes to " + topic.queue())
                    .isEqualTo(Role.SERVICE1.publishes().contains(topic));
        }
        camel.close();
    }

    @Test
    void theIngestRoutesEachEventTypeToTheTopicCarryingIt() throws Exception {
        CamelContext camel = RouteFiles.load(Map.of(), Map.of("eventRequestParser", new EventRequestParser(RouteFiles.properties(Map.of()))),
                "errors.camel.yaml", "ingest.camel.yaml");
        AdviceWith.adviceWith(camel, "ingest-events", route -> {
            route.weaveByToString(".*eventPublisher.*").replace().to("mock:publish");
            route.weaveByToString(".*publishOutcome.*").remove();
        });
        camel.start();
        try {
            MockEndpoint published = camel.getEndpoint("mock:publish", MockEndpoint.class);
            for (Topic topic : Topic.ingested()) {
                published.reset();
                published.expectedPropertyReceived("topic", topic.queue());
                camel.createProducerTemplate().send("direct:ingest-events", exchange -> {
                    exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
                    exchange.getMessage().setBody(("{\"eventType\":\"" + topic.eventType() + "\"}").getBytes(StandardCharsets.UTF_8));
                });
                published.assertIsSatisfied();
            }
        } finally {
            camel.stop();
        }
    }

    @Test
    void eachTopicHasItsTableInTheSchemaWithASecretWordColumnIfItCarriesOne() throws IOException {
        String schema = schema();
        for (Topic topic : Topic.values()) {
            Matcher table = Pattern.compile("CREATE TABLE " + topic.table() + " \\(([^;]*)\\);").matcher(schema);
            assertThat(table.find()).as("table " + topic.table() + " in db/").isTrue();
            assertThat(table.group(1).contains("secret_word")).as(topic.table() + ".secret_word").isEqualTo(topic.hasSecretWord());
        }
    }

    @Test
    void eachTopicsRouteIsRequiredByDefault() {
        EventflowProperties defaults = RouteFiles.properties(Map.of());
        assertThat(defaults.requiredRoutes()).containsAll(Stream.of(Topic.values()).map(Topic::route).toList());
    }

    private static String insertedTable(String steps) {
        Matcher insert = Pattern.compile("INSERT INTO (\\w+) ").matcher(steps);
        assertThat(insert.find()).as("an INSERT in " + steps).isTrue();
        return insert.group(1);
    }

    private static String schema() throws IOException {
        StringBuilder schema = new StringBuilder();
        try (Stream<Path> files = Files.list(Path.of("db"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".sql")).sorted().toList()) {
                schema.append(Files.readString(file)).append('\n');
            }
        }
        return schema.toString();
    }
}
