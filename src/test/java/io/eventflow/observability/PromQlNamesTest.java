package io.eventflow.observability;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PromQlNamesTest {

    @Test
    void findsTheSelectedMetricsAndNothingElse() {
        String expression = "sum by (routeId) (rate(camel_route_policy_seconds_sum{routeId=~\"service1-topic1|x\"}[5m])) "
                + "/ on (routeId) group_left sum without (instance) (camel_route_policy_seconds_count offset 5m) "
                + "and eventflow:store_batch_seconds:mean5m > 2 or up{job='eventflow'} == bool 0 unless vector(1)";

        assertThat(PromQlNames.metricNames(expression))
                .containsExactly("camel_route_policy_seconds_count", "camel_route_policy_seconds_sum", "up");
    }

    @Test
    void aNameRightBeforeItsMatchersIsFound() {
        assertThat(PromQlNames.metricNames("max by (queue) (delta(eventflow_dead_letters{job=\"eventflow\"}[15m])) > 0"))
                .containsExactly("eventflow_dead_letters");
    }
}
