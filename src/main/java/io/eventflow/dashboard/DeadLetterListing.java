package io.eventflow.dashboard;

import java.util.Map;

import io.eventflow.processing.DeadLetterQueues.Listing;

/**
 * The answer of {@code GET /api/deadletters}: for each dead-letter queue its depth and newest letters (the listing the
 * management endpoint {@code deadletters} gives too), sampled at {@code sampledAt}.
 */
record DeadLetterListing(Map<String, Listing> queues, String sampledAt) {
}
