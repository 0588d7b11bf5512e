package io.eventflow.support;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The three-node RabbitMQ cluster of {@code scripts/rabbitmq-cluster} on this machine's loopback (nodes
 * ef-rabbit1..3@localhost), for the external mode's cluster tests. The machine's own node is never touched.
 */
public final class RabbitMqCluster implements AutoCloseable {

    public static final int NODES = 3;

    private final String addresses;

    private RabbitMqCluster(String addresses) {
        this.addresses = addresses;
    }

    /** Starts (or finds running) the three nodes, clustered. */
    public static RabbitMqCluster start() {
        String output = script("start").strip();
        return new RabbitMqCluster(output.substring(output.lastIndexOf('\n') + 1));
    }

    /** {@code spring.rabbitmq.addresses}: every node, {@code 127.0.0.1:5681,...}. */
    public String addresses() {
        return addresses;
    }

    public static String nodeName(int node) {
        return "ef-rabbit" + node + "@localhost";
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

    /** Stops all three nodes. */
    @Override
    public void close() {
        script("stop");
    }

    public record QuorumQueue(String leader, List<String> members) {
    }

    private static String script(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "scripts/rabbitmq-cluster";
        System.arraycopy(args, 0, command, 1, args.length);
        try {
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
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
