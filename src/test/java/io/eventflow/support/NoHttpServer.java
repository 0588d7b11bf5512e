package io.eventflow.support;

import java.util.Map;

import org.apache.camel.CamelContext;
import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.Processor;
import org.apache.camel.spi.RestConfiguration;
import org.apache.camel.spi.RestConsumerFactory;
import org.apache.camel.support.DefaultComponent;
import org.apache.camel.support.DefaultConsumer;

/** The REST DSL needs a consumer factory; route tests call the routes directly, so it listens nowhere. */
public final class NoHttpServer extends DefaultComponent implements RestConsumerFactory {

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        throw new UnsupportedOperationException(uri);
    }

    @Override
    public Consumer createConsumer(CamelContext camelContext, Processor processor, String verb, String basePath,
            String uriTemplate, String consumes, String produces, RestConfiguration configuration, Map<String, Object> parameters) {
        return new DefaultConsumer(camelContext.getEndpoint("direct:unused-" + (basePath + uriTemplate).replace('/', '-')), processor);
    }
}
