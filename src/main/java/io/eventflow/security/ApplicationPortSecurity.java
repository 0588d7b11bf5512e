package io.eventflow.security;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.eventflow.api.ProblemException;
import io.eventflow.config.EventflowProperties;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpHeaders;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.csrf.CsrfTokenRequestAttributeHandler;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter.ReferrerPolicy;
import org.springframework.stereotype.Component;

/**
 * The application port's rules besides the ingest ({@link IngestCredentials}). Every answer carries a Content-Security-
 * Policy without inline script or style, nosniff, frame-ancestors 'none' and no referrer; no CORS. Once logins or bearer
 * tokens are configured ({@link ApplicationExposure#readsGuarded()}) the dashboard and the read API need one: a form login
 * (the page, its stream) or HTTP Basic for a user, or a JWT with scope {@value #READ_SCOPE}; the API docs and the login
 * page stay open. Which readers see secrets is {@link ReaderAccess}.
 */
@Component
public class ApplicationPortSecurity {

    public static final String READ_SCOPE = "events:read";
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'";
    // Other than the management port's XSRF-TOKEN: a browser shares cookies between the ports of one host.
    static final String CSRF_COOKIE = "EVENTFLOW-XSRF";
    private static final String[] OPEN = {"/login.html", "/login.js", "/style.css", "/error", "/api/docs",
            "/api/openapi.json", "/api-docs.html", "/api-docs.js", "/webjars/**"};

    private final ApplicationExposure exposure;
    private final EventflowProperties.Security settings;
    private final boolean bearerTokens;

    public ApplicationPortSecurity(Environment environment, EventflowProperties properties, Optional<JwtDecoder> tokens) {
        this.exposure = ApplicationExposure.of(environment);
        this.settings = properties.security();
        this.bearerTokens = tokens.isPresent();
    }

    /** Applies the rules to the application port's chain (io.eventflow.ops.OpsSecurity), which the ingest bypasses. */
    public void configure(HttpSecurity http) throws Exception {
        http.headers(headers -> headers
                        .contentSecurityPolicy(csp -> csp.policyDirectives(CONTENT_SECURITY_POLICY))
                        .referrerPolicy(referrer -> referrer.policy(ReferrerPolicy.NO_REFERRER)))
                .cors(cors -> cors.disable())
                .requestCache(cache -> cache.disable())
                .addFilterAfter(new ReaderAccess(exposure.readsGuarded()), AuthorizationFilter.class);
        if (!exposure.readsGuarded()) {
            // No login, no session, no cookie on this port: nothing a forged request could ride on.
            http.authorizeHttpRequests(requests -> requests.anyRequest().permitAll())
                    .csrf(csrf -> csrf.disable())
                    .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS));
            return;
        }
        http.authorizeHttpRequests(requests -> requests
                        .requestMatchers(OPEN).permitAll()
                        .anyRequest().access((login, context) -> new AuthorizationDecision(mayRead(login.get()))))
                .exceptionHandling(errors -> errors
                        .authenticationEntryPoint(this::loginRequired)
                        .accessDeniedHandler((request, response, denied) -> new ProblemException(403, "Forbidden",
                                "this login or token may not read this; a token needs scope " + READ_SCOPE).writeTo(response)));
        CsrfTokenRequestAttributeHandler plainToken = new CsrfTokenRequestAttributeHandler();
        plainToken.setCsrfRequestAttributeName(null); // load the token on every request, so the login page finds the cookie
        http.csrf(csrf -> csrf.csrfTokenRepository(csrfTokens()).csrfTokenRequestHandler(plainToken));
        if (!settings.users().isEmpty()) {
            http.userDetailsService(users())
                    .formLogin(form -> form.loginPage("/login.html").loginProcessingUrl("/login")
                            .defaultSuccessUrl("/", true).failureUrl("/login.html?error"))
                    .httpBasic(basic -> basic.authenticationEntryPoint(this::loginRequired))
                    .logout(logout -> logout.logoutSuccessUrl("/login.html?logout"));
        }
        if (bearerTokens) {
            http.oauth2ResourceServer(server -> server.jwt(Customizer.withDefaults())
                    .authenticationEntryPoint(this::loginRequired));
        }
    }

    /** The CSRF tokens of this port, in cookie {@value #CSRF_COOKIE} (the page's script sends it back as X-XSRF-TOKEN). */
    static CookieCsrfTokenRepository csrfTokens() {
        CookieCsrfTokenRepository cookie = CookieCsrfTokenRepository.withHttpOnlyFalse();
        cookie.setCookieName(CSRF_COOKIE);
        return cookie;
    }

    /** A login of a user, or a token meant for reading (scope {@value #READ_SCOPE}). */
    private static boolean mayRead(Authentication login) {
        if (login == null || !login.isAuthenticated() || login instanceof AnonymousAuthenticationToken) {
            return false;
        }
        return !(login instanceof JwtAuthenticationToken)
                || login.getAuthorities().stream().anyMatch(authority -> ("SCOPE_" + READ_SCOPE).equals(authority.getAuthority()));
    }

    private InMemoryUserDetailsManager users() {
        return new InMemoryUserDetailsManager(settings.users().entrySet().stream()
                .<UserDetails>map(user -> User.withUsername(user.getKey())
                        .password(user.getValue().password())
                        .roles(user.getValue().roles().toArray(String[]::new))
                        .build())
                .toList());
    }

    /** A browser asking for a page goes to the login page; any other request gets the 401 problem and its challenges. */
    private void loginRequired(HttpServletRequest request, HttpServletResponse response, AuthenticationException refused)
            throws IOException {
        String accept = request.getHeader(HttpHeaders.ACCEPT);
        if (!settings.users().isEmpty() && "GET".equals(request.getMethod()) && accept != null && accept.contains("text/html")) {
            response.sendRedirect(request.getContextPath() + "/login.html");
            return;
        }
        List<String> challenges = new ArrayList<>();
        if (!settings.users().isEmpty()) {
            challenges.add("Basic realm=\"eventflow\"");
        }
        if (bearerTokens) {
            challenges.add(refused instanceof OAuth2AuthenticationException
                    ? "Bearer realm=\"eventflow\", error=\"invalid_token\"" : "Bearer realm=\"eventflow\"");
        }
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, String.join(", ", challenges));
        new ProblemException(401, "Unauthorized", refused instanceof OAuth2AuthenticationException
                ? "the bearer token is not valid: " + refused.getMessage()
                : "log in (the dashboard's login page or HTTP Basic) or send a bearer token with scope " + READ_SCOPE)
                .writeTo(response);
    }
}
