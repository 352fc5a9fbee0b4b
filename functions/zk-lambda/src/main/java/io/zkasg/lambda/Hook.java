package io.zkasg.lambda;

import io.zkasg.core.HookOutcome;
import io.zkasg.core.HookTicket;
import io.zkasg.core.Settings;
import java.util.Optional;

/**
 * The group's two lifecycle hooks: the one place where launch and terminate are told apart (which event, transition
 * and configured hook name is which, and which use case advances it).
 */
enum Hook {

    LAUNCH(Events.LAUNCH_DETAIL_TYPE, "autoscaling:EC2_INSTANCE_LAUNCHING", "launch"),
    TERMINATE(Events.TERMINATE_DETAIL_TYPE, "autoscaling:EC2_INSTANCE_TERMINATING", "terminate");

    final String detailType;
    final String transition;
    /** The action's name in metrics and journal lines. */
    final String action;

    Hook(String detailType, String transition, String action) {
        this.detailType = detailType;
        this.transition = transition;
        this.action = action;
    }

    /** The hook's name in this group's settings (empty when the hook is not configured). */
    String name(Settings settings) {
        return this == LAUNCH ? settings.launchHookName() : settings.terminateHookName();
    }

    /** Advances one action of this hook. */
    HookOutcome advance(Wiring wiring, HookTicket ticket) {
        return this == LAUNCH ? wiring.launch().advance(ticket) : wiring.terminate().advance(ticket);
    }

    /** The configured hook called {@code hookName}, if any (terminate first, should both have one name). */
    static Optional<Hook> named(Settings settings, String hookName) {
        for (var hook : new Hook[] {TERMINATE, LAUNCH}) {
            var name = hook.name(settings);
            if (!name.isEmpty() && name.equals(hookName)) {
                return Optional.of(hook);
            }
        }
        return Optional.empty();
    }
}
