package io.eventflow.support;

import java.util.ArrayList;
import java.util.List;

/**
 * What a test started (namespaces, servers, processes), closed in the reverse order it was started, whatever happened;
 * every one is closed even when one fails, and the first failure is thrown at the end.
 */
public final class OwnedResources {

    private final List<AutoCloseable> owned = new ArrayList<>();

    public <T extends AutoCloseable> T own(T resource) {
        owned.add(resource);
        return resource;
    }

    public void closeAll() throws Exception {
        Exception first = null;
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                first = first == null ? e : first;
            }
        }
        owned.clear();
        if (first != null) {
            throw first;
        }
    }
}
