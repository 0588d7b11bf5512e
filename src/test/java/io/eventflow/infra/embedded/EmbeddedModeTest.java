package io.eventflow.infra.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.eventflow.config.StartRefusedException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.amqp.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.JdbcTemplateAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Boots a minimal Spring context (Rabbit + JDBC auto-configuration only) against the embedded broker and
 * database, each test in its own data dir. Uses its own queue names, never the pipeline's topics.
 */
class EmbeddedModeTest {

    @TempDir
    Path dataDir;

    @Test
    void confirmedPublishIsConsumedFromDurableQueue() throws Exception {
        try (ConfigurableApplicationContext context = start(dataDir)) {
            RabbitTemplate rabbit = context.getBean(RabbitTemplate.class);
            String queue = declareDurableQueue(context);

            CorrelationData correlation = new CorrelationData(UUID.randomUUID().toString());
            rabbit.convertAndSend("", queue, "hello", correlation);

            assertThat(correlation.getFuture().get(10, TimeUnit.SECONDS).isAck()).isTrue();
            assertThat(rabbit.receiveAndConvert(queue, 10_000)).isEqualTo("hello");
        }
    }

    @Test
    void rowIsWrittenAndReadOnEmbeddedPostgres() {
        try (ConfigurableApplicationContext context = start(dataDir)) {
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            jdbc.execute("CREATE TABLE probe (id int PRIMARY KEY, body text)");
            jdbc.update("INSERT INTO probe VALUES (?, ?)", 1, "stored");

            assertThat(jdbc.queryForObject("SELECT body FROM probe WHERE id = 1", String.class)).isEqualTo("stored");
            assertThat(jdbc.queryForObject("SELECT current_database()", String.class)).isEqualTo("eventflow");
            assertThat(jdbc.queryForObject("SHOW server_version", String.class))
                    .startsWith(EmbeddedDatabase.MAJOR_VERSION + ".");
            assertThat(jdbc.queryForObject("SHOW fsync", String.class)).isEqualTo("on");
            assertThat(jdbc.queryForObject("SHOW synchronous_commit", String.class)).isEqualTo("on");
        }
    }

    @Test
    void serversListenOnLoopbackOnlyAndNeverOnDefaultPorts() throws Exception {
        try (ConfigurableApplicationContext context = start(dataDir)) {
            Environment env = context.getEnvironment();
            int brokerPort = env.getRequiredProperty("spring.rabbitmq.port", Integer.class);
            int postgresPort = context.getBean(EmbeddedInfrastructure.class).postgresPort();

            assertThat(brokerPort).isPositive().isNotEqualTo(5672);
            assertThat(postgresPort).isPositive().isNotEqualTo(5432);
            assertThat(env.getProperty("spring.rabbitmq.host")).isEqualTo("127.0.0.1");
            assertThat(env.getProperty("spring.datasource.url"))
                    .isEqualTo("jdbc:postgresql://127.0.0.1:" + postgresPort + "/eventflow");
            assertThat(context.getBean(JdbcTemplate.class).queryForObject("SHOW listen_addresses", String.class))
                    .isEqualTo("127.0.0.1");
            for (InetAddress address : nonLoopbackAddresses()) {
                assertThat(accepts(address, brokerPort)).as("broker reachable on %s", address).isFalse();
                assertThat(accepts(address, postgresPort)).as("postgres reachable on %s", address).isFalse();
            }
            assertThat(accepts(InetAddress.getLoopbackAddress(), brokerPort)).isTrue();
        }
    }

    @Test
    void postgresAsksEveryRoleForThePasswordKeptOwnerOnly() throws Exception {
        try (ConfigurableApplicationContext context = start(dataDir)) {
            int port = context.getBean(EmbeddedInfrastructure.class).postgresPort();
            Path passwordFile = dataDir.resolve("postgres.password");

            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile))).isEqualTo("rw-------");
            assertThat(context.getBean(JdbcTemplate.class).queryForObject("SELECT current_user", String.class))
                    .isEqualTo("eventflow");
            assertRefusedWithoutThePassword(port);
            String password = Files.readString(passwordFile).trim();
            try (Connection superuser = connect(port, "postgres", "postgres", password);
                 Statement query = superuser.createStatement();
                 ResultSet rules = query.executeQuery("SELECT DISTINCT auth_method FROM pg_hba_file_rules")) {
                assertThat(rules.next()).isTrue();
                assertThat(rules.getString(1)).isEqualTo("scram-sha-256");
                assertThat(rules.next()).as("only scram-sha-256 rules").isFalse();
            }
        }
    }

    @Test
    void aClusterThatTrustedEveryoneIsLockedOnItsNextStart() throws Exception {
        // A cluster as Eventflow created it before it had a password: zonky's initdb -A trust.
        EmbeddedPostgres.builder().setDataDirectory(dataDir.resolve("postgres")).setCleanDataDirectory(false)
                .setRegisterShutdownHook(false).start().close();

        try (ConfigurableApplicationContext context = start(dataDir)) {
            assertThat(context.getBean(JdbcTemplate.class).queryForObject("SELECT 1", Integer.class)).isEqualTo(1);
            assertRefusedWithoutThePassword(context.getBean(EmbeddedInfrastructure.class).postgresPort());
        }
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void aClusterOfAnotherPostgresVersionIsRefusedWithWhatToDo(CapturedOutput output) throws Exception {
        // What initdb of Eventflow's PostgreSQL 14 left in data/postgres; the version file is what a server checks first.
        Path cluster = Files.createDirectories(dataDir.resolve("postgres"));
        Files.writeString(cluster.resolve("PG_VERSION"), "14\n");

        assertThatThrownBy(() -> start(dataDir)).isInstanceOf(StartRefusedException.class)
                .hasMessageContaining("the embedded database in " + cluster + " was created by PostgreSQL 14, "
                        + "and this Eventflow runs PostgreSQL " + EmbeddedDatabase.MAJOR_VERSION + ", which cannot open it")
                .hasMessageContaining("mv " + cluster + " " + dataDir.resolve("postgres-14"))
                .hasMessageContaining("pg_dump -h 127.0.0.1 -p 54321 -U eventflow --data-only");
        assertThat(output).contains("Eventflow refuses to start: the embedded database in " + cluster)
                .contains("Either start with an empty database, keeping the old one aside");
        assertThat(cluster.toFile().list()).as("the old cluster, untouched").containsExactly("PG_VERSION");
        assertThat(Files.readString(cluster.resolve("PG_VERSION"))).isEqualTo("14\n");

        // Moved aside as the refusal says, the next start creates a cluster of the bundled version.
        Files.move(cluster, dataDir.resolve("postgres-14"));
        try (ConfigurableApplicationContext context = start(dataDir)) {
            assertThat(context.getBean(JdbcTemplate.class).queryForObject("SHOW server_version", String.class))
                    .startsWith(EmbeddedDatabase.MAJOR_VERSION + ".");
        }
    }

    private static void assertRefusedWithoutThePassword(int port) {
        for (String role : List.of("eventflow", "postgres")) {
            for (String database : List.of("eventflow", "postgres")) {
                assertThatThrownBy(() -> connect(port, role, database, "").close()).as("%s on %s without a password", role, database)
                        .isInstanceOf(SQLException.class);
                assertThatThrownBy(() -> connect(port, role, database, "wrong").close()).as("%s on %s with a wrong password", role, database)
                        .isInstanceOf(SQLException.class).hasMessageContaining("password authentication failed");
            }
        }
    }

    private static Connection connect(int port, String role, String database, String password) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, role, password);
    }

    @Test
    void rowAndQueuedMessageSurviveRestartOnSameDataDir() throws Exception {
        String queue;
        try (ConfigurableApplicationContext first = start(dataDir)) {
            JdbcTemplate jdbc = first.getBean(JdbcTemplate.class);
            jdbc.execute("CREATE TABLE kept (body text)");
            jdbc.update("INSERT INTO kept VALUES ('before restart')");

            queue = declareDurableQueue(first);
            CorrelationData correlation = new CorrelationData("kept");
            first.getBean(RabbitTemplate.class).convertAndSend("", queue, "queued before restart", message -> {
                message.getMessageProperties().setDeliveryMode(MessageDeliveryMode.PERSISTENT);
                return message;
            }, correlation);
            assertThat(correlation.getFuture().get(10, TimeUnit.SECONDS).isAck()).isTrue();
        }

        try (ConfigurableApplicationContext second = start(dataDir)) {
            assertThat(second.getBean(JdbcTemplate.class).queryForList("SELECT body FROM kept", String.class))
                    .containsExactly("before restart");
            assertThat(second.getBean(RabbitTemplate.class).receiveAndConvert(queue, 10_000))
                    .isEqualTo("queued before restart");
        }
    }

    @Test
    void brokerAndDatabaseOutliveOtherBeansOnClose() {
        ConfigurableApplicationContext context = start(dataDir, ShutdownProbe.class);
        ShutdownProbe probe = context.getBean(ShutdownProbe.class);
        context.close();

        assertThat(probe.failure.get()).as("work done while other beans are destroyed").isNull();
        assertThat(probe.rowsSeenOnClose).isEqualTo(1);
        assertThat(probe.brokerQueueOnClose).isNotBlank();
    }

    @Test
    void failedStartStopsBrokerAndDatabase() {
        FailingBean.brokerPort.set(null);
        assertThatThrownBy(() -> start(dataDir, FailingBean.class)).hasStackTraceContaining("refuses to start");

        int brokerPort = FailingBean.brokerPort.get();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !accepts(InetAddress.getLoopbackAddress(), brokerPort));
        // A second start on the same dir would fail on the PostgreSQL and BDB locks if anything survived.
        try (ConfigurableApplicationContext context = start(dataDir)) {
            assertThat(context.getBean(JdbcTemplate.class).queryForObject("SELECT 1", Integer.class)).isEqualTo(1);
        }
    }

    @Test
    void disabledModeStartsNothingAndKeepsGivenSettings() {
        String givenUrl = "jdbc:postgresql://127.0.0.1:1/not-started";
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(MinimalApp.class)
                .web(WebApplicationType.NONE)
                .run("--eventflow.embedded=false", "--eventflow.data-dir=" + dataDir,
                        "--spring.datasource.url=" + givenUrl, "--spring.rabbitmq.port=1")) {
            assertThat(context.getEnvironment().getPropertySources()
                    .contains(EmbeddedInfrastructureRunListener.PROPERTY_SOURCE_NAME)).isFalse();
            assertThat(context.getBeansOfType(EmbeddedInfrastructure.class)).isEmpty();
            assertThat(context.getEnvironment().getProperty("spring.datasource.url")).isEqualTo(givenUrl);
            assertThat(context.getEnvironment().getProperty("spring.rabbitmq.port")).isEqualTo("1");
            assertThat(dataDir).isEmptyDirectory();
        }
    }

    private static ConfigurableApplicationContext start(Path dataDir, Class<?>... extraSources) {
        Class<?>[] sources = new Class<?>[extraSources.length + 1];
        sources[0] = MinimalApp.class;
        System.arraycopy(extraSources, 0, sources, 1, extraSources.length);
        return new SpringApplicationBuilder(sources)
                .web(WebApplicationType.NONE)
                // Command-line arguments outrank the system property surefire sets, so this test decides.
                .run("--eventflow.embedded=true", "--eventflow.data-dir=" + dataDir,
                        "--spring.rabbitmq.publisher-confirm-type=correlated");
    }

    private static String declareDurableQueue(ConfigurableApplicationContext context) {
        String name = "embedded-test-" + UUID.randomUUID();
        context.getBean(RabbitAdmin.class).declareQueue(new Queue(name, true, false, false));
        return name;
    }

    private static List<InetAddress> nonLoopbackAddresses() throws SocketException {
        return NetworkInterface.networkInterfaces()
                .flatMap(NetworkInterface::inetAddresses)
                .filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                .toList();
    }

    private static boolean accepts(InetAddress address, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @SpringBootConfiguration
    @ImportAutoConfiguration({RabbitAutoConfiguration.class, DataSourceAutoConfiguration.class,
            JdbcTemplateAutoConfiguration.class})
    static class MinimalApp {

        @Bean
        RabbitAdmin rabbitAdmin(RabbitTemplate template) {
            return new RabbitAdmin(template);
        }
    }

    /** Created after the infrastructure, so destroyed before it: it must still reach both servers. */
    static class ShutdownProbe implements DisposableBean {
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final JdbcTemplate jdbc;
        final RabbitTemplate rabbit;
        volatile int rowsSeenOnClose;
        volatile String brokerQueueOnClose;

        ShutdownProbe(JdbcTemplate jdbc, RabbitTemplate rabbit) {
            this.jdbc = jdbc;
            this.rabbit = rabbit;
            jdbc.execute("CREATE TABLE closing (id int)");
        }

        @Override
        public void destroy() {
            try {
                jdbc.update("INSERT INTO closing VALUES (1)");
                rowsSeenOnClose = jdbc.queryForObject("SELECT count(*) FROM closing", Integer.class);
                brokerQueueOnClose = rabbit.execute(channel -> channel.queueDeclare().getQueue());
            } catch (RuntimeException e) {
                failure.set(e);
            }
        }
    }

    static class FailingBean {
        static final AtomicReference<Integer> brokerPort = new AtomicReference<>();

        FailingBean(Environment environment) {
            brokerPort.set(environment.getRequiredProperty("spring.rabbitmq.port", Integer.class));
            throw new IllegalStateException("FailingBean refuses to start");
        }
    }
}
