package io.zkasg.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import io.zkasg.core.LaunchTicket;
import java.util.Map;

/** EventBridge "EC2 Instance-terminate Lifecycle Action" → stop ZooKeeper, release the slot, complete the hook. */
public final class TerminateHookHandler implements RequestStreamHandler {

    private final Wiring wiring;

    public TerminateHookHandler() {
        this(Runtime.wiring());
    }

    public TerminateHookHandler(Wiring wiring) {
        this.wiring = wiring;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Outcomes.write(output, handle(input.readAllBytes()));
    }

    public Map<String, Object> handle(byte[] raw) {
        var accepted = LifecycleEvents.accept(wiring, raw, Events.TERMINATE_DETAIL_TYPE,
                "autoscaling:EC2_INSTANCE_TERMINATING", wiring.settings().terminateHookName());
        if (accepted.rejection() != null) {
            return Outcomes.ignored(accepted.rejection());
        }
        wiring.journal().record("terminate-received", Map.of("instanceId", accepted.ref().instanceId()));
        var started = wiring.telemetry().start();
        var outcome = wiring.terminate().advance(LaunchTicket.first(accepted.ref(), accepted.time()));
        wiring.telemetry().finish("terminate", started, outcome);
        return Outcomes.summary(outcome);
    }
}
