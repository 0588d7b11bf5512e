package io.eventflow.support;

import java.util.concurrent.CopyOnWriteArrayList;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

/** The formatted lines one logger writes while this is open. */
public final class LogLines implements AutoCloseable {

    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    private LogLines(String name) {
        logger = (Logger) LoggerFactory.getLogger(name);
        appender.list = new CopyOnWriteArrayList<>(); // appended to by the logging thread, read by the test
        appender.start();
        logger.addAppender(appender);
    }

    public static LogLines of(Class<?> type) {
        return new LogLines(type.getName());
    }

    public static LogLines of(String loggerName) {
        return new LogLines(loggerName);
    }

    public long count(String text) {
        return appender.list.stream().filter(event -> event.getFormattedMessage().contains(text)).count();
    }

    public boolean contains(String text) {
        return count(text) > 0;
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
