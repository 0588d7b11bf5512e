package io.eventflow.support;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * A virtual host of the test's own on the machine's RabbitMQ (guest may use it), deleted at the end with its
 * queues, so the test shares no queue with the suite's vhost /.
 */
public final class OwnVhost implements AutoCloseable {

    private final String name;

    private OwnVhost(String name) {
        this.name = name;
    }

    public static OwnVhost create(String name) {
        rabbitmqctl("delete_vhost", name);
        rabbitmqctl("add_vhost", name);
        rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*");
        return new OwnVhost(name);
    }

    public String name() {
        return name;
    }

    @Override
    public void close() {
        rabbitmqctl("delete_vhost", name);
    }

    /** Runs rabbitmqctl on the machine's node; delete_vhost of a missing vhost is not an error here. */
    private static void rabbitmqctl(String... args) {
        String[] command = new String[args.length + 2];
        command[0] = "rabbitmqctl";
        command[1] = "-q";
        System.arraycopy(args, 0, command, 2, args.length);
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || (process.exitValue() != 0 && !"delete_vhost".equals(args[0]))) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run rabbitmqctl", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        }
    }
}
