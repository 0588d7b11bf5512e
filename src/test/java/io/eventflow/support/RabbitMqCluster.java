package io.eventflow.support;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.springframework.util.FileSystemUtils;

/**
 * The three-node RabbitMQ cluster of {@code scripts/rabbitmq-cluster} on this machine's loopback (nodes
 * ef-rabbit1..3@localhost), for the external mode's cluster tests, or a one-node broker of a test's own
 * ({@link #startPrivate}). The machine's own node is never touched.
 */
public final class RabbitMqCluster implements AutoCloseable {

    public static final int NODES = 3;

    private final Map<String, String> env;
    private final NetworkNamespace namespace;
    private final String addresses;

    private RabbitMqCluster(Map<String, String> env) {
        this(env, null);
    }

    private RabbitMqCluster(Map<String, String> env, NetworkNamespace namespace) {
        this.env = env;
        this.namespace = namespace;
        String output = script("start").strip();
        this.addresses = output.substring(output.lastIndexOf('\n') + 1);
    }

    /** Starts (or finds running) the three nodes, clustered. */
    public static RabbitMqCluster start() {
        return new RabbitMqCluster(Map.of());
    }

    /**
     * Starts a one-node broker of its own, node {@code <name>1@localhost}, on a free port (its distribution port, +20000,
     * free too), its data under a new temporary folder that {@link #close()} removes.
     */
    public static RabbitMqCluster startPrivate(String name) throws IOException {
        return startPrivate(name, null);
    }

    /** As {@link #startPrivate(String)}, speaking AMQPS only on its port with this certificate (no plain listener). */
    public static RabbitMqCluster startPrivateWithTls(String name, TestCertificates.Server server) throws IOException {
        return startPrivate(name, server);
    }

    private static RabbitMqCluster startPrivate(String name, TestCertificates.Server server) throws IOException {
        Path dir = Files.createTempDirectory("eventflow-" + name);
        int port;
        do {
            port = 6000 + ThreadLocalRandom.current().nextInt(3000);
        } while (!free(port) || !free(port + 20000));
        Map<String, String> env = new HashMap<>(Map.of("CLUSTER_DIR", dir.toString(), "CLUSTER_NODES", "1", "CLUSTER_NAME", name,
                "CLUSTER_PORT", String.valueOf(port)));
        if (server != null) {
            Path tls = Files.createDirectories(dir.resolve("tls"));
            Files.copy(server.ca(), tls.resolve("ca.pem"));
            Files.copy(server.certificate(), tls.resolve("server.pem"));
            Files.copy(server.key(), tls.resolve("server.key"));
            env.put("CLUSTER_TLS_DIR", tls.toString());
        }
        return new RabbitMqCluster(env);
    }

    /**
     * As {@link #startPrivate}, the node inside {@code namespace} (its own epmd there too), listening on
     * port 5672 of every address it has.
     */
    public static RabbitMqCluster startIn(NetworkNamespace namespace, String name) throws IOException {
        Path dir = Files.createTempDirectory("eventflow-" + name);
        return new RabbitMqCluster(Map.of("CLUSTER_DIR", dir.toString(), "CLUSTER_NODES", "1", "CLUSTER_NAME", name,
                "CLUSTER_PORT", "5672", "CLUSTER_IP", "0.0.0.0"), namespace);
    }

    /**
     * One part of a cluster spread over namespaces: nodes {@code <name>1..<nodes>@<host>} inside {@code namespace} (its
     * hosts file resolves {@code host} and the other parts' hosts), AMQP ports from {@code port} on every address,
     * distribution ports 20000 higher, a peer node declared down after 10 s of silence (net_ticktime, 60 s by default),
     * joining node {@code join} of another part unless it is null. Every part needs the same {@code cookie}.
     */
    public static RabbitMqCluster startPart(NetworkNamespace namespace, String name, String host, int nodes, int port,
                                            String cookie, String join) throws IOException {
        Path dir = Files.createTempDirectory("eventflow-" + name);
        Map<String, String> env = new HashMap<>(Map.of("CLUSTER_DIR", dir.toString(), "CLUSTER_NODES", String.valueOf(nodes),
                "CLUSTER_NAME", name, "CLUSTER_PORT", String.valueOf(port), "CLUSTER_IP", "0.0.0.0", "CLUSTER_HOST", host,
                "CLUSTER_COOKIE", cookie, "CLUSTER_NET_TICKTIME", "10"));
        if (join != null) {
            env.put("CLUSTER_JOIN", join);
        }
        return new RabbitMqCluster(env, namespace);
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    /** {@code spring.rabbitmq.addresses}: every node, {@code 127.0.0.1:5681,...}. */
    public String addresses() {
        return addresses;
    }

    public static String nodeName(int node) {
        return "ef-rabbit" + node + "@localhost";
    }

    /** Whether each client connection to node 1 uses TLS, as the broker itself reports it ({@code true}/{@code false}). */
    public List<String> connectionsUsingTls() {
        return Arrays.stream(script("ctl", "1", "-q", "list_connections", "--no-table-headers", "ssl").split("\n"))
                .map(String::strip).filter(line -> !line.isEmpty()).toList();
    }

    /** Stops one node's Erlang VM gracefully (what an operator's {@code rabbitmqctl stop} does). */
    public void stopNode(int node) {
        script("stop-node", String.valueOf(node));
    }

    public void startNode(int node) {
        script("start-node", String.valueOf(node));
    }

    /** Per queue of vhost /: its leader and its members, as seen by a node that is running. */
    public Map<String, QuorumQueue> queues(int askNode) {
        Map<String, QuorumQueue> queues = new HashMap<>();
        for (String line : script("ctl", String.valueOf(askNode), "-q", "list_queues", "--no-table-headers", "name", "leader", "members").split("\n")) {
            String[] columns = line.split("\t");
            if (columns.length == 3) {
                List<String> members = Arrays.stream(columns[2].replaceAll("[\\[\\]]", "").split(",")).map(String::strip).toList();
                queues.put(columns[0], new QuorumQueue(columns[1], members));
            }
        }
        return queues;
    }

    /** {@code rabbitmqctl -q ARGS} on one node, its output. */
    public String ctl(int node, String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("ctl", String.valueOf(node), "-q"));
        all.addAll(List.of(args));
        return script(all.toArray(String[]::new));
    }

    /** {@code rabbitmq-queues -q ARGS} on one node, its output. */
    public String queuesCommand(int node, String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("queues", String.valueOf(node), "-q"));
        all.addAll(List.of(args));
        return script(all.toArray(String[]::new));
    }

    /** The number (1..3) of the node a queue's leader runs on. */
    public int leaderNode(String queue, int askNode) {
        String leader = queues(askNode).get(queue).leader();
        for (int node = 1; node <= NODES; node++) {
            if (nodeName(node).equals(leader)) {
                return node;
            }
        }
        throw new IllegalStateException("leader of " + queue + " is no cluster node: " + leader);
    }

    /** Stops every node; a private broker's data goes with it. */
    @Override
    public void close() {
        script("stop");
        if (env.containsKey("CLUSTER_DIR")) {
            FileSystemUtils.deleteRecursively(new File(env.get("CLUSTER_DIR")));
        }
    }

    public record QuorumQueue(String leader, List<String> members) {
    }

    private String script(String... args) {
        List<String> script = new java.util.ArrayList<>(namespace == null ? List.of() : namespace.command());
        script.add("scripts/rabbitmq-cluster");
        script.addAll(List.of(args));
        String[] command = script.toArray(String[]::new);
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
            builder.environment().putAll(env);
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(180, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command[0], e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        }
    }
}
