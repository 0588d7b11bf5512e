package io.eventflow.security;

import java.io.IOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.springboot.PlatformHttpMessage;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Whether the reader of a dashboard answer may see secret words and dead-letter reasons (which can quote a message's
 * body): anyone while reads ask for no login (the zero-install default on loopback), else role {@code secrets} or a
 * token with scope {@value #SECRETS_SCOPE}. Decided in the security filter chain, where the login is known, and carried
 * to the routes as a request attribute: they run on another thread, which Spring Security's context does not reach.
 */
public final class ReaderAccess extends OncePerRequestFilter {

    /** Shown instead of a secret word or a dead-letter reason the reader may not see: never a word of the list. */
    public static final String HIDDEN = "(hidden)";
    public static final String SECRETS_ROLE = "secrets";
    public static final String SECRETS_SCOPE = "events:secrets";
    static final String ATTRIBUTE = ReaderAccess.class.getName() + ".secrets";

    private final boolean readsGuarded;

    ReaderAccess(boolean readsGuarded) {
        this.readsGuarded = readsGuarded;
    }

    /** Whether the request that started this exchange may see secrets; false when it cannot tell. */
    public static boolean maySeeSecrets(Exchange exchange) {
        return exchange.getIn() instanceof PlatformHttpMessage message
                && Boolean.TRUE.equals(message.getRequest().getAttribute(ATTRIBUTE));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        request.setAttribute(ATTRIBUTE, !readsGuarded || seesSecrets(SecurityContextHolder.getContext().getAuthentication()));
        chain.doFilter(request, response);
    }

    private static boolean seesSecrets(Authentication login) {
        return login != null && login.isAuthenticated() && login.getAuthorities().stream().anyMatch(authority ->
                ("ROLE_" + SECRETS_ROLE).equals(authority.getAuthority()) || ("SCOPE_" + SECRETS_SCOPE).equals(authority.getAuthority()));
    }
}
