package io.eventflow.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.springframework.util.FileSystemUtils;

/**
 * A PostgreSQL server of the test's own, as bench/chaos makes one: Debian's newest PostgreSQL, a fresh initdb under a
 * temporary folder, on a free port of loopback, user postgres without a password, database {@code eventflow}; run as
 * the postgres user when the tests run as root. The machine's PostgreSQL (5432) is never touched. Started with a
 * certificate ({@link #startWithTls}), it speaks TLS only: its pg_hba.conf has no entry for an unencrypted connection.
 */
public final class PrivatePostgres implements AutoCloseable, TestDatabase {

    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    private final Path bin;
    private final Path dir;
    private final NetworkNamespace namespace;
    private final String host;
    private final int port;
    private final TestCertificates.Server tls;

    private PrivatePostgres(Path bin, Path dir, NetworkNamespace namespace, String host, int port, TestCertificates.Server tls) {
        this.bin = bin;
        this.dir = dir;
        this.namespace = namespace;
        this.host = host;
        this.port = port;
        this.tls = tls;
    }

    /** initdb, start, and an empty database {@code eventflow}. */
    public static PrivatePostgres start(String name) throws IOException, SQLException {
        return start(name, null, "127.0.0.1", EventflowProcess.freePort(), null);
    }

    /**
     * As {@link #start}, with {@code ssl=on} and this server certificate, and only {@code hostssl} entries in pg_hba.conf:
     * a client that does not encrypt is refused ({@code no pg_hba.conf entry ... no encryption}).
     */
    public static PrivatePostgres startWithTls(String name, TestCertificates.Server server) throws IOException, SQLException {
        return start(name, null, "127.0.0.1", EventflowProcess.freePort(), server);
    }

    /** As {@link #start(String)}, the server inside {@code namespace}, listening on port 5432 of every address it has; {@link #url()} names {@code address}. */
    public static PrivatePostgres startIn(NetworkNamespace namespace, String address, String name) throws IOException, SQLException {
        return start(name, namespace, address, 5432, null);
    }

    private static PrivatePostgres start(String name, NetworkNamespace namespace, String host, int port, TestCertificates.Server server)
            throws IOException, SQLException {
        Path dir = Files.createTempDirectory("eventflow-" + name);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        if (ROOT) {
            Files.setOwner(dir, postgresUser(dir));
        }
        PrivatePostgres postgres = new PrivatePostgres(newestBin(), dir, namespace, host, port, server);
        postgres.run("initdb", "-D", dir.resolve("data").toString(), "-U", "postgres", "-A", "trust");
        if (server != null) {
            // PostgreSQL refuses a key file others may read, or one not owned by the server's user.
            for (String file : List.of("server.pem", "server.key")) {
                Path copy = dir.resolve(file);
                Files.copy(file.endsWith(".key") ? server.key() : server.certificate(), copy);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-------"));
                if (ROOT) {
                    Files.setOwner(copy, postgresUser(dir));
                }
            }
            Files.writeString(dir.resolve("data").resolve("pg_hba.conf"),
                    "local all all trust\nhostssl all all 127.0.0.1/32 trust\n");
        }
        if (namespace != null) {
            // Clients across the namespace's veth pairs (10.224.0.0/16), not only loopback.
            Files.writeString(dir.resolve("data").resolve("pg_hba.conf"), "host all all 10.224.0.0/16 trust\n", StandardOpenOption.APPEND);
        }
        postgres.start();
        try (Connection connection = DriverManager.getConnection(postgres.url("postgres") + postgres.sslParameters(), "postgres", "");
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE eventflow");
        }
        return postgres;
    }

    /** {@code spring.datasource.url} of database eventflow. */
    public String url() {
        return url("eventflow");
    }

    private String url(String database) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    /** JDBC parameters that verify this server's certificate against its CA and host name, "" without TLS. */
    public String sslParameters() {
        return tls == null ? "" : "?sslmode=verify-full&sslrootcert=" + tls.ca();
    }

    @Override
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url() + sslParameters(), "postgres", "");
    }

    /** Starts the server and waits until it takes connections. */
    public void start() throws IOException {
        String ssl = tls == null ? "" : " -c ssl=on -c ssl_cert_file=" + dir.resolve("server.pem") + " -c ssl_key_file=" + dir.resolve("server.key");
        pgCtl("-l", dir.resolve("postgres.log").toString(), "-w", "-t", "120",
                "-o", "-p " + port + " -k " + dir + " -c listen_addresses=" + (namespace == null ? host : "*") + ssl, "start");
    }

    /** A crash: {@code pg_ctl -m immediate stop}, every connection cut, no checkpoint; the next start recovers from WAL. */
    public void crash() throws IOException {
        pgCtl("-m", "immediate", "stop");
    }

    @Override
    public void close() throws IOException {
        if (Files.exists(dir.resolve("data").resolve("postmaster.pid"))) {
            crash();
        }
        FileSystemUtils.deleteRecursively(dir);
    }

    private void pgCtl(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("pg_ctl", "-D", dir.resolve("data").toString()));
        command.addAll(List.of(args));
        run(command.toArray(String[]::new));
    }

    private void run(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        if (namespace != null) {
            command.addAll(namespace.command());
        }
        if (ROOT) {
            command.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        command.add(bin.resolve(args[0]).toString());
        command.addAll(List.of(args).subList(1, args.length));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("commands.log").toFile())).start();
        try {
            if (!process.waitFor(180, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + Files.readString(dir.resolve("commands.log")));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }

    private static UserPrincipal postgresUser(Path dir) throws IOException {
        return dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
    }

    private static Path newestBin() throws IOException {
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.max(Comparator.comparingInt(v -> Integer.parseInt(v.getFileName().toString())))
                    .orElseThrow(() -> new IOException("no PostgreSQL server under /usr/lib/postgresql")).resolve("bin");
        }
    }
}
