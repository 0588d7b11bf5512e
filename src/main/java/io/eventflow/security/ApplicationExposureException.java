package io.eventflow.security;

import io.eventflow.config.StartRefusedException;

/** An application-port binding or credential setting Eventflow refuses to start with. */
class ApplicationExposureException extends StartRefusedException {

    ApplicationExposureException(String description, String action) {
        super(description, action);
    }
}
