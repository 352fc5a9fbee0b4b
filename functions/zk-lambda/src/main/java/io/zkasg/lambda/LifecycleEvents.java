package io.zkasg.lambda;

import io.zkasg.core.Settings;
import io.zkasg.core.model.LifecycleRef;
import java.time.Instant;
import java.util.List;

/** Reads and vets a lifecycle action event for one of this group's hooks: the shared front of both hook handlers. */
final class LifecycleEvents {

    /** The accepted action. */
    record Accepted(LifecycleRef ref, Instant time) {
    }

    private LifecycleEvents() {
    }

    /** What an event for {@code hook} must be, in the order checked; the first broken rule is the logged reason. */
    static List<Rule<LifecycleEvent>> rules(Settings settings, Hook hook) {
        var hookName = hook.name(settings);
        return List.of(
                new Rule<>(e -> "aws.autoscaling".equals(e.source()),
                        e -> "source " + e.source() + " is not aws.autoscaling"),
                new Rule<>(e -> hook.detailType.equals(e.detailType()),
                        e -> "detail-type " + e.detailType() + " is not " + hook.detailType),
                new Rule<>(e -> hook.transition.equals(e.transition()),
                        e -> "transition " + e.transition() + " is not " + hook.transition),
                new Rule<>(e -> settings.groupName().equals(e.groupName()),
                        e -> "group " + e.groupName() + " is not " + settings.groupName()),
                new Rule<>(e -> !hookName.isEmpty() && hookName.equals(e.hookName()),
                        e -> "hook " + e.hookName() + " is not " + (hookName.isEmpty() ? "configured" : hookName)),
                new Rule<>(e -> Events.INSTANCE_ID.matcher(e.instanceId()).matches(),
                        e -> "instance id is malformed"),
                new Rule<>(e -> e.token() == null || Events.TOKEN.matcher(e.token()).matches(),
                        e -> "lifecycle token is malformed"));
    }

    /** Reads the event, correlates the journal with it and checks {@code rules}; throws with the reason otherwise. */
    static Accepted accept(Wiring wiring, byte[] raw, List<Rule<LifecycleEvent>> rules) throws BadEventException {
        var journal = wiring.journal();
        LifecycleEvent event;
        try {
            event = wiring.events().lifecycle(raw);
        } catch (BadEventException e) {
            journal.correlate("");
            throw e;
        }
        journal.correlate(event.id());
        Rule.check(rules, event);
        return new Accepted(new LifecycleRef(event.groupName(), event.hookName(), event.instanceId(), event.token()),
                event.time());
    }
}
