package io.eventflow.ops;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import io.eventflow.api.ApiGate;
import io.eventflow.api.ProblemException;
import io.eventflow.security.ApplicationPortSecurity;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.actuate.autoconfigure.endpoint.web.WebEndpointProperties;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.WebSecurityCustomizer;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.csrf.CsrfException;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.security.web.csrf.CsrfTokenRequestAttributeHandler;
import org.springframework.security.web.header.HeaderWriterFilter;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;
import org.springframework.web.context.WebApplicationContext;
import org.springframework.web.context.support.WebApplicationContextUtils;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Two worlds on two ports. The management server (Hawtio, Jolokia, Prometheus, health) asks for a login when
 * {@link ManagementExposure#loginRequired()}; the application port follows {@link ApplicationPortSecurity}
 * and answers 404 for every management and Hawtio path, because Hawtio's auto-configuration also registers
 * its console and servlets in the application context.
 */
@Configuration(proxyBeanMethods = false)
class OpsSecurity {

    @Bean
    ManagementExposure managementExposure(Environment environment) {
        return ManagementExposure.of(environment);
    }

    @Bean
    @Order(1)
    SecurityFilterChain managementServer(HttpSecurity http, ManagementExposure exposure) throws Exception {
        http.securityMatcher(OpsSecurity::servedByManagementServer);
        if (exposure.loginRequired()) {
            http.authorizeHttpRequests(requests -> requests
                            // Probes and the up/down of each component, for orchestrators that hold no password.
                            .requestMatchers(HttpMethod.GET, "/actuator/health", "/actuator/health/**").permitAll()
                            // A refused request's own status (403 for a missing XSRF token), not a 401 for /error.
                            .requestMatchers("/error").permitAll()
                            .anyRequest().authenticated())
                    .httpBasic(basic -> basic.authenticationEntryPoint(OpsSecurity::loginRequired));
        } else {
            http.authorizeHttpRequests(requests -> requests.anyRequest().permitAll());
        }
        http.exceptionHandling(errors -> errors.accessDeniedHandler(OpsSecurity::forbidden));
        // Hawtio sends the XSRF-TOKEN cookie back as X-XSRF-TOKEN; a page on another site can't, so it can't make
        // the operator's browser invoke a Jolokia operation, not even with a GET (Jolokia executes on GET too).
        CsrfTokenRequestAttributeHandler plainToken = new CsrfTokenRequestAttributeHandler();
        plainToken.setCsrfRequestAttributeName(null); // load the token on every request, so the cookie is always set
        http.csrf(csrf -> csrf
                .csrfTokenRepository(CookieCsrfTokenRepository.withHttpOnlyFalse())
                .csrfTokenRequestHandler(plainToken)
                // Without credentials where a login is required the answer is a 401 anyway: say that, not 403.
                .requireCsrfProtectionMatcher(request -> needsCsrfToken(request)
                        && !(exposure.loginRequired() && request.getHeader(HttpHeaders.AUTHORIZATION) == null)));
        return http.build();
    }

    @Bean
    @Order(2)
    SecurityFilterChain applicationServer(HttpSecurity http, WebEndpointProperties endpoints, ApplicationPortSecurity rules)
            throws Exception {
        // The ingest POSTs skip Spring Security (its dozen filters were a measurable share of a one-event request's CPU):
        // ApiGate asks IngestCredentials instead.
        http.securityMatcher(request -> !ApiGate.isIngest(request))
                .addFilterBefore(new NotFound(managementPaths(endpoints.getBasePath())), HeaderWriterFilter.class);
        rules.configure(http);
        return http.build();
    }

    /**
     * A request the firewall refuses as malformed (an encoded or doubled slash, a dot segment, ...) is the client's
     * error: 400 problem JSON on both ports, not the 500 Spring Security's default rethrow turns into.
     */
    @Bean
    WebSecurityCustomizer malformedRequests() {
        return web -> web.requestRejectedHandler(OpsSecurity::malformedRequest);
    }

    static void malformedRequest(HttpServletRequest request, HttpServletResponse response,
                                         RequestRejectedException rejected) throws IOException {
        new ProblemException(400, "Malformed request",
                "the request path is not accepted: no encoded or doubled slashes, dot segments or needlessly encoded "
                        + "characters").writeTo(response);
    }

    /** 401 problem JSON, with the Basic challenge a browser (Hawtio's page) answers with its login prompt. */
    static void loginRequired(HttpServletRequest request, HttpServletResponse response, AuthenticationException refused)
            throws IOException {
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Basic realm=\"Realm\"");
        new ProblemException(401, "Unauthorized", "log in with the management username and password").writeTo(response);
    }

    /** 403 problem JSON: in practice a request without the console's XSRF token. */
    static void forbidden(HttpServletRequest request, HttpServletResponse response, AccessDeniedException refused)
            throws IOException {
        new ProblemException(403, "Forbidden", refused instanceof CsrfException
                ? "send the XSRF-TOKEN cookie's value as header X-XSRF-TOKEN (the console does)" : "not allowed").writeTo(response);
    }

    /**
     * No observation (timer and span) around each of the chains' filters for every request: it cost more than the filters
     * themselves. Logins and authorization decisions are still observed; http.server.requests still times each request.
     */
    @Bean
    SecurityObservationSettings securityObservationSettings() {
        return SecurityObservationSettings.withDefaults().shouldObserveRequests(false).build();
    }

    /** The configured login, its password kept only as a hash; no user at all without one (and no generated password). */
    @Bean
    UserDetailsService managementUsers(ManagementExposure exposure) {
        if (!exposure.loginRequired()) {
            return new InMemoryUserDetailsManager();
        }
        PasswordEncoder encoder = PasswordEncoderFactories.createDelegatingPasswordEncoder();
        return new InMemoryUserDetailsManager(User.withUsername(exposure.login().username())
                .password(encoder.encode(exposure.login().password()))
                .roles("OPERATOR")
                .build());
    }

    /**
     * What must 404 on the application port: the actuator's base path, under which Hawtio registers its console,
     * {@code auth/*}, {@code user} and {@code keycloak/*} in the application context too (checked with curl on
     * Hawtio 4.3.0), and Hawtio's and Jolokia's own names in case the base path is the root.
     */
    static List<String> managementPaths(String basePath) {
        List<String> paths = new ArrayList<>(List.of("/hawtio", "/hawtio/**", "/jolokia", "/jolokia/**"));
        if (!basePath.isEmpty() && !basePath.equals("/")) {
            paths.add(basePath);
            paths.add(basePath + "/**");
        }
        return paths;
    }

    static boolean servedByManagementServer(HttpServletRequest request) {
        WebApplicationContext context = WebApplicationContextUtils.getWebApplicationContext(request.getServletContext());
        return WebServerApplicationContext.hasServerNamespace(context, "management");
    }

    private static final RequestMatcher UNSAFE_METHOD = request -> !switch (request.getMethod()) {
        case "GET", "HEAD", "OPTIONS", "TRACE" -> true;
        default -> false;
    };

    private static boolean needsCsrfToken(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return UNSAFE_METHOD.matches(request) || path.startsWith("/actuator/jolokia")
                || path.startsWith("/actuator/hawtio/jolokia");
    }

    /** 404 on the application port for what only the management port serves. */
    private static final class NotFound extends OncePerRequestFilter {

        private final RequestMatcher managementPaths;

        NotFound(List<String> paths) {
            managementPaths = new OrRequestMatcher(paths.stream()
                    .<RequestMatcher>map(PathPatternRequestMatcher.withDefaults()::matcher)
                    .toList());
        }

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            if (managementPaths.matches(request)) {
                new ProblemException(404, "Not Found", "nothing is served at this path").writeTo(response);
                return;
            }
            chain.doFilter(request, response);
        }
    }
}
