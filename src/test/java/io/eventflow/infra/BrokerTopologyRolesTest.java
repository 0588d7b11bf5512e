package io.eventflow.infra;

import java.util.EnumSet;

import io.eventflow.config.Role;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BrokerTopologyRolesTest {

    @Test
    void eachRoleDeclaresTheQueuesItPublishesToOrConsumes() {
        assertThat(BrokerTopology.queuesOf(EnumSet.of(Role.INGEST))).containsExactly("topic1", "topic2");
        assertThat(BrokerTopology.queuesOf(EnumSet.of(Role.SERVICE2))).containsExactly("topic3");
        assertThat(BrokerTopology.queuesOf(EnumSet.of(Role.DASHBOARD))).isEmpty();
        assertThat(BrokerTopology.queuesOf(Role.all())).containsExactly("topic1", "topic2", "topic3");
    }
}
