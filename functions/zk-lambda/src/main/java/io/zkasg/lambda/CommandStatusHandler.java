package io.zkasg.lambda;

import io.zkasg.core.HookOutcome;
import java.util.List;
import java.util.Map;

/** EventBridge "EC2 Command Invocation Status-change Notification" → complete the launch hook. */
public final class CommandStatusHandler extends EventHandler<CommandStatusEvent, HookOutcome> {

    /** What a status event must be, in the order checked; the first broken rule is the logged reason. */
    private static final List<Rule<CommandStatusEvent>> RULES = List.of(
            new Rule<>(e -> "aws.ssm".equals(e.source()), e -> "source " + e.source() + " is not aws.ssm"),
            new Rule<>(e -> Events.COMMAND_INVOCATION_DETAIL_TYPE.equals(e.detailType()),
                    e -> "detail-type " + e.detailType() + " is not a command invocation status change"),
            new Rule<>(e -> Events.INSTANCE_ID.matcher(e.instanceId()).matches(), e -> "instance id is malformed"),
            new Rule<>(e -> Events.COMMAND_ID.matcher(e.commandId()).matches(), e -> "command id is malformed"));

    public CommandStatusHandler() {
        this(Runtime.wiring());
    }

    public CommandStatusHandler(Wiring wiring) {
        super(wiring);
    }

    @Override
    CommandStatusEvent parse(byte[] raw) throws BadEventException {
        var journal = wiring.journal();
        CommandStatusEvent event;
        try {
            event = wiring.events().commandStatus(raw);
        } catch (BadEventException e) {
            journal.correlate("");
            throw e;
        }
        journal.correlate(event.id());
        Rule.check(RULES, event);
        journal.record("command-status-received", Map.of("instanceId", event.instanceId(),
                "commandId", event.commandId(), "document", event.documentName(), "status", event.status()));
        return event;
    }

    @Override
    HookOutcome call(CommandStatusEvent event) {
        return wiring.commandStatus().onStatus(event.commandId(), event.instanceId(), event.documentName(),
                event.status());
    }

    @Override
    void log(CommandStatusEvent event, HookOutcome outcome, long started) {
        wiring.telemetry().finish("command-status", started, outcome);
    }

    @Override
    Map<String, Object> answer(HookOutcome outcome) {
        return Outcomes.summary(outcome);
    }
}
