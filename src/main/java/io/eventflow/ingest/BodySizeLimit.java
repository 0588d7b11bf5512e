package io.eventflow.ingest;

import java.io.IOException;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.api.ProblemException;
import io.eventflow.config.EventflowProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses an ingest request whose body is larger than {@code eventflow.ingest.max-body-bytes} with 413, before
 * anything reads it; a body of undeclared length (chunked) is refused with 411.
 */
@Component
public class BodySizeLimit extends OncePerRequestFilter {

    private static final Set<String> INGEST_PATHS = Set.of("/api/events", "/events");

    private final int maxBytes;
    private final ObjectMapper json = new ObjectMapper();

    public BodySizeLimit(EventflowProperties properties) {
        this.maxBytes = properties.ingest().maxBodyBytes();
    }

    /** {@code POST /api/events} or {@code POST /events}. */
    public static boolean isIngest(HttpServletRequest request) {
        return "POST".equals(request.getMethod()) && INGEST_PATHS.contains(request.getRequestURI());
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !isIngest(request);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        long length = request.getContentLengthLong();
        if (length > maxBytes) {
            refuse(response, new ProblemException(413, "Body too large",
                    "an event request is at most " + maxBytes + " bytes; send more events with count instead"));
        } else if (length < 0 && request.getHeader("Transfer-Encoding") != null) {
            // A body of unknown length would have to be read before it could be refused.
            refuse(response, new ProblemException(411, "Length required",
                    "send the event request with a Content-Length header, at most " + maxBytes + " bytes"));
        } else {
            chain.doFilter(request, response);
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
