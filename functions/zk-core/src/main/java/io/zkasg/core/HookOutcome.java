package io.zkasg.core;

import io.zkasg.core.model.LifecycleResult;
import java.time.Duration;
import java.util.Map;

/** What one advance of a lifecycle action (launch or terminate) ended with. */
public sealed interface HookOutcome {

    String reason();

    /** Nothing to do (not ours, already handled, hook over); no AWS mutation was made. */
    record Ignored(String reason) implements HookOutcome {
    }

    /** Waiting on AWS or on another instance; the action comes back through the resume scheduler. */
    record Deferred(String reason, Duration delay) implements HookOutcome {
    }

    /** A command (bootstrap or stop) is on its way to the node; its status event completes the hook. */
    record CommandSent(int nodeId, String eniId, String volumeId, String commandId, Map<String, String> parameters)
            implements HookOutcome {
        @Override
        public String reason() {
            return "command " + commandId + " sent for node " + nodeId;
        }
    }

    /**
     * The lifecycle action was completed (or found already completed: {@code alreadyDone}).
     */
    record Completed(LifecycleResult result, String reason, boolean alreadyDone) implements HookOutcome {
    }
}
