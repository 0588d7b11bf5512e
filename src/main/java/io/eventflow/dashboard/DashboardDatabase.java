package io.eventflow.dashboard;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.eventflow.config.EventflowProperties;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.jdbc.DataSourceProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The dashboard's own small, read-only pool, with a statement timeout: however many pages ask for a wide window,
 * they wait for one of its connections, never for the consumers'. Not a default candidate, so the consumers' pool
 * stays the one {@code dataSource} that camel-sql, Flyway and every unqualified {@code JdbcTemplate} use.
 */
@Configuration(proxyBeanMethods = false)
class DashboardDatabase {

    static final String QUALIFIER = "dashboard";

    @Bean(defaultCandidate = false)
    @Qualifier(QUALIFIER)
    HikariDataSource dashboardDataSource(DataSourceProperties database, Environment environment,
                                         EventflowProperties properties, MeterRegistry meters) {
        HikariDataSource pool = database.initializeDataSourceBuilder().type(HikariDataSource.class).build();
        // The consumers' pool settings (timeouts, socket options) apply here too; then the dashboard's own.
        Binder.get(environment).bind("spring.datasource.hikari", Bindable.ofInstance(pool));
        EventflowProperties.Dashboard dashboard = properties.dashboard();
        pool.setPoolName("dashboard");
        pool.setMaximumPoolSize(dashboard.dbPoolSize());
        pool.setMinimumIdle(0);
        pool.setReadOnly(true);
        pool.setConnectionInitSql("SET statement_timeout = " + dashboard.queryTimeout().toMillis());
        // The server's statement_timeout cannot answer across a partition: the socket gives up at the same deadline.
        pool.addDataSourceProperty("socketTimeout", String.valueOf(Math.max(1, dashboard.queryTimeout().toSeconds())));
        pool.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(meters));
        return pool;
    }

    @Bean(defaultCandidate = false)
    @Qualifier(QUALIFIER)
    JdbcTemplate dashboardJdbc(@Qualifier(QUALIFIER) DataSource dashboardDataSource) {
        return new JdbcTemplate(dashboardDataSource);
    }
}
