package io.zkasg.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import io.zkasg.core.LaunchTicket;
import io.zkasg.core.model.LifecycleRef;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.regex.Pattern;

/** EventBridge "EC2 Instance-launch Lifecycle Action" → claim a slot and send the bootstrap command. */
public final class LaunchHookHandler implements RequestStreamHandler {

    static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8,17}");
    static final Pattern TOKEN = Pattern.compile("[0-9a-fA-F-]{36}");

    private final Wiring wiring;

    public LaunchHookHandler() {
        this(Runtime.wiring());
    }

    LaunchHookHandler(Wiring wiring) {
        this.wiring = wiring;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Outcomes.write(output, handle(input.readAllBytes()));
    }

    Map<String, Object> handle(byte[] raw) {
        var journal = wiring.journal();
        var settings = wiring.settings();
        LifecycleEvent event;
        try {
            event = wiring.events().lifecycle(raw);
        } catch (BadEventException e) {
            journal.correlate("");
            journal.record("event-ignored", Map.of("reason", e.getMessage()));
            return Outcomes.ignored(e.getMessage());
        }
        journal.correlate(event.id());
        var problem = !"aws.autoscaling".equals(event.source()) ? "source " + event.source() + " is not aws.autoscaling"
                : !Events.LAUNCH_DETAIL_TYPE.equals(event.detailType()) ? "detail-type " + event.detailType()
                        + " is not a launch lifecycle action"
                : !"autoscaling:EC2_INSTANCE_LAUNCHING".equals(event.transition()) ? "transition "
                        + event.transition() + " is not autoscaling:EC2_INSTANCE_LAUNCHING"
                : !settings.groupName().equals(event.groupName()) ? "group " + event.groupName() + " is not "
                        + settings.groupName()
                : !settings.launchHookName().equals(event.hookName()) ? "hook " + event.hookName() + " is not "
                        + settings.launchHookName()
                : !INSTANCE_ID.matcher(event.instanceId()).matches() ? "instance id is malformed"
                : event.token() != null && !TOKEN.matcher(event.token()).matches() ? "lifecycle token is malformed"
                : null;
        if (problem != null) {
            journal.record("event-ignored", Map.of("reason", problem));
            return Outcomes.ignored(problem);
        }
        var ticket = LaunchTicket.first(new LifecycleRef(event.groupName(), event.hookName(), event.instanceId(),
                event.token()), event.time());
        journal.record("launch-received", Map.of("instanceId", event.instanceId(), "group", event.groupName()));
        return Outcomes.summary(wiring.launch().advance(ticket));
    }
}
