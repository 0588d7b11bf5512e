package io.eventflow.ops;

import java.net.InetAddress;
import java.net.UnknownHostException;

import io.eventflow.config.EventflowProperties;
import org.springframework.boot.actuate.autoconfigure.web.server.ManagementPortType;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Where the management server (Hawtio, Jolokia, Prometheus, health) listens and whether it asks for a login:
 * it does once {@code eventflow.management.username/password} are given, and they must be given as soon as
 * {@code management.server.address} is anything but a loopback address (unset means every interface).
 */
record ManagementExposure(ManagementPortType portType, String address, boolean loopbackOnly,
                          EventflowProperties.Management login) {

    static ManagementExposure of(Environment environment) {
        Binder binder = Binder.get(environment);
        String address = binder.bind("management.server.address", String.class).orElse(null);
        EventflowProperties.Management login = binder.bind("eventflow.management",
                Bindable.of(EventflowProperties.Management.class))
                .orElseGet(() -> new EventflowProperties.Management(null, null));
        return new ManagementExposure(ManagementPortType.get(environment), address, isLoopback(address), login);
    }

    boolean loginRequired() {
        return login.hasCredentials();
    }

    /** Throws, with what to do, if this exposure would put Hawtio or Jolokia where anyone could use them. */
    void check() {
        if (portType == ManagementPortType.DISABLED) {
            return;
        }
        if (portType == ManagementPortType.SAME) {
            throw new ManagementExposureException(
                    "management.server.port is unset or equal to server.port, which would serve Hawtio and Jolokia "
                            + "on the application port",
                    "Give management.server.port a port of its own (default 8081), or -1 to turn management off.");
        }
        boolean half = (login.username() == null || login.username().isBlank())
                != (login.password() == null || login.password().isBlank());
        if (half) {
            throw new ManagementExposureException(
                    "only one of eventflow.management.username and eventflow.management.password is set",
                    "Set both (e.g. EVENTFLOW_MANAGEMENT_USERNAME and EVENTFLOW_MANAGEMENT_PASSWORD), or neither "
                            + "while management.server.address is a loopback address.");
        }
        if (!loopbackOnly && !login.hasCredentials()) {
            throw new ManagementExposureException(
                    "management.server.address is " + (address == null || address.isBlank() ? "unset (every interface)" : address)
                            + ", not a loopback address, and no login is configured: Hawtio and Jolokia, which can "
                            + "stop routes and invoke any MBean operation, would be open to the network",
                    "Set eventflow.management.username and eventflow.management.password (e.g. as the environment "
                            + "variables EVENTFLOW_MANAGEMENT_USERNAME and EVENTFLOW_MANAGEMENT_PASSWORD), or bind "
                            + "management to loopback: management.server.address=127.0.0.1.");
        }
    }

    private static boolean isLoopback(String address) {
        if (address == null || address.isBlank()) {
            return false;
        }
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new ManagementExposureException("management.server.address=" + address + " does not resolve",
                    "Give an IP address or a resolvable host name, e.g. 127.0.0.1.");
        }
    }
}
