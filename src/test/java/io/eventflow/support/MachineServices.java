package io.eventflow.support;

import java.io.IOException;
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
