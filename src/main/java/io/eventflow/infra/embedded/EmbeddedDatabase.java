package io.eventflow.infra.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A real PostgreSQL 14 server (zonky's binaries) started as a child process, listening on 127.0.0.1
 * only, its cluster kept under the data dir so rows survive a restart.
 */
final class EmbeddedDatabase implements AutoCloseable {

    static final String DATABASE = "eventflow";
    static final String USERNAME = "eventflow";

    private final EmbeddedPostgres postgres;
    private final Path directory;

    private EmbeddedDatabase(EmbeddedPostgres postgres, Path directory) {
        this.postgres = postgres;
        this.directory = directory;
    }

    static EmbeddedDatabase start(Path directory, int requestedPort) throws Exception {
        Files.createDirectories(directory);
        stopOrphanedServer(directory);
        EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setDataDirectory(directory)
                .setCleanDataDirectory(false)
                .setPort(requestedPort)
                .setServerConfig("listen_addresses", "127.0.0.1")
                // zonky turns this off for fast tests; an accepted event must survive a crash.
                .setServerConfig("synchronous_commit", "on")
                // zonky also passes -F (fsync off); a later -c wins, and a power cut must not corrupt the data.
                .setServerConfig("fsync", "on")
                .setServerConfig("max_connections", "100")
                // Our context closes it, after the pools that use it; a JVM hook could race them.
                .setRegisterShutdownHook(false)
                .setPGStartupWait(Duration.ofSeconds(30))
                .start();
        try {
            createRoleAndDatabase(postgres);
            return new EmbeddedDatabase(postgres, directory);
        } catch (SQLException | RuntimeException e) {
            postgres.close();
            throw e;
        }
    }

    int port() {
        return postgres.getPort();
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + DATABASE;
    }

    Path directory() {
        return directory;
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }

    // The app runs as a plain owner of its database, not as the cluster's superuser.
    private static void createRoleAndDatabase(EmbeddedPostgres postgres) throws SQLException {
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            if (!exists(connection, "SELECT 1 FROM pg_roles WHERE rolname = ?", USERNAME)) {
                statement.execute("CREATE ROLE " + USERNAME + " LOGIN");
            }
            if (!exists(connection, "SELECT 1 FROM pg_database WHERE datname = ?", DATABASE)) {
                statement.execute("CREATE DATABASE " + DATABASE + " OWNER " + USERNAME + " ENCODING 'UTF8'");
            }
        }
    }

    private static boolean exists(Connection connection, String sql, String name) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            query.setString(1, name);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next();
            }
        }
    }

    /**
     * pg_ctl starts the server detached, so a JVM killed with SIGKILL leaves it running on our data dir
     * and the next start would fail on its postmaster.pid. SIGTERM asks it for a clean (smart) shutdown.
     */
    private static void stopOrphanedServer(Path directory) throws IOException, InterruptedException {
        Path pidFile = directory.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        List<String> lines = Files.readAllLines(pidFile);
        Optional<ProcessHandle> orphan = lines.isEmpty() ? Optional.empty()
                : ProcessHandle.of(Long.parseLong(lines.get(0).trim()))
                        .filter(ProcessHandle::isAlive)
                        .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(false));
        if (orphan.isEmpty()) {
            return;
        }
        orphan.get().destroy();
        try {
            orphan.get().onExit().get(30, TimeUnit.SECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("A PostgreSQL server left by an earlier run (pid " + orphan.get().pid()
                    + ") still holds " + directory + "; stop it and start again", e);
        }
    }
}
