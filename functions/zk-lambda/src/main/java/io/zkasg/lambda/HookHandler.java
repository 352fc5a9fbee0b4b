package io.zkasg.lambda;

import io.zkasg.core.HookOutcome;
import io.zkasg.core.HookTicket;
import java.util.List;
import java.util.Map;

/** EventBridge lifecycle action of one of the group's hooks → advance it with that hook's use case. */
abstract class HookHandler extends EventHandler<HookTicket, HookOutcome> {

    private final Hook hook;
    private final List<Rule<LifecycleEvent>> rules;

    HookHandler(Hook hook, Wiring wiring) {
        super(wiring);
        this.hook = hook;
        this.rules = LifecycleEvents.rules(wiring.settings(), hook);
    }

    @Override
    final HookTicket parse(byte[] raw) throws BadEventException {
        var accepted = LifecycleEvents.accept(wiring, raw, rules);
        wiring.journal().record(hook.action + "-received", Map.of("instanceId", accepted.ref().instanceId()));
        return HookTicket.first(accepted.ref(), accepted.time());
    }

    @Override
    final HookOutcome call(HookTicket ticket) {
        return hook.advance(wiring, ticket);
    }

    @Override
    final void log(HookTicket ticket, HookOutcome outcome, long started) {
        wiring.telemetry().finish(hook.action, started, outcome);
    }

    @Override
    final Map<String, Object> answer(HookOutcome outcome) {
        return Outcomes.summary(outcome);
    }
}
