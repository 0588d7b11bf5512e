package io.eventflow.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Talks to one Eventflow HTTP port the way a browser running Hawtio does: Jolokia requests carry the XSRF-TOKEN
 * cookie back as X-XSRF-TOKEN, and an optional HTTP basic login.
 */
final class ManagementClient {

    private final HttpClient client = HttpClient.newHttpClient();
    private final int port;
    private final String base;
    private final String authorization;

    private ManagementClient(int port, String username, String password) {
        this.port = port;
        this.base = "http://127.0.0.1:" + port;
        this.authorization = username == null ? null
                : "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static ManagementClient on(int port) {
        return new ManagementClient(port, null, null);
    }

    ManagementClient withLogin(String username, String password) {
        return new ManagementClient(port, username, password);
    }

    HttpResponse<String> get(String path) {
        return send(request(path).GET().build());
    }

    /** A Jolokia read, with the XSRF token the console page hands out. */
    HttpResponse<String> jolokiaRead(String mbean, String attribute) {
        String token = xsrfToken();
        String path = "/actuator/jolokia/read/" + mbean.replace("\"", "%22")
                + "/" + attribute;
        return send(request(path).header("Cookie", "XSRF-TOKEN=" + token).header("X-XSRF-TOKEN", token).GET().build());
    }

    HttpResponse<String> jolokiaReadWithoutToken(String mbean, String attribute) {
        String path = "/actuator/jolokia/read/" + mbean.replace("\"", "%22")
                + "/" + attribute;
        return get(path);
    }

    /** A JSON POST (an actuator write operation), with the XSRF token the console page hands out. */
    HttpResponse<String> post(String path, String json) {
        String token = xsrfToken();
        return send(request(path).header("Cookie", "XSRF-TOKEN=" + token).header("X-XSRF-TOKEN", token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    String xsrfToken() {
        return get("/actuator/hawtio/").headers().allValues("Set-Cookie").stream()
                .filter(cookie -> cookie.startsWith("XSRF-TOKEN="))
                .map(cookie -> cookie.substring("XSRF-TOKEN=".length(), cookie.indexOf(';')))
                .findFirst()
                .orElseThrow(() -> new AssertionError("the console page set no XSRF-TOKEN cookie"));
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path));
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return builder;
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
