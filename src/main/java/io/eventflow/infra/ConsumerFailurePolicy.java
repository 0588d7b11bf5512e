package io.eventflow.infra;

import org.springframework.amqp.rabbit.config.RetryInterceptorBuilder;
import org.springframework.amqp.rabbit.retry.ImmediateRequeueMessageRecoverer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.retry.interceptor.RetryOperationsInterceptor;

/**
 * What a queue consumer does when its route fails outright (only when even dead-lettering failed): put the
 * message back on its queue. The component's default would, after its retries, either drop the message
 * (no dead-letter exchange) or ack it as "recovered"; neither may happen to an accepted event.
 */
@Configuration
public class ConsumerFailurePolicy {

    @Bean
    public RetryOperationsInterceptor requeueOnFailure() {
        return RetryInterceptorBuilder.stateless()
                .maxAttempts(1)
                .recoverer(new ImmediateRequeueMessageRecoverer())
                .build();
    }
}
