package io.eventflow.ops;

import io.eventflow.config.StartRefusedException;

/** A management binding Eventflow refuses to start with. */
class ManagementExposureException extends StartRefusedException {

    ManagementExposureException(String description, String action) {
        super(description, action);
    }
}
