package io.eventflow.support;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Stops and starts this machine's own RabbitMQ and PostgreSQL for the fault tests of the external mode
 * (Debian's packages, as root: the machine CI runs on), and reads or sets the RabbitMQ node's settings at runtime.
 * Each call waits for the command to finish.
 */
public final class MachineServices {

    private MachineServices() {
    }

    public static void stopPostgres() {
        run("pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main stop -m fast");
    }

    public static void startPostgres() {
        run("pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start && pg_isready -t 30 -h 127.0.0.1");
    }

    public static void stopRabbitMq() {
        run("rabbitmqctl -q stop_app");
    }

    public static void startRabbitMq() {
        run("rabbitmqctl -q start_app && rabbitmqctl -q await_startup");
    }

    /** What {@code rabbitmqctl eval} prints for an Erlang expression on the machine's RabbitMQ node, trimmed. */
    public static String rabbitmqEval(String expression) {
        try {
            Process process = new ProcessBuilder("rabbitmqctl", "-q", "eval", expression).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes()).trim();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("rabbitmqctl eval " + expression + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run rabbitmqctl", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: rabbitmqctl eval " + expression, e);
        }
    }

    /**
     * A queue's figures on the machine's RabbitMQ node as {@code rabbitmqctl list_queues} gives them, e.g.
     * {@code messages_unacknowledged} and {@code consumers}: what the broker itself counts.
     */
    public static Map<String, Long> rabbitmqQueue(String vhost, String queue, String... fields) {
        List<String> command = new ArrayList<>(List.of(
                "rabbitmqctl", "-q", "list_queues", "--no-table-headers", "-p", vhost, "name"));
        command.addAll(List.of(fields));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
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
        } catch (IOException e) {
            throw new IllegalStateException("cannot run rabbitmqctl", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        }
    }

    private static void run(String command) {
        try {
            Process process = new ProcessBuilder("bash", "-c", command).inheritIO().start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("timed out: " + command);
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException("exit " + process.exitValue() + ": " + command);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run: " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + command, e);
        }
    }
}
