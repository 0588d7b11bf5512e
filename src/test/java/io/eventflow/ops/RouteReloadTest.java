package io.eventflow.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.LogLines;
import io.eventflow.support.Traffic;
import org.apache.camel.CamelContext;
import org.apache.camel.test.spring.junit5.DisableJmx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * Editing the pipeline's route files while it runs, as its users do: a copy of routes/ in a reload folder of its own,
 * each file saved under steady keyed traffic. Every accepted event is stored once, nothing is dead-lettered, and Camel's
 * own count of routes (JMX, which also counts a route replaced in the list by id but never stopped) stays the same.
 */
@DisableJmx(false) // Camel tests turn JMX off by default; the route count is read from Camel's context MBean
@DirtiesContext // its routes are edited: no other test class may get this context
@TestPropertySource(properties = {
        "eventflow.data-dir=target/test-data/route-reload",
        "management.server.port=0",
        "spring.jmx.enabled=true",
        "eventflow.routes-reload=true",
        "camel.main.routes-reload-directory=" + RouteReloadTest.ROUTES,
        "camel.main.routes-include-pattern=file:" + RouteReloadTest.ROUTES + "/*.camel.yaml,file:" + RouteReloadTest.ROUTES + "/*.java"})
class RouteReloadTest extends EventflowIntegrationTest {

    static final String ROUTES = "target/test-routes/route-reload";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Autowired
    CamelContext camel;
    @LocalServerPort
    int applicationPort;
    @LocalManagementPort
    int managementPort;

    @DynamicPropertySource
    static void copyOfTheRoutes(DynamicPropertyRegistry registry) throws IOException {
        restoreTheShippedRoutes();
    }

    @AfterEach
    void putTheShippedRoutesBack() throws IOException {
        try (LogLines reload = LogLines.of(RouteReloadGuard.class)) {
            List<String> restored = restoreTheShippedRoutes();
            await().atMost(Duration.ofSeconds(60)).until(() -> restored.stream().allMatch(reload::contains));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ingest.camel.yaml", "service1.camel.yaml", "service2.camel.yaml", "consumers.camel.yaml",
            "dashboard-api.camel.yaml", "errors.camel.yaml", "DeadLetterWatch.java"})
    void savedRouteFileReloadsUnderTrafficLosingNothingAndLeavingTheRouteCountAsItWas(String file) throws Exception {
        long[] routesBefore = routeCounts();
        assertThat(routesBefore[1]).as("started routes").isEqualTo(routesBefore[0]);

        Traffic traffic = Traffic.keyed(List.of(Traffic.local(applicationPort)), 10, Duration.ofMillis(20));
        try (LogLines reload = LogLines.of(RouteReloadGuard.class)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> traffic.acceptedEvents() >= 100);
            save(file, edited(file, 1));
            await().atMost(Duration.ofSeconds(60)).until(() -> reload.contains(file));
            long accepted = traffic.acceptedEvents();
            await().atMost(Duration.ofSeconds(30)).until(() -> traffic.acceptedEvents() >= accepted + 100);
            assertThat(reload.count("not reloaded")).as("reload refusals").isZero();
        } finally {
            traffic.close();
        }

        assertThat(routeCounts()).as("Camel's TotalRoutes and StartedRoutes after a reload of " + file).containsExactly(routesBefore);
        try (Connection database = jdbc.getDataSource().getConnection()) {
            await().atMost(Duration.ofSeconds(60)).until(() -> traffic.everyAcceptedEventStored(database));
            traffic.assertTablesHoldExactlyTheAcceptedEvents(database);
        }
        assertStoredOnceAndNothingDeadLettered();
    }

    @Test
    void changedConsumerTemplateIsRefusedSayingARestartIsNeeded() throws Exception {
        String shipped = Files.readString(Path.of("routes", "consumers.camel.yaml"));
        String template = "completionSize: \"{{eventflow.consumers.batch-size}}\"";
        assertThat(shipped).contains(template);

        int batchSizeBefore = batchSizeInUse("service1-topic1-batch");
        try (LogLines reload = LogLines.of(RouteReloadGuard.class)) {
            save("consumers.camel.yaml", shipped.replace(template, "completionSize: 7"));
            await().atMost(Duration.ofSeconds(60)).until(() -> reload.contains("consumers.camel.yaml"));
            assertThat(reload.count("restart Eventflow")).isEqualTo(1);
        }
        JsonNode health = JSON.readTree(ManagementClient.on(managementPort).get("/actuator/health").body());
        assertThat(health.at("/components/routeReload/status").asText()).isEqualTo("UP");
        assertThat(health.at("/components/routeReload/description").asText())
                .contains("restart Eventflow").contains("consumers.camel.yaml").contains("route template batch-consumer changed");
        assertThat(batchSizeInUse("service1-topic1-batch")).as("the batch size in use").isEqualTo(batchSizeBefore).isNotEqualTo(7);
    }

    @Test
    void eachSaveIsReportedOnceWhenItsWriteSettledNeverHalfWritten() throws Exception {
        String shipped = Files.readString(Path.of("routes", "ingest.camel.yaml"));
        assertThat(shipped).contains("ref: publishOutcome");
        try (LogLines reload = LogLines.of(RouteReloadGuard.class)) {
            for (int save = 1; save <= 5; save++) {
                // As an editor saves: the file emptied, then written, each a change the watcher sees.
                writeInTwoSteps(Path.of(ROUTES, "ingest.camel.yaml"), shipped.replace("ref: publishOutcome", "ref: noSuchBean" + save));
                int reports = save;
                await().atMost(Duration.ofSeconds(60)).until(() -> reload.count("ingest.camel.yaml") >= reports);
            }
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> reload.count("ingest.camel.yaml") == 5);
            assertThat(reload.count("noSuchBean")).as("reports naming the missing bean").isEqualTo(5);
            assertThat(reload.count("Resource is empty")).isZero();
        }
        assertThat(postEvents("{\"eventType\":\"passiveEvent\"}").getStatusCode().value()).isEqualTo(202);
    }

    private static void writeInTwoSteps(Path file, String text) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            channel.force(true);
            channel.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** The completion size of the route's aggregator, from its MBean. */
    private static int batchSizeInUse(String routeId) throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        for (ObjectName processor : server.queryNames(new ObjectName("org.apache.camel:type=processors,*"), null)) {
            if (routeId.equals(server.getAttribute(processor, "RouteId"))
                    && Arrays.stream(server.getMBeanInfo(processor).getAttributes()).anyMatch(a -> a.getName().equals("CompletionSize"))) {
                return ((Number) server.getAttribute(processor, "CompletionSize")).intValue();
            }
        }
        throw new AssertionError("no aggregator in route " + routeId);
    }

    /** Camel's context MBean: TotalRoutes and StartedRoutes. */
    private long[] routeCounts() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName context = camel.getManagementStrategy().getManagementObjectNameStrategy().getObjectNameForCamelContext(camel);
        return new long[] {((Number) server.getAttribute(context, "TotalRoutes")).longValue(),
                ((Number) server.getAttribute(context, "StartedRoutes")).longValue()};
    }

    /** The shipped file with a line of its own added, which changes no route. */
    private static String edited(String file, int edit) throws IOException {
        String shipped = Files.readString(Path.of("routes", file));
        return shipped + (file.endsWith(".java") ? "// edit " : "# edit ") + edit + "\n";
    }

    private static void save(String file, String text) throws IOException {
        Files.writeString(Path.of(ROUTES, file), text);
    }

    /** The files of routes/ written back where they differ; their names. */
    private static List<String> restoreTheShippedRoutes() throws IOException {
        List<String> restored = new ArrayList<>();
        Files.createDirectories(Path.of(ROUTES));
        try (var files = Files.list(Path.of("routes"))) {
            for (Path file : files.toList()) {
                Path copy = Path.of(ROUTES).resolve(file.getFileName());
                if (!Files.exists(copy) || Files.mismatch(file, copy) != -1) {
                    Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
                    restored.add(file.getFileName().toString());
                }
            }
        }
        return restored;
    }
}
