package io.eventflow.ops;

import java.io.IOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextType;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The management port takes a path only as it is meant: one whose raw form is its decoded form. Jolokia's servlet,
 * registered before Spring Security's filter sees the request, failed with a 500 on {@code /actuator/%6Aolokia/...},
 * {@code /actuator//jolokia/...} and dot segments; they are the client's error, answered 400 like on the API port.
 */
@ManagementContextConfiguration(value = ManagementContextType.CHILD, proxyBeanMethods = false)
class ManagementCanonicalPaths {

    @Bean
    FilterRegistrationBean<CanonicalPathsOnly> canonicalPathsOnly() {
        FilterRegistrationBean<CanonicalPathsOnly> registration = new FilterRegistrationBean<>(new CanonicalPathsOnly());
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    static final class CanonicalPathsOnly extends OncePerRequestFilter {

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            String decoded = request.getContextPath() + request.getServletPath()
                    + (request.getPathInfo() == null ? "" : request.getPathInfo());
            if (!decoded.equals(request.getRequestURI())) {
                OpsSecurity.malformedRequest(request, response,
                        new RequestRejectedException("not a canonical path: " + request.getRequestURI()));
                return;
            }
            chain.doFilter(request, response);
        }
    }
}
