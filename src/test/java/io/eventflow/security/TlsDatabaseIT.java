package io.eventflow.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import io.eventflow.support.EventflowProcess;
import io.eventflow.support.OwnVhost;
import io.eventflow.support.PrivatePostgres;
import io.eventflow.support.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.util.FileSystemUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * TLS to PostgreSQL with {@code sslmode=verify-full}, the server's CA as a PEM file ({@code sslrootcert} in the JDBC
 * URL): a server of the test's own with {@code ssl=on} that refuses unencrypted connections. With the right CA events
 * are stored over encrypted connections only; with another CA Eventflow refuses to start and says why.
 */
@EnabledIfSystemProperty(named = "eventflow.embedded", matches = "false",
        disabledReason = "starts a PostgreSQL of its own (Debian's server) and uses the machine's RabbitMQ: external mode (-Pexternal) only")
@EnabledIf(value = "io.eventflow.support.TestCertificates#opensslPresent",
        disabledReason = "needs the openssl command to make the test's certificates")
class TlsDatabaseIT {

    private static final Path CERTIFICATES = Path.of("target", "tls-database-it");
    private static TestCertificates.Server server;
    private static TestCertificates otherCa;
    private static PrivatePostgres postgres;

    @BeforeAll
    static void startDatabaseSpeakingTlsOnly() throws Exception {
        FileSystemUtils.deleteRecursively(CERTIFICATES);
        server = TestCertificates.authority(CERTIFICATES.resolve("database-ca"), "eventflow-test-database-ca").issue("server");
        otherCa = TestCertificates.authority(CERTIFICATES.resolve("other-ca"), "eventflow-test-other-ca");
        postgres = PrivatePostgres.startWithTls("tls-database-it", server);
    }

    @AfterAll
    static void stopDatabase() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void eventsAreStoredOverVerifiedTlsWhenTheDatabasesCaIsTrusted() throws Exception {
        try (OwnVhost vhost = OwnVhost.create("eventflow_tls_database_it");
             EventflowProcess app = launch("tls-database-it", arguments(vhost, server.ca()))) {
            app.awaitReady();
            assertThat(app.post("{\"eventType\":\"passiveEvent\",\"count\":3}").statusCode()).isEqualTo(202);
            assertThat(app.post("{\"eventType\":\"activeEvent\",\"count\":2}").statusCode()).isEqualTo(202);

            await().atMost(Duration.ofSeconds(60))
                    .until(() -> postgres.count("topic1") == 3 && postgres.count("topic2") == 2 && postgres.count("topic3") == 2);
            // What the server itself reports of Eventflow's connections (both pools): encrypted, every one.
            try (Connection connection = postgres.connect(); Statement statement = connection.createStatement();
                 ResultSet counts = statement.executeQuery("SELECT count(*) FILTER (WHERE ssl), count(*) FILTER (WHERE NOT ssl)"
                         + " FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE datname = 'eventflow' AND pid <> pg_backend_pid()")) {
                counts.next();
                assertThat(counts.getLong(1)).as("encrypted connections").isPositive();
                assertThat(counts.getLong(2)).as("unencrypted connections").isZero();
            }
        }
    }

    @Test
    void aDatabaseCertificateOfAnotherCaRefusesTheStart() throws Exception {
        try (OwnVhost vhost = OwnVhost.create("eventflow_tls_database_it");
             EventflowProcess app = launch("tls-database-wrong-ca-it", arguments(vhost, otherCa.ca()))) {
            assertThat(app.awaitExit(Duration.ofSeconds(180))).isNotZero();
            // From JDK 25 on the message names the TLS alert first: "SSL error: (certificate_unknown) PKIX path ...".
            assertThat(app.log()).containsPattern("Unable to obtain connection from database: SSL error: (\\(certificate_unknown\\) )?PKIX path building failed");
        }
    }

    /** The jar with these arguments, its log started afresh: a line of an earlier run must not pass for this one's. */
    private static EventflowProcess launch(String name, List<String> args) throws IOException {
        Files.deleteIfExists(Path.of("target", name + ".log"));
        return EventflowProcess.launch(name, args);
    }

    private static List<String> arguments(OwnVhost vhost, Path trustedCa) {
        return List.of(
                "--eventflow.embedded=false",
                "--eventflow.cipher.key=" + EventflowProcess.randomCipherKey(),
                "--spring.rabbitmq.virtual-host=" + vhost.name(),
                "--spring.datasource.url=" + postgres.url() + "?sslmode=verify-full&sslrootcert=" + trustedCa.toAbsolutePath());
    }
}
