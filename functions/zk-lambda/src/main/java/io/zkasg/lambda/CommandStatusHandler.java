package io.zkasg.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.regex.Pattern;

/** EventBridge "EC2 Command Invocation Status-change Notification" → complete the launch hook. */
public final class CommandStatusHandler implements RequestStreamHandler {

    static final Pattern COMMAND_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final Wiring wiring;

    public CommandStatusHandler() {
        this(Runtime.wiring());
    }

    public CommandStatusHandler(Wiring wiring) {
        this.wiring = wiring;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Outcomes.write(output, handle(input.readAllBytes()));
    }

    public Map<String, Object> handle(byte[] raw) {
        var journal = wiring.journal();
        CommandStatusEvent event;
        try {
            event = wiring.events().commandStatus(raw);
        } catch (BadEventException e) {
            journal.correlate("");
            journal.record("event-ignored", Map.of("reason", e.getMessage()));
            return Outcomes.ignored(e.getMessage());
        }
        journal.correlate(event.id());
        var problem = !"aws.ssm".equals(event.source()) ? "source " + event.source() + " is not aws.ssm"
                : !Events.COMMAND_INVOCATION_DETAIL_TYPE.equals(event.detailType()) ? "detail-type "
                        + event.detailType() + " is not a command invocation status change"
                : !LaunchHookHandler.INSTANCE_ID.matcher(event.instanceId()).matches() ? "instance id is malformed"
                : !COMMAND_ID.matcher(event.commandId()).matches() ? "command id is malformed"
                : null;
        if (problem != null) {
            journal.record("event-ignored", Map.of("reason", problem));
            return Outcomes.ignored(problem);
        }
        journal.record("command-status-received", Map.of("instanceId", event.instanceId(),
                "commandId", event.commandId(), "document", event.documentName(), "status", event.status()));
        var started = wiring.telemetry().start();
        var outcome = wiring.commandStatus().onStatus(event.commandId(), event.instanceId(), event.documentName(),
                event.status());
        wiring.telemetry().finish("command-status", started, outcome);
        return Outcomes.summary(outcome);
    }
}
