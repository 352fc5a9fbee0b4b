package io.zkasg.lambda.cracfake;

import java.util.ArrayList;
import java.util.List;

/** The global context: notifies its resources in registration order (checkpoint) and in reverse (restore). */
public abstract class Context<R extends Resource> implements Resource {

    private final List<R> resources = new ArrayList<>();

    protected Context() {
    }

    public synchronized void register(R resource) {
        resources.add(resource);
    }

    @Override
    public synchronized void beforeCheckpoint(Context<? extends Resource> context) throws CheckpointException {
        for (var resource : List.copyOf(resources)) {
            try {
                resource.beforeCheckpoint(this);
            } catch (Exception e) {
                var failure = new CheckpointException();
                failure.addSuppressed(e);
                throw failure;
            }
        }
    }

    @Override
    public synchronized void afterRestore(Context<? extends Resource> context) throws RestoreException {
        var reversed = new ArrayList<>(resources);
        java.util.Collections.reverse(reversed);
        for (var resource : reversed) {
            try {
                resource.afterRestore(this);
            } catch (Exception e) {
                var failure = new RestoreException();
                failure.addSuppressed(e);
                throw failure;
            }
        }
    }
}
