package io.eventflow.api;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletResponse;

/**
 * A failure the client can act on, carried to the HTTP answer as an RFC 9457 problem body: the one place Eventflow's
 * problem answers are built, whether a route answers it (routes/errors.camel.yaml), a servlet filter or the REST
 * routes' pool ({@link #writeTo}), or the metrics stream.
 */
public class ProblemException extends RuntimeException {

    /** What a busy refusal asks the client to wait: in-flight confirms drain well within a second. */
    public static final int BUSY_RETRY_AFTER_SECONDS = 1;
    /** What a refusal during start-up asks the client to wait: the routes start within seconds. */
    public static final int NOT_READY_RETRY_AFTER_SECONDS = 2;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int status;
    private final String title;
    private final String detail;
    private final Map<String, Object> extra;
    private final Integer retryAfter;

    public ProblemException(int status, String title, String detail) {
        this(status, title, detail, Map.of());
    }

    public ProblemException(int status, String title, String detail, Map<String, Object> extra) {
        this(status, title, detail, extra, null);
    }

    private ProblemException(int status, String title, String detail, Map<String, Object> extra, Integer retryAfter) {
        super(title + ": " + detail);
        this.status = status;
        this.title = title;
        this.detail = detail;
        this.extra = extra;
        this.retryAfter = retryAfter;
    }

    /**
     * Eventflow is at capacity and published nothing for this request: 503 (the server as a whole, not this client,
     * is over its bound) with {@code Retry-After}, and {@code accepted} 0 for clients that read it from any 503.
     */
    public static ProblemException busy(String detail) {
        return new ProblemException(503, "Eventflow is busy", detail + "; nothing was published, send the request again in "
                + BUSY_RETRY_AFTER_SECONDS + " s", Map.of("accepted", 0), BUSY_RETRY_AFTER_SECONDS);
    }

    /** Eventflow has not finished starting, or is shutting down: nothing was published, try again shortly. */
    public static ProblemException notReady() {
        return new ProblemException(503, "Eventflow is not ready", "it is starting up or shutting down; nothing was published, "
                + "send the request again in " + NOT_READY_RETRY_AFTER_SECONDS + " s", Map.of("accepted", 0), NOT_READY_RETRY_AFTER_SECONDS);
    }

    /** A 503 the client may retry after {@code retryAfterSeconds}: a bound of Eventflow's, not the client's fault. */
    public static ProblemException unavailable(String title, String detail, int retryAfterSeconds) {
        return new ProblemException(503, title, detail, Map.of(), retryAfterSeconds);
    }

    /** Something unexpected failed: a 500 that tells no internals, only {@code what} failed. */
    public static ProblemException internal(String what) {
        return new ProblemException(500, "Internal error", what + " failed; see the server log");
    }

    /** The body of the 500 the HTTP API's routes answer for anything unexpected (routes/errors.camel.yaml). */
    public static Map<String, Object> requestFailed() {
        return internal("the request").body();
    }

    /** Answers with this problem from outside a route (a servlet filter, the REST routes' pool). */
    public void writeTo(HttpServletResponse response) throws IOException {
        response.setStatus(status);
        response.setContentType("application/problem+json");
        if (retryAfter != null) {
            response.setHeader("Retry-After", String.valueOf(retryAfter));
        }
        JSON.writeValue(response.getOutputStream(), body());
    }

    public int status() {
        return status;
    }

    /** Seconds for the {@code Retry-After} header, or null when retrying the same request would not help. */
    public Integer retryAfter() {
        return retryAfter;
    }

    /** The problem body: {@code type}, {@code title}, {@code status}, {@code detail} and any extra members. */
    public Map<String, Object> body() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", title);
        body.put("status", status);
        body.put("detail", detail);
        body.putAll(extra);
        return body;
    }
}
