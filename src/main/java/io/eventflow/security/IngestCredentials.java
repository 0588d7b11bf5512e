package io.eventflow.security;

import java.io.IOException;
import java.util.Collection;
import java.util.Optional;

import io.eventflow.api.ProblemException;
import io.eventflow.config.EventflowProperties;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpHeaders;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.server.resource.authentication.JwtGrantedAuthoritiesConverter;
import org.springframework.stereotype.Component;

/**
 * Who may post events: the ingest skips Spring Security's filter chain for speed (api/ApiGate), so it asks here. Once API
 * keys or bearer tokens are configured ({@link ApplicationExposure#ingestGuarded()}) a request needs an API key
 * ({@code Authorization: Bearer <key>} or {@code X-API-Key: <key>}) or a JWT with scope {@value #WRITE_SCOPE}.
 * Refused before the body is read, so nothing of a refused request is published.
 */
@Component
public class IngestCredentials {

    public static final String WRITE_SCOPE = "events:write";
    static final String API_KEY_HEADER = "X-API-Key";
    private static final String BEARER = "Bearer ";
    private static final String CHALLENGE = "Bearer realm=\"eventflow\"";

    private final boolean guarded;
    private final ApiKeys keys;
    private final JwtDecoder tokens;
    private final JwtGrantedAuthoritiesConverter scopes = new JwtGrantedAuthoritiesConverter();

    public IngestCredentials(EventflowProperties properties, Environment environment, Optional<JwtDecoder> tokens) {
        this.guarded = ApplicationExposure.of(environment).ingestGuarded();
        this.keys = new ApiKeys(properties.security().apiKeys());
        this.tokens = tokens.orElse(null);
    }

    /** True when the request may post events; otherwise the 401 or 403 problem is written and the caller stops. */
    public boolean admit(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!guarded) {
            return true;
        }
        String apiKey = request.getHeader(API_KEY_HEADER);
        String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
        String bearer = authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())
                ? authorization.substring(BEARER.length()).trim() : null;
        if (apiKey == null && bearer == null) {
            return refuse(response, 401, CHALLENGE, "Unauthorized", "send an API key as Authorization: Bearer <key> or "
                    + API_KEY_HEADER + ": <key>, or a bearer token with scope " + WRITE_SCOPE);
        }
        String presented = apiKey != null ? apiKey.trim() : bearer;
        if (!keys.isEmpty() && keys.accepts(presented)) {
            return true;
        }
        if (tokens == null || apiKey != null) {
            return refuse(response, 401, CHALLENGE + ", error=\"invalid_token\"", "Unauthorized",
                    "the API key is not one of the configured keys (or was revoked)");
        }
        Jwt jwt;
        try {
            jwt = tokens.decode(presented);
        } catch (JwtException refused) {
            return refuse(response, 401, CHALLENGE + ", error=\"invalid_token\"", "Unauthorized",
                    "the bearer token is neither a configured API key nor a valid token: " + refused.getMessage());
        }
        Collection<GrantedAuthority> granted = scopes.convert(jwt);
        if (granted.stream().noneMatch(authority -> ("SCOPE_" + WRITE_SCOPE).equals(authority.getAuthority()))) {
            return refuse(response, 403, CHALLENGE + ", error=\"insufficient_scope\", scope=\"" + WRITE_SCOPE + "\"",
                    "Forbidden", "the token is valid but lacks scope " + WRITE_SCOPE);
        }
        return true;
    }

    private static boolean refuse(HttpServletResponse response, int status, String challenge, String title, String detail)
            throws IOException {
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, challenge);
        // The body is not read; closing the connection spares reading it.
        response.setHeader(HttpHeaders.CONNECTION, "close");
        new ProblemException(status, title, detail).writeTo(response);
        return false;
    }
}
