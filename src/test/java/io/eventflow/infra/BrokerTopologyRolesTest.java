package io.eventflow.infra;

import java.util.EnumSet;

import io.eventflow.config.Role;
import io.eventflow.pipeline.Topic;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BrokerTopologyRolesTest {

    @Test
    void eachRoleDeclaresTheQueuesItPublishesToOrConsumes() {
        assertThat(BrokerTopology.topicsOf(EnumSet.of(Role.INGEST))).containsExactly(Topic.TOPIC1, Topic.TOPIC2);
        assertThat(BrokerTopology.topicsOf(EnumSet.of(Role.SERVICE1))).containsExactly(Topic.TOPIC1, Topic.TOPIC2, Topic.TOPIC3);
        assertThat(BrokerTopology.topicsOf(EnumSet.of(Role.SERVICE2))).containsExactly(Topic.TOPIC3);
        assertThat(BrokerTopology.topicsOf(EnumSet.of(Role.DASHBOARD))).isEmpty();
        assertThat(BrokerTopology.topicsOf(Role.all())).containsExactly(Topic.values());
    }
}
