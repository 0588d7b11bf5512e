package io.eventflow.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collection;
import java.util.Optional;

import io.eventflow.api.ProblemException;
import io.eventflow.config.EventflowProperties;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpHeaders;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.server.resource.authentication.JwtGrantedAuthoritiesConverter;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.stereotype.Component;

/**
 * Who may post events: the ingest skips Spring Security's filter chain for speed (api/ApiGate), so it asks here. Once API
 * keys or bearer tokens are configured ({@link ApplicationExposure#ingestGuarded()}) a request needs an API key
 * ({@code Authorization: Bearer <key>} or {@code X-API-Key: <key>}) or a JWT with scope {@value #WRITE_SCOPE}, or comes
 * from the dashboard's simulator: the session of a form login with role {@value #WRITER_ROLE} and the CSRF token of
 * that session's cookie in {@code X-XSRF-TOKEN}, checked as Spring Security's CSRF filter does (the ingest skips it).
 * Refused before the body is read, so nothing of a refused request is published.
 */
@Component
public class IngestCredentials {

    public static final String WRITE_SCOPE = "events:write";
    /** The role of a dashboard login that may post events (its traffic simulator). */
    public static final String WRITER_ROLE = "writer";
    static final String CSRF_HEADER = "X-XSRF-TOKEN";
    static final String API_KEY_HEADER = "X-API-Key";
    private static final String BEARER = "Bearer ";
    private static final String CHALLENGE = "Bearer realm=\"eventflow\"";

    private final boolean guarded;
    private final ApiKeys keys;
    private final JwtDecoder tokens;
    private final JwtGrantedAuthoritiesConverter scopes = new JwtGrantedAuthoritiesConverter();
    private final HttpSessionSecurityContextRepository sessions = new HttpSessionSecurityContextRepository();
    private final CookieCsrfTokenRepository csrfTokens = ApplicationPortSecurity.csrfTokens();

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
            Authentication login = sessionLogin(request);
            if (login != null) {
                return admitLogin(login, request, response);
            }
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

    /** The user logged in with this request's session (the dashboard's form login), or null. */
    private Authentication sessionLogin(HttpServletRequest request) {
        if (request.getSession(false) == null) {
            return null;
        }
        SecurityContext context = sessions.loadDeferredContext(request).get();
        Authentication login = context == null ? null : context.getAuthentication();
        return login != null && login.isAuthenticated() && !(login instanceof AnonymousAuthenticationToken) ? login : null;
    }

    private boolean admitLogin(Authentication login, HttpServletRequest request, HttpServletResponse response) throws IOException {
        CsrfToken expected = csrfTokens.loadToken(request);
        String presented = request.getHeader(CSRF_HEADER);
        if (expected == null || presented == null || !MessageDigest.isEqual(
                expected.getToken().getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8))) {
            return refuse(response, 403, CHALLENGE, "Forbidden", "a post with a login session needs the CSRF token of cookie "
                    + ApplicationPortSecurity.CSRF_COOKIE + " in header " + CSRF_HEADER);
        }
        if (login.getAuthorities().stream().noneMatch(authority -> ("ROLE_" + WRITER_ROLE).equals(authority.getAuthority()))) {
            return refuse(response, 403, CHALLENGE, "Forbidden", "the login " + login.getName() + " may read but not post events: "
                    + "posting from the dashboard needs role " + WRITER_ROLE + " (eventflow.security.users." + login.getName() + ".roles)");
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
