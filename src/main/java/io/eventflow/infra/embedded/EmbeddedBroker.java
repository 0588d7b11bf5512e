package io.eventflow.infra.embedded;

import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import org.apache.qpid.server.SystemLauncher;
import org.apache.qpid.server.SystemLauncherListener;
import org.apache.qpid.server.model.AbstractConfigurationChangeListener;
import org.apache.qpid.server.model.Broker;
import org.apache.qpid.server.model.ConfigurationChangeListener;
import org.apache.qpid.server.model.ConfiguredObject;
import org.apache.qpid.server.model.Port;
import org.apache.qpid.server.model.Queue;
import org.apache.qpid.server.model.State;
import org.apache.qpid.server.model.SystemConfig;
import org.apache.qpid.server.model.VirtualHost;
import org.apache.qpid.server.model.VirtualHostNode;

/**
 * Qpid Broker-J in this JVM, speaking AMQP 0-9-1 on 127.0.0.1 only. Queues, exchanges, bindings and
 * persistent messages live in a Berkeley DB JE store under the data dir, so they survive a restart or a kill.
 * (BDB rather than Qpid's Derby store: Derby commits one message at a time, about 300 confirms/s here;
 * BDB groups concurrent commits, about 2,400/s.)
 */
final class EmbeddedBroker implements AutoCloseable {

    static final String VIRTUAL_HOST = "eventflow";
    static final String USERNAME = "eventflow";
    private static final String INITIAL_CONFIG = "qpid-initial-config.json";
    private static final String SYSTEM_PROPERTIES = "qpid-system.properties";

    private final SystemLauncher launcher;
    private final Broker<?> broker;
    private final int port;
    private final String password;
    private final Path directory;

    private EmbeddedBroker(SystemLauncher launcher, Broker<?> broker, int port, String password, Path directory) {
        this.launcher = launcher;
        this.broker = broker;
        this.port = port;
        this.password = password;
        this.directory = directory;
    }

    static EmbeddedBroker start(Path directory, int requestedPort) throws Exception {
        Files.createDirectories(directory);
        String password = randomPassword();

        Map<String, String> context = new HashMap<>();
        // Qpid writes under QPID_WORK, which defaults to ./work: keep it inside our data dir.
        context.put("QPID_WORK", directory.toString());
        context.put(SystemConfig.QPID_WORK_DIR, directory.toString());
        context.put("eventflow.broker.port", Integer.toString(requestedPort));
        context.put("eventflow.broker.username", USERNAME);
        context.put("eventflow.broker.password", password);
        context.put("eventflow.broker.store_path", directory.resolve("bdb").toString());
        // Qpid sizes a virtual host's connection threads for a server (at least 64 and 8 selectors); Eventflow's own
        // two connections need a few. 64 idle threads cost their stacks and the malloc arenas under the 512 MB target.
        int ioThreads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        context.put("virtualhost.connectionThreadPool.size", Integer.toString(ioThreads));
        context.put("virtualhost.connectionThreadPool.numberOfSelectors", "1");

        Map<String, Object> attributes = new HashMap<>();
        attributes.put(SystemConfig.TYPE, "Memory");
        // Qpid opens it with new URL(...): a resource URL works from the IDE and from inside the fat jar.
        attributes.put(SystemConfig.INITIAL_CONFIGURATION_LOCATION,
                EmbeddedBroker.class.getResource(INITIAL_CONFIG).toExternalForm());
        // Without it Qpid reads "classpath:system.properties", a URL scheme only its own launcher registers.
        attributes.put(SystemConfig.INITIAL_SYSTEM_PROPERTIES_LOCATION,
                EmbeddedBroker.class.getResource(SYSTEM_PROPERTIES).toExternalForm());
        attributes.put(SystemConfig.STARTUP_LOGGED_TO_SYSTEM_OUT, false);
        attributes.put(SystemConfig.CONTEXT, context);

        AtomicReference<SystemConfig<?>> systemConfig = new AtomicReference<>();
        SystemLauncher launcher = new SystemLauncher(new SystemLauncherListener.DefaultSystemLauncherListener() {
            @Override
            public void onContainerResolve(SystemConfig<?> resolved) {
                systemConfig.set(resolved);
            }
        });
        try {
            launcher.startup(attributes);
            Broker<?> broker = (Broker<?>) systemConfig.get().getContainer(Broker.class);
            int port = broker.getPorts().stream()
                    .filter(p -> "AMQP".equals(p.getName()))
                    .mapToInt(Port::getBoundPort)
                    .findFirst().orElse(-1);
            if (broker.getState() != State.ACTIVE || port <= 0) {
                throw new IllegalStateException("Qpid broker did not come up (state " + broker.getState()
                        + ", AMQP port " + port + "); see its log lines above, data dir " + directory);
            }
            leaveShutdownToTheContext(broker);
            return new EmbeddedBroker(launcher, broker, port, password, directory);
        } catch (Exception | Error e) {
            launcher.shutdown();
            throw e;
        }
    }

    int port() {
        return port;
    }

    String password() {
        return password;
    }

    Path directory() {
        return directory;
    }

    /**
     * Calls {@code recreated} with a queue's name, on a broker thread, each time a queue of that name is declared
     * after another one of that name existed (deleted and declared again). Qpid drops the consumers of a deleted queue
     * without the basic.cancel RabbitMQ sends, so a client stays subscribed to the deleted queue and never learns to
     * consume from the new one. A queue is told apart from its predecessor by its id, so the order in which Qpid
     * reports the removal and the addition does not matter; a virtual host Qpid creates later is watched too.
     */
    void onQueueRecreated(Consumer<String> recreated) {
        Map<String, UUID> lastSeen = new ConcurrentHashMap<>();
        ConfigurationChangeListener queues = new AbstractConfigurationChangeListener() {
            @Override
            public void childAdded(ConfiguredObject<?> host, ConfiguredObject<?> child) {
                if (child instanceof Queue<?> queue) {
                    UUID previous = lastSeen.put(queue.getName(), queue.getId());
                    if (previous != null && !previous.equals(queue.getId())) {
                        recreated.accept(queue.getName());
                    }
                }
            }
        };
        ConfigurationChangeListener hosts = new AbstractConfigurationChangeListener() {
            @Override
            public void childAdded(ConfiguredObject<?> node, ConfiguredObject<?> child) {
                if (child instanceof VirtualHost<?> host) {
                    watch(host, queues, lastSeen);
                }
            }
        };
        for (VirtualHostNode<?> node : broker.getChildren(VirtualHostNode.class)) {
            node.addChangeListener(hosts);
            if (node.getVirtualHost() != null) {
                watch(node.getVirtualHost(), queues, lastSeen);
            }
        }
    }

    private static void watch(VirtualHost<?> host, ConfigurationChangeListener queues, Map<String, UUID> lastSeen) {
        host.addChangeListener(queues);
        for (Queue<?> queue : host.getChildren(Queue.class)) {
            lastSeen.putIfAbsent(queue.getName(), queue.getId());
        }
    }

    /** How many consumers the broker counts on a queue, or -1 when no queue has that name. */
    int consumers(String queueName) {
        for (VirtualHostNode<?> node : broker.getChildren(VirtualHostNode.class)) {
            VirtualHost<?> host = node.getVirtualHost();
            Queue<?> queue = host == null ? null : host.getChildByName(Queue.class, queueName);
            if (queue != null) {
                return queue.getConsumerCount();
            }
        }
        return -1;
    }

    @Override
    public void close() {
        launcher.shutdown();
    }

    /**
     * Qpid adds a JVM shutdown hook of its own, which on SIGTERM closed the broker while Camel was still stopping its
     * consumers (a stack trace from each). The application context stops the broker after Camel instead; if a future
     * Qpid renames the field, its hook stays and only the shutdown is noisier.
     */
    private static void leaveShutdownToTheContext(Broker<?> broker) {
        for (Class<?> type = broker.getClass(); type != null; type = type.getSuperclass()) {
            try {
                Field hook = type.getDeclaredField("_shutdownHook");
                hook.setAccessible(true);
                Runtime.getRuntime().removeShutdownHook((Thread) hook.get(broker));
                return;
            } catch (NoSuchFieldException e) {
                // look in the superclass
            } catch (ReflectiveOperationException | RuntimeException e) {
                return;
            }
        }
    }

    private static String randomPassword() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
