package io.eventflow.security;

import java.util.List;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.web.header.HeaderWriter;
import org.springframework.security.web.header.writers.CacheControlHeadersWriter;
import org.springframework.security.web.header.writers.ContentSecurityPolicyHeaderWriter;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter.ReferrerPolicy;
import org.springframework.security.web.header.writers.XContentTypeOptionsHeaderWriter;
import org.springframework.security.web.header.writers.frameoptions.XFrameOptionsHeaderWriter;
import org.springframework.security.web.header.writers.frameoptions.XFrameOptionsHeaderWriter.XFrameOptionsMode;

/**
 * The browser hardening headers of the application port, written by Spring Security's own header writers: for the
 * answers that skip its filter chain (the ingest and the not-ready answers of api/ApiGate), the same set the chain
 * writes on every other answer ({@link ApplicationPortSecurity}).
 */
public final class BrowserHeaders {

    private static final List<HeaderWriter> WRITERS = List.of(
            new ContentSecurityPolicyHeaderWriter(ApplicationPortSecurity.CONTENT_SECURITY_POLICY),
            new XContentTypeOptionsHeaderWriter(),
            new ReferrerPolicyHeaderWriter(ReferrerPolicy.NO_REFERRER),
            new XFrameOptionsHeaderWriter(XFrameOptionsMode.DENY),
            new CacheControlHeadersWriter());

    private BrowserHeaders() {
    }

    public static void writeTo(HttpServletRequest request, HttpServletResponse response) {
        for (HeaderWriter writer : WRITERS) {
            writer.writeHeaders(request, response);
        }
    }
}
