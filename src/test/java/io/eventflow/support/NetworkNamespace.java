package io.eventflow.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.springframework.util.FileSystemUtils;

/**
 * A Linux network namespace of the test's own ({@code efp-<name>}, root only) joined to the host or to another one by
 * veth pairs of addresses in 10.224.0.0/16, for partitions: a server or an Eventflow process started inside
 * ({@link #command}) is reached across the veth, and {@link Link#cut()} takes one end down, so packets are dropped
 * without a reset, as a failed switch or a lost node drops them. {@link #close()} kills what runs inside and removes
 * the namespace with its links; a shutdown hook does the same for a run that ends early, and {@link #removeLeftovers}
 * removes what a killed run left of the names it is given (all start {@code efp-}: nothing else on the machine is touched).
 */
public final class NetworkNamespace implements AutoCloseable {

    public static final boolean AVAILABLE = "root".equals(System.getProperty("user.name")) && run(false, "ip", "netns", "list") != null;

    private final String name;
    private final Thread cleanup;

    private NetworkNamespace(String name) {
        this.name = name;
        this.cleanup = new Thread(this::remove, "remove-" + name);
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    /** Creates {@code efp-<name>} with its loopback up; {@code name} is at most 6 characters (interface names are short). */
    public static NetworkNamespace create(String name) {
        if (name.length() > 6) {
            throw new IllegalArgumentException("namespace name longer than 6: " + name);
        }
        NetworkNamespace namespace = new NetworkNamespace("efp-" + name);
        namespace.remove();
        run(true, "ip", "netns", "add", namespace.name);
        namespace.exec("ip", "link", "set", "lo", "up");
        return namespace;
    }

    /**
     * Removes what a killed run left of these namespaces ({@code efp-<name>}, with their veth pairs): only these, so a
     * bench/chaos or another test class running beside with namespaces of its own keeps them.
     */
    public static void removeLeftovers(String... names) {
        for (String name : names) {
            new NetworkNamespace("efp-" + name).close();
        }
        String links = run(false, "ip", "-o", "link", "show");
        for (String line : links == null ? new String[0] : links.split("\n")) {
            String[] columns = line.split(":\\s+");
            for (String name : names) {
                if (columns.length > 1 && columns[1].startsWith("efp-" + name + "-")) {
                    run(false, "ip", "link", "del", columns[1].split("@")[0]);
                }
            }
        }
    }

    public String name() {
        return name;
    }

    /**
     * Host names as seen from inside the namespace: {@code ip netns exec} mounts /etc/netns/efp-NAME/hosts over
     * /etc/hosts, so Erlang node names resolve per namespace. {@link #close()} removes the file.
     */
    public void hosts(Map<String, String> addressesByName) {
        StringBuilder hosts = new StringBuilder("127.0.0.1 localhost\n");
        addressesByName.forEach((host, address) -> hosts.append(address).append(' ').append(host).append('\n'));
        try {
            Files.createDirectories(etc());
            Files.writeString(etc().resolve("hosts"), hosts);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + etc(), e);
        }
    }

    private Path etc() {
        return Path.of("/etc/netns", name);
    }

    /** {@code command} run inside the namespace: {@code ip netns exec efp-<name> command...}. */
    public List<String> command(String... command) {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", name));
        all.addAll(List.of(command));
        return all;
    }

    /** Runs a command inside the namespace and gives its output, failing if it fails. */
    public String exec(String... command) {
        return run(true, command(command).toArray(String[]::new));
    }

    /** As {@link #exec}, but null instead of a failure: for a probe that may fail ({@code curl} before a port opens). */
    public String execQuietly(String... command) {
        return run(false, command(command).toArray(String[]::new));
    }

    /**
     * A veth pair from this namespace to the host ({@code other} null) or to another namespace, subnet
     * 10.224.{@code subnet}.0/30: this end .2, the other end .1. {@link Link#cut()} takes this namespace's end down.
     */
    public Link link(NetworkNamespace other, int subnet) {
        String here = name + "-" + subnet + "a";
        String there = name + "-" + subnet + "b";
        String prefix = "10.224." + subnet + ".";
        run(true, "ip", "link", "add", here, "type", "veth", "peer", "name", there);
        run(true, "ip", "link", "set", here, "netns", name);
        exec("ip", "addr", "add", prefix + "2/30", "dev", here);
        exec("ip", "link", "set", here, "up");
        if (other == null) {
            run(true, "ip", "addr", "add", prefix + "1/30", "dev", there);
            run(true, "ip", "link", "set", there, "up");
        } else {
            run(true, "ip", "link", "set", there, "netns", other.name);
            other.exec("ip", "addr", "add", prefix + "1/30", "dev", there);
            other.exec("ip", "link", "set", there, "up");
        }
        return new Link(this, here, prefix + "2", prefix + "1");
    }

    /** One veth pair: {@code address} is this namespace's end, {@code peerAddress} the host's or the other namespace's. */
    public record Link(NetworkNamespace namespace, String device, String address, String peerAddress) {

        /** Takes this namespace's end down: whatever is sent either way is dropped, no connection is reset. */
        public void cut() {
            namespace.exec("ip", "link", "set", device, "down");
        }

        /** Brings it up again; the connected route comes back with it. */
        public void heal() {
            namespace.exec("ip", "link", "set", device, "up");
        }
    }

    /** Kills what still runs inside (only processes of this namespace), then removes it and its veth pairs. */
    @Override
    public void close() {
        remove();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running or ran.
        }
    }

    private void remove() {
        String pids = run(false, "ip", "netns", "pids", name);
        if (pids != null && !pids.isBlank()) {
            List<String> kill = new ArrayList<>(List.of("kill", "-9"));
            kill.addAll(List.of(pids.strip().split("\\s+")));
            run(false, kill.toArray(String[]::new));
        }
        run(false, "ip", "netns", "del", name); // its veth ends go with it, and so do their peers
        FileSystemUtils.deleteRecursively(etc().toFile());
    }

    private static String run(boolean check, String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                if (check) {
                    throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
                }
                return null;
            }
            return output;
        } catch (IOException e) {
            if (check) {
                throw new IllegalStateException("cannot run " + command[0], e);
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        }
    }
}
