package io.eventflow.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.api.ApiHttpEngine;
import io.eventflow.api.ProblemException;
import io.eventflow.config.EventflowProperties;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * The way in of {@code POST /api/events} and {@code POST /events}, first of the servlet filters. It refuses a body
 * larger than {@code eventflow.ingest.max-body-bytes} with 413 before anything reads it (a body of undeclared length,
 * chunked, with 411), then hands the request straight to its route ({@link ApiHttpEngine#serveDirectly}).
 * <p>
 * The ingest is the one path that carries the load, so it skips what the rest of the application port goes through:
 * Spring MVC's dispatch, the security filter chain (the ingest needs no login) and the per-request HTTP observation
 * (the route's own timer, {@code camel_exchanges_total{routeId="ingest-events"}}, counts it).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class IngestGate implements Filter {

    private static final Set<String> INGEST_PATHS = Set.of("/api/events", "/events");

    private final int maxBytes;
    private final ApiHttpEngine engine;
    private final ObjectMapper json = new ObjectMapper();

    public IngestGate(EventflowProperties properties, ApiHttpEngine engine) {
        this.maxBytes = properties.ingest().maxBodyBytes();
        this.engine = engine;
    }

    /** {@code POST /api/events} or {@code POST /events}. */
    public static boolean isIngest(HttpServletRequest request) {
        return "POST".equals(request.getMethod()) && INGEST_PATHS.contains(request.getRequestURI());
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        if (!isIngest(request)) {
            chain.doFilter(request, response);
            return;
        }
        long length = request.getContentLengthLong();
        if (length > maxBytes) {
            refuse(response, new ProblemException(413, "Body too large",
                    "an event request is at most " + maxBytes + " bytes; send more events with count instead"));
        } else if (length < 0 && request.getHeader("Transfer-Encoding") != null) {
            // A body of unknown length would have to be read before it could be refused.
            refuse(response, new ProblemException(411, "Length required",
                    "send the event request with a Content-Length header, at most " + maxBytes + " bytes"));
        } else {
            if (request.getCharacterEncoding() == null) {
                // JSON is UTF-8 (RFC 8259); this filter runs before Spring's encoding filter would say so.
                request.setCharacterEncoding(StandardCharsets.UTF_8.name());
            }
            if (!engine.serveDirectly(request, response)) {
                chain.doFilter(request, response); // the routes are not started yet
            }
        }
    }

    private void refuse(HttpServletResponse response, ProblemException problem) throws IOException {
        response.setStatus(problem.status());
        response.setContentType("application/problem+json");
        // The rest of an oversized body is not read; closing the connection spares reading it.
        response.setHeader("Connection", "close");
        json.writeValue(response.getOutputStream(), problem.body());
    }
}
