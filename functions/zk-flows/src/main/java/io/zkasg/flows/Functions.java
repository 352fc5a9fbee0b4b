package io.zkasg.flows;

import io.zkasg.lambda.CommandStatusHandler;
import io.zkasg.lambda.HealthCheckHandler;
import io.zkasg.lambda.LaunchHookHandler;
import io.zkasg.lambda.LaunchResumeHandler;
import io.zkasg.lambda.TerminateHookHandler;
import io.zkasg.lambda.Wiring;
import java.util.Map;

/**
 * The orchestrator's functions over one {@link Wiring}, callable in-process: what the local runner and the
 * end-to-end tests drive, through exactly the code paths Lambda runs.
 */
public final class Functions {

    private final LaunchHookHandler launch;
    private final LaunchResumeHandler resume;
    private final CommandStatusHandler commandStatus;
    private final TerminateHookHandler terminate;
    private final HealthCheckHandler health;

    public Functions(Wiring wiring) {
        this.launch = new LaunchHookHandler(wiring);
        this.resume = new LaunchResumeHandler(wiring);
        this.commandStatus = new CommandStatusHandler(wiring);
        this.terminate = new TerminateHookHandler(wiring);
        this.health = new HealthCheckHandler(wiring);
    }

    /** A terminate lifecycle event. */
    public Map<String, Object> terminate(byte[] event) {
        return terminate.handle(event);
    }

    /** A scheduled event, as EventBridge would invoke the health function (needs a wiring built withHealth). */
    public Map<String, Object> health(byte[] event) {
        return health.handle(event);
    }

    /** A launch lifecycle event, as EventBridge would invoke the launch function. */
    public Map<String, Object> launch(byte[] event) {
        return launch.handle(event);
    }

    /** A resume message, as SQS would deliver it; false when the message should be retried. */
    public boolean resume(String messageId, String body) {
        return resume.resume(messageId, body);
    }

    /** An SQS batch of resume messages, as Lambda's runtime hands it over; the JSON answer (batchItemFailures). */
    public String resumeBatch(byte[] batch) throws java.io.IOException {
        var out = new java.io.ByteArrayOutputStream();
        resume.handleRequest(new java.io.ByteArrayInputStream(batch), out, null);
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A command invocation status event. */
    public Map<String, Object> commandStatus(byte[] event) {
        return commandStatus.handle(event);
    }

    /** The JSON form of a resume ticket, as the SQS adapter would send it. */
    public String encode(io.zkasg.core.HookTicket ticket) {
        return resume.encode(ticket);
    }
}
