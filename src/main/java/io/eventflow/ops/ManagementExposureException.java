package io.eventflow.ops;

/** A management binding Eventflow refuses to start with; {@link ManagementExposureFailureAnalyzer} reports it. */
class ManagementExposureException extends RuntimeException {

    private final String description;
    private final String action;

    ManagementExposureException(String description, String action) {
        super("Refusing to start: " + description + ". " + action);
        this.description = description;
        this.action = action;
    }

    String description() {
        return description;
    }

    String action() {
        return action;
    }
}
