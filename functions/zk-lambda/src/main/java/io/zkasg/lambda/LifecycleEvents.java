package io.zkasg.lambda;

import io.zkasg.core.model.LifecycleRef;
import java.time.Instant;
import java.util.Map;

/** Reads and vets a lifecycle action event for one of this group's hooks: the shared front of both hook handlers. */
final class LifecycleEvents {

    /** The accepted action, or the reason the event was rejected (then ref and time are null). */
    record Accepted(LifecycleRef ref, Instant time, String rejection) {
    }

    private LifecycleEvents() {
    }

    static Accepted accept(Wiring wiring, byte[] raw, String detailType, String transition, String hookName) {
        var journal = wiring.journal();
        var settings = wiring.settings();
        LifecycleEvent event;
        try {
            event = wiring.events().lifecycle(raw);
        } catch (BadEventException e) {
            journal.correlate("");
            journal.record("event-ignored", Map.of("reason", e.getMessage()));
            return new Accepted(null, null, e.getMessage());
        }
        journal.correlate(event.id());
        var problem = !"aws.autoscaling".equals(event.source()) ? "source " + event.source() + " is not aws.autoscaling"
                : !detailType.equals(event.detailType()) ? "detail-type " + event.detailType() + " is not "
                        + detailType
                : !transition.equals(event.transition()) ? "transition " + event.transition() + " is not "
                        + transition
                : !settings.groupName().equals(event.groupName()) ? "group " + event.groupName() + " is not "
                        + settings.groupName()
                : hookName.isEmpty() || !hookName.equals(event.hookName()) ? "hook " + event.hookName()
                        + " is not " + (hookName.isEmpty() ? "configured" : hookName)
                : !LaunchHookHandler.INSTANCE_ID.matcher(event.instanceId()).matches() ? "instance id is malformed"
                : event.token() != null && !LaunchHookHandler.TOKEN.matcher(event.token()).matches()
                        ? "lifecycle token is malformed"
                : null;
        if (problem != null) {
            journal.record("event-ignored", Map.of("reason", problem));
            return new Accepted(null, null, problem);
        }
        return new Accepted(new LifecycleRef(event.groupName(), event.hookName(), event.instanceId(), event.token()),
                event.time(), null);
    }
}
