package io.eventflow.config;

/**
 * A configuration Eventflow refuses to start with, said as what is wrong and what to do;
 * {@link StartRefusedFailureAnalyzer} reports it on top of the log, without a stack trace.
 */
public class StartRefusedException extends RuntimeException {

    private final String description;
    private final String action;

    public StartRefusedException(String description, String action) {
        super("Refusing to start: " + description + ". " + action);
        this.description = description;
        this.action = action;
    }

    public String description() {
        return description;
    }

    public String action() {
        return action;
    }
}
