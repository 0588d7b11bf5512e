package io.eventflow.api;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A failure the client can act on, carried to the HTTP answer as an RFC 9457 problem body.
 */
public class ProblemException extends RuntimeException {

    private final int status;
    private final String title;
    private final String detail;
    private final Map<String, Object> extra;

    public ProblemException(int status, String title, String detail) {
        this(status, title, detail, Map.of());
    }

    public ProblemException(int status, String title, String detail, Map<String, Object> extra) {
        super(title + ": " + detail);
        this.status = status;
        this.title = title;
        this.detail = detail;
        this.extra = extra;
    }

    public int status() {
        return status;
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
