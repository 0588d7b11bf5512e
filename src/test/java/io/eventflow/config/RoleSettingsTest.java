package io.eventflow.config;

import java.util.EnumSet;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RoleSettingsTest {

    private final MockEnvironment environment = new MockEnvironment()
            .withProperty(RoleSettings.ROUTES_PATTERN, "file:routes/*.camel.yaml");

    @Test
    void everyRoleByDefaultChangesNothing() {
        new RoleSettings().postProcessEnvironment(environment, new SpringApplication());
        assertThat(environment.getProperty(RoleSettings.ROUTES_PATTERN)).isEqualTo("file:routes/*.camel.yaml");
        assertThat(environment.getProperty("spring.flyway.enabled")).isNull();
    }

    @Test
    void ingestAloneLoadsOnlyItsRoutesAndLeavesTheDatabaseAlone() {
        environment.setProperty("eventflow.roles", "ingest");
        new RoleSettings().postProcessEnvironment(environment, new SpringApplication());
        assertThat(environment.getProperty(RoleSettings.ROUTES_PATTERN)).isEqualTo("file:routes/ingest.camel.yaml,file:routes/errors.camel.yaml");
        assertThat(environment.getProperty("spring.flyway.enabled")).isEqualTo("false");
        assertThat(environment.getProperty("management.health.db.enabled")).isEqualTo("false");
        assertThat(environment.getProperty("spring.web.resources.add-mappings")).isEqualTo("false");
    }

    @Test
    void aProcessIsRequiredToRunOnlyItsRolesRoutesAndTheUsersOwn() {
        List<String> required = List.of("ingest-events", "service1-topic1", "service1-topic2", "service2-topic3", "dead-letter",
                "dashboard-metrics", "my-own-route");

        assertThat(Role.requiredRoutes(required, EnumSet.of(Role.INGEST))).containsExactlyInAnyOrder("ingest-events", "my-own-route");
        assertThat(Role.requiredRoutes(required, EnumSet.of(Role.SERVICE2)))
                .containsExactlyInAnyOrder("service2-topic3", "dead-letter", "my-own-route");
        assertThat(Role.requiredRoutes(required, Role.all())).containsExactlyInAnyOrderElementsOf(required);
    }

    @Test
    void servicesShareTheConsumerTemplateOnceAndKeepTheFolder() {
        assertThat(RoleSettings.routesPattern("classpath:pipeline/*.camel.yaml", EnumSet.of(Role.SERVICE1, Role.SERVICE2)))
                .isEqualTo("classpath:pipeline/consumers.camel.yaml,classpath:pipeline/service1.camel.yaml,classpath:pipeline/service2.camel.yaml");
    }

    @Test
    void theJavaDslRouteGoesWithTheServicesWhereJavaRoutesAreLoaded() {
        assertThat(RoleSettings.routesPattern("file:routes/*.camel.yaml,file:routes/*.java", EnumSet.of(Role.SERVICE2)))
                .isEqualTo("file:routes/consumers.camel.yaml,file:routes/service2.camel.yaml,file:routes/DeadLetterWatch.java");
        assertThat(RoleSettings.routesPattern("file:routes/*.camel.yaml,file:routes/*.java", EnumSet.of(Role.INGEST)))
                .isEqualTo("file:routes/ingest.camel.yaml,file:routes/errors.camel.yaml");
    }

    @Test
    void environmentVariableSpellingBindsAndAnUnknownRoleIsRefused() {
        environment.setProperty("eventflow.roles", "SERVICE2,dashboard");
        assertThat(RoleSettings.roles(environment)).containsExactly(Role.SERVICE2, Role.DASHBOARD);
        environment.setProperty("eventflow.roles", "ingest,nope");
        assertThatThrownBy(() -> RoleSettings.roles(environment)).hasMessageContaining("eventflow.roles");
    }
}
