package io.eventflow.security;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;

import io.eventflow.config.EventflowProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.util.StringUtils;

/**
 * Where the application port (ingest, dashboard, read API) listens and what it asks for. Posting events needs an API key
 * or a bearer token once either is configured; reading needs a login or a bearer token once either is configured. Both
 * must be configured as soon as {@code server.address} is anything but a loopback address (unset means every interface):
 * the zero-install default stays open on loopback only.
 */
public record ApplicationExposure(String address, boolean loopbackOnly, EventflowProperties.Security security,
                                  boolean bearerTokens) {

    static final String JWT = "spring.security.oauth2.resourceserver.jwt.";

    public static ApplicationExposure of(Environment environment) {
        Binder binder = Binder.get(environment);
        String address = binder.bind("server.address", String.class).orElse(null);
        EventflowProperties.Security security = binder.bind("eventflow.security", Bindable.of(EventflowProperties.Security.class))
                .orElseGet(() -> new EventflowProperties.Security(Map.of(), Map.of()));
        boolean bearer = StringUtils.hasText(environment.getProperty(JWT + "issuer-uri"))
                || StringUtils.hasText(environment.getProperty(JWT + "jwk-set-uri"))
                || StringUtils.hasText(environment.getProperty(JWT + "public-key-location"));
        return new ApplicationExposure(address, isLoopback(address), security, bearer);
    }

    /** Whether {@code POST /api/events} asks for an API key or a bearer token. */
    public boolean ingestGuarded() {
        return !security.apiKeys().isEmpty() || bearerTokens;
    }

    /** Whether the dashboard and the read API ask for a login or a bearer token (and show secrets only to role secrets). */
    public boolean readsGuarded() {
        return !security.users().isEmpty() || bearerTokens;
    }

    /** Throws, with what to do, if this exposure would open the ingest or the secret words to the network. */
    void check() {
        security.apiKeys().forEach((name, hash) -> {
            if (hash == null || !ApiKeys.SHA256_HEX.matcher(hash).matches()) {
                throw new ApplicationExposureException("eventflow.security.api-keys." + name + " is not a SHA-256 hash "
                        + "(64 hexadecimal digits)", "Configure the hash of the key, never the key itself: "
                        + "printf %s \"$KEY\" | sha256sum | cut -d' ' -f1");
            }
        });
        security.users().forEach((name, user) -> {
            if (user == null || user.password() == null || !user.password().startsWith("{")) {
                throw new ApplicationExposureException("eventflow.security.users." + name + ".password is not a password "
                        + "hash with its {id} prefix", "Configure a hash such as {bcrypt}$2a$10$..., never the password "
                        + "itself: htpasswd -bnBC 10 '' \"$PASSWORD\" | tr -d ':\\n' | sed 's/^/{bcrypt}/'");
            }
        });
        if (loopbackOnly || (ingestGuarded() && readsGuarded())) {
            return;
        }
        String missing = !ingestGuarded() && !readsGuarded() ? "no API key, login or bearer token is configured"
                : !ingestGuarded() ? "no API key or bearer token is configured for the ingest"
                : "no login or bearer token is configured for the dashboard and the read API";
        throw new ApplicationExposureException(
                "server.address is " + (StringUtils.hasText(address) ? address : "unset (every interface)")
                        + ", not a loopback address, and " + missing + ": anyone on the network could post events or "
                        + "read the decrypted secret words",
                "Set eventflow.security.api-keys.<name> (the SHA-256 of a key) and eventflow.security.users.<name>.password "
                        + "(a {bcrypt} hash) with .roles, or spring.security.oauth2.resourceserver.jwt.issuer-uri (or "
                        + "jwk-set-uri) for bearer tokens; or bind to loopback: server.address=127.0.0.1.");
    }

    private static boolean isLoopback(String address) {
        if (!StringUtils.hasText(address)) {
            return false;
        }
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new ApplicationExposureException("server.address=" + address + " does not resolve",
                    "Give an IP address or a resolvable host name, e.g. 127.0.0.1.");
        }
    }
}
