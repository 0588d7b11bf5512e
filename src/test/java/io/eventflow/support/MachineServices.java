package io.eventflow.support;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Reads or sets this machine's own RabbitMQ node's settings and queues at runtime, for tests of the external mode
 * (Debian's package, as root: the machine CI runs on). Each call waits for the command to finish. Tests that stop a
 * server use servers of their own (support/RabbitMqCluster, PrivatePostgres), never the machine's.
 */
public final class MachineServices {

    private MachineServices() {
    }

    /** What {@code rabbitmqctl eval} prints for an Erlang expression on the machine's RabbitMQ node, trimmed. */
    public static String rabbitmqEval(String expression) {
        return rabbitmqctl(List.of("rabbitmqctl", "-q", "eval", expression)).trim();
    }

    /**
     * A queue's figures on the machine's RabbitMQ node as {@code rabbitmqctl list_queues} gives them, e.g.
     * {@code messages_unacknowledged} and {@code consumers}: what the broker itself counts. A quorum queue's figures
     * are refreshed on its tick, every 5 s: a consumer that subscribed a moment ago is not counted yet.
     */
    public static Map<String, Long> rabbitmqQueue(String vhost, String queue, String... fields) {
        List<String> command = new ArrayList<>(List.of(
                "rabbitmqctl", "-q", "list_queues", "--no-table-headers", "-p", vhost, "name"));
        command.addAll(List.of(fields));
        String output = rabbitmqctl(command);
        for (String line : output.split("\n")) {
            String[] columns = line.trim().split("\\s+");
            if (columns[0].equals(queue)) {
                Map<String, Long> figures = new HashMap<>();
                for (int i = 0; i < fields.length; i++) {
                    figures.put(fields[i], Long.parseLong(columns[i + 1]));
                }
                return figures;
            }
        }
        throw new IllegalStateException("no queue " + queue + " in vhost " + vhost + ": " + output);
    }

    /**
     * The consumers the channels of a vhost hold, as the channels themselves count them (live, unlike a queue's
     * figures): a consumer of a deleted queue is counted until its channel has processed the deletion.
     */
    public static long rabbitmqChannelConsumers(String vhost) {
        long consumers = 0;
        for (String line : rabbitmqctl(List.of("rabbitmqctl", "-q", "list_channels", "--no-table-headers", "vhost",
                "consumer_count")).split("\n")) {
            String[] columns = line.trim().split("\\s+");
            if (columns.length == 2 && columns[0].equals(vhost)) {
                consumers += Long.parseLong(columns[1]);
            }
        }
        return consumers;
    }

    private static String rabbitmqctl(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run rabbitmqctl", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        }
    }
}
