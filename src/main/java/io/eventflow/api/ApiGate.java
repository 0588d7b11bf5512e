package io.eventflow.api;

import java.io.IOException;
import java.util.Set;

import io.eventflow.config.EventflowProperties;
import io.eventflow.security.BrowserHeaders;
import io.eventflow.security.IngestCredentials;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * The way in of the HTTP API on the application port, first of the servlet filters.
 * <ul>
 * <li>Until Eventflow is ready (and again while it shuts down) every API request is answered
 * {@code 503 Eventflow is not ready} with {@code Retry-After}, instead of a 404 from routes not started yet.</li>
 * <li>An ingest request ({@code POST /api/events}, {@code POST /events}) with a compressed body is refused with 415, one
 * larger than {@code eventflow.ingest.max-body-bytes} with 413 before anything reads it, one of undeclared length
 * (chunked) with 411. Then it goes straight to its route ({@link ApiHttpEngine#serveDirectly}): the ingest carries
 * the load, so it skips Spring MVC's dispatch, the security filter chain ({@link IngestCredentials} checks its API key or
 * token instead) and the per-request HTTP
 * observation (the route's own timer, {@code camel_exchanges_total{routeId="ingest-events"}}, counts it).</li>
 * <li>Every answer it gives itself carries the browser hardening headers ({@link BrowserHeaders}) the security chain
 * gives the others.</li>
 * </ul>
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class ApiGate implements Filter {

    private static final Set<String> INGEST_PATHS = Set.of("/api/events", "/events");

    private final int maxBytes;
    private final ApiHttpEngine engine;
    private final ApplicationAvailability availability;
    private final IngestCredentials credentials;

    public ApiGate(EventflowProperties properties, ApiHttpEngine engine, ApplicationAvailability availability,
                   IngestCredentials credentials) {
        this.maxBytes = properties.ingest().maxBodyBytes();
        this.engine = engine;
        this.availability = availability;
        this.credentials = credentials;
    }

    /** {@code POST /api/events} or {@code POST /events}, however the path is spelled ({@code /api/%65vents}). */
    public static boolean isIngest(HttpServletRequest request) {
        return "POST".equals(request.getMethod()) && INGEST_PATHS.contains(path(request));
    }

    /**
     * The request's path as the container resolved it: decoded and normalized, so an encoded or dot-segment spelling of
     * a path is that path (the raw request URI is neither).
     */
    static String path(HttpServletRequest request) {
        String pathInfo = request.getPathInfo();
        return pathInfo == null ? request.getServletPath() : request.getServletPath() + pathInfo;
    }

    private static boolean isApi(HttpServletRequest request) {
        String path = path(request);
        return path.startsWith("/api/") || INGEST_PATHS.contains(path);
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        if (!isApi(request)) {
            chain.doFilter(request, response);
            return;
        }
        if (isIngest(request) || availability.getReadinessState() != ReadinessState.ACCEPTING_TRAFFIC) {
            BrowserHeaders.writeTo(request, response); // answered here, without the security chain that writes them otherwise
        }
        if (availability.getReadinessState() != ReadinessState.ACCEPTING_TRAFFIC) {
            ProblemException.notReady().writeTo(response);
        } else if (!isIngest(request)) {
            chain.doFilter(request, response);
        } else {
            ingest(request, response, chain);
        }
    }

    private void ingest(HttpServletRequest request, HttpServletResponse response, FilterChain chain) throws IOException, ServletException {
        if (!credentials.admit(request, response)) {
            return; // refused with 401 or 403 before the body is read: nothing is published
        }
        String encoding = request.getHeader("Content-Encoding");
        long length = request.getContentLengthLong();
        if (encoding != null && !encoding.isBlank() && !encoding.trim().equalsIgnoreCase("identity")) {
            // Inflating would need its own size limit on the inflated bytes; an event request is small enough to send plain.
            refuse(response, new ProblemException(415, "Unsupported content encoding",
                    "send the event request uncompressed, without Content-Encoding " + encoding.trim() + "; it is at most " + maxBytes + " bytes"));
        } else if (length > maxBytes) {
            refuse(response, new ProblemException(413, "Body too large",
                    "an event request is at most " + maxBytes + " bytes; send more events with count instead"));
        } else if (length < 0 && request.getHeader("Transfer-Encoding") != null) {
            // A body of unknown length would have to be read before it could be refused.
            refuse(response, new ProblemException(411, "Length required",
                    "send the event request with a Content-Length header, at most " + maxBytes + " bytes"));
        } else if (!engine.serveDirectly(request, response)) {
            chain.doFilter(request, response); // the ingest route is stopped: Spring MVC answers
        }
    }

    private static void refuse(HttpServletResponse response, ProblemException problem) throws IOException {
        // The body is not read; closing the connection spares reading it.
        response.setHeader("Connection", "close");
        problem.writeTo(response);
    }
}
