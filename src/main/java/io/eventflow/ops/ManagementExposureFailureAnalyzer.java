package io.eventflow.ops;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a refused management binding into Spring Boot's "APPLICATION FAILED TO START" report, without a stack trace. */
public class ManagementExposureFailureAnalyzer extends AbstractFailureAnalyzer<ManagementExposureException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, ManagementExposureException cause) {
        return new FailureAnalysis("Eventflow refuses to start: " + cause.description() + ".", cause.action(), cause);
    }
}
