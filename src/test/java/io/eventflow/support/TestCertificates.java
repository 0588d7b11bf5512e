package io.eventflow.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority of a test's own, made with the openssl command as an operator would: {@code ca.pem} (the CA
 * certificate, what a client trusts) and server certificates it signs for {@code localhost} and {@code 127.0.0.1},
 * each as PEM files ({@code <name>.pem}, {@code <name>.key}, PKCS#8, unencrypted), valid for two days. EC P-256 keys:
 * quick to make.
 */
public final class TestCertificates {

    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    /** Whether the openssl command is on the PATH; tests that need certificates are skipped without it. */
    public static boolean opensslPresent() {
        try {
            return new ProcessBuilder("openssl", "version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException absent) {
            return false;
        }
    }

    /** A new CA named {@code commonName}, its files in {@code dir} (created if missing). */
    public static TestCertificates authority(Path dir, String commonName) throws IOException {
        Files.createDirectories(dir);
        TestCertificates authority = new TestCertificates(dir);
        authority.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=" + commonName);
        return authority;
    }

    /** The CA certificate, PEM. */
    public Path ca() {
        return dir.resolve("ca.pem");
    }

    /** A server certificate this CA signs for localhost and 127.0.0.1: {@code <name>.pem} and {@code <name>.key}. */
    public Server issue(String name) throws IOException {
        return issue(name, "DNS:localhost,IP:127.0.0.1");
    }

    /** A server certificate this CA signs for these names, e.g. {@code DNS:localhost} (openssl's subjectAltName syntax). */
    public Server issue(String name, String subjectAltName) throws IOException {
        Files.writeString(dir.resolve(name + ".ext"),
                "subjectAltName=" + subjectAltName + "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=localhost");
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-out", name + ".pem", "-extfile", name + ".ext");
        return new Server(ca(), dir.resolve(name + ".pem"), dir.resolve(name + ".key"));
    }

    /** A server's certificate and key, and the CA that signed it. */
    public record Server(Path ca, Path certificate, Path key) {
    }

    private void openssl(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }
}
