package io.zkasg.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import io.zkasg.core.LaunchTicket;
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

    public LaunchHookHandler(Wiring wiring) {
        this.wiring = wiring;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Outcomes.write(output, handle(input.readAllBytes()));
    }

    public Map<String, Object> handle(byte[] raw) {
        var ref = LifecycleEvents.accept(wiring, raw, Events.LAUNCH_DETAIL_TYPE, "autoscaling:EC2_INSTANCE_LAUNCHING",
                wiring.settings().launchHookName());
        if (ref.rejection() != null) {
            return Outcomes.ignored(ref.rejection());
        }
        var ticket = LaunchTicket.first(ref.ref(), ref.time());
        wiring.journal().record("launch-received", Map.of("instanceId", ref.ref().instanceId()));
        var started = wiring.telemetry().start();
        var outcome = wiring.launch().advance(ticket);
        wiring.telemetry().finish("launch", started, outcome);
        return Outcomes.summary(outcome);
    }
}
