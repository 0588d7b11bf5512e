package io.eventflow.infra;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.pipeline.Topic;
import io.eventflow.support.EventflowIntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The queues as the broker holds them: durable everywhere; on RabbitMQ quorum queues with the safety net, and classic
 * dead-letter queues, which no delivery limit applies to.
 */
class BrokerTopologyTest extends EventflowIntegrationTest {

    @Autowired
    CachingConnectionFactory connectionFactory;

    @Test
    void everyQueueAndItsDeadLetterQueueExists() {
        for (Topic topic : Topic.values()) {
            assertThat(amqp.getQueueInfo(topic.queue())).as(topic.queue()).isNotNull();
            assertThat(amqp.getQueueInfo(topic.deadLetterQueue())).as(topic.deadLetterQueue()).isNotNull();
        }
    }

    @Test
    @EnabledIfSystemProperty(named = "eventflow.embedded", matches = "false", disabledReason = "reads RabbitMQ's own view with rabbitmqctl: external mode only")
    void onRabbitMqTheyAreDurableQuorumQueuesThatDeadLetterToTheirClassicDlq() throws Exception {
        Map<String, Map<String, Object>> queues = rabbitQueues(connectionFactory.getVirtualHost());

        for (String name : Topic.QUEUES) {
            Map<String, Object> queue = queues.get(name);
            assertThat(queue).as(name).isNotNull().containsEntry("type", "quorum").containsEntry("durable", true);
            assertThat(arguments(queue))
                    .containsEntry("x-dead-letter-exchange", "")
                    .containsEntry("x-dead-letter-routing-key", name + ".dlq")
                    .containsEntry("x-delivery-limit", 10);
            assertThat(queues.get(name + ".dlq")).as(name + ".dlq").containsEntry("type", "classic").containsEntry("durable", true);
        }
    }

    private static Map<String, Object> arguments(Map<String, Object> queue) {
        Map<String, Object> arguments = new HashMap<>();
        for (Object argument : (List<?>) queue.get("arguments")) {
            List<?> triple = (List<?>) argument;
            arguments.put((String) triple.get(0), triple.get(2));
        }
        return arguments;
    }

    private static Map<String, Map<String, Object>> rabbitQueues(String vhost) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "type", "durable", "arguments",
                "--formatter", "json").redirectErrorStream(false).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        List<Map<String, Object>> list = new ObjectMapper().readValue(output, new TypeReference<>() {
        });
        Map<String, Map<String, Object>> byName = new HashMap<>();
        list.forEach(queue -> byName.put((String) queue.get("name"), queue));
        return byName;
    }
}
