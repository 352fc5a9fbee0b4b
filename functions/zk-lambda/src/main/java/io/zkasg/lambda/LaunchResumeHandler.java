package io.zkasg.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import io.zkasg.core.LaunchTicket;
import java.util.ArrayList;
import java.util.Map;

/** Resume queue (SQS) → advance a launch that was waiting on AWS or on another instance. */
public final class LaunchResumeHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {

    private final Wiring wiring;

    public LaunchResumeHandler() {
        this(Runtime.wiring());
    }

    public LaunchResumeHandler(Wiring wiring) {
        this.wiring = wiring;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        var failures = new ArrayList<SQSBatchResponse.BatchItemFailure>();
        var records = event == null || event.getRecords() == null ? java.util.List.<SQSEvent.SQSMessage>of()
                : event.getRecords();
        for (var message : records) {
            if (!resume(message.getMessageId(), message.getBody())) {
                failures.add(SQSBatchResponse.BatchItemFailure.builder()
                        .withItemIdentifier(message.getMessageId()).build());
            }
        }
        return SQSBatchResponse.builder().withBatchItemFailures(failures).build();
    }

    /** The JSON form of a ticket, as the resume queue carries it (what this handler reads back). */
    public String encode(LaunchTicket ticket) {
        return wiring.codec().encode(ticket);
    }

    /** Advances one ticket; false when it should be retried (SQS redelivers it after its visibility timeout). */
    public boolean resume(String messageId, String body) {
        var journal = wiring.journal();
        journal.correlate(messageId);
        LaunchTicket ticket;
        try {
            ticket = wiring.codec().decode(body == null ? "" : body);
        } catch (BadEventException e) {
            // Retrying cannot fix a malformed message; the hook's own timeout is the safety net.
            journal.record("event-ignored", Map.of("reason", e.getMessage()));
            return true;
        }
        var settings = wiring.settings();
        var hook = ticket.ref().hookName();
        var terminate = !settings.terminateHookName().isEmpty() && settings.terminateHookName().equals(hook);
        if (!settings.groupName().equals(ticket.ref().groupName())
                || !(terminate || settings.launchHookName().equals(hook))
                || !LaunchHookHandler.INSTANCE_ID.matcher(ticket.instanceId()).matches()) {
            journal.record("event-ignored", Map.of("reason", "ticket is not for one of this group's hooks"));
            return true;
        }
        try {
            var started = wiring.telemetry().start();
            var outcome = terminate ? wiring.terminate().advance(ticket) : wiring.launch().advance(ticket);
            wiring.telemetry().finish(terminate ? "terminate-resume" : "launch-resume", started, outcome);
            journal.record("launch-resumed", Map.of("instanceId", ticket.instanceId(), "attempt", ticket.attempt(),
                    "outcome", Outcomes.summary(outcome)));
            return true;
        } catch (RuntimeException e) {
            journal.error("launch-failed", Map.of("instanceId", ticket.instanceId(), "error", e.toString()));
            return false;
        }
    }
}
