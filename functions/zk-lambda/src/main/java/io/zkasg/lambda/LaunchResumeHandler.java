package io.zkasg.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import io.zkasg.core.HookOutcome;
import io.zkasg.core.HookTicket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resume queue (SQS) → advance a launch or terminate action that was waiting on AWS or on another instance. The
 * skeleton runs once per message; a message whose action failed is reported back for SQS to deliver again.
 */
public final class LaunchResumeHandler extends Handler<LaunchResumeHandler.Resumed, LaunchResumeHandler.Advanced>
        implements RequestHandler<SQSEvent, SQSBatchResponse> {

    /** The answer's outcome when the action failed and the message should be retried. */
    static final String FAILED = "Failed";

    /** A ticket from the queue and the hook it belongs to. */
    record Resumed(Hook hook, HookTicket ticket) {
    }

    /** What advancing the ticket gave: an outcome, or the failure that SQS's redelivery retries. */
    record Advanced(HookOutcome outcome, RuntimeException failure) {
    }

    public LaunchResumeHandler() {
        this(Runtime.wiring());
    }

    public LaunchResumeHandler(Wiring wiring) {
        super(wiring);
    }

    @Override
    public final SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        var failures = new ArrayList<SQSBatchResponse.BatchItemFailure>();
        var records = event == null || event.getRecords() == null ? List.<SQSEvent.SQSMessage>of()
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
    public String encode(HookTicket ticket) {
        return wiring.codec().encode(ticket);
    }

    /**
     * Advances one message's ticket; false when it should be retried (SQS redelivers it after its visibility
     * timeout). Retrying cannot fix a malformed message: it is logged and dropped, the hook's own timeout is the net.
     */
    public boolean resume(String messageId, String body) {
        wiring.journal().correlate(messageId);
        var answer = handle((body == null ? "" : body).getBytes(StandardCharsets.UTF_8));
        return !FAILED.equals(answer.get("outcome"));
    }

    @Override
    Resumed parse(byte[] raw) throws BadEventException {
        var ticket = wiring.codec().decode(new String(raw, StandardCharsets.UTF_8));
        var settings = wiring.settings();
        var hook = Hook.named(settings, ticket.ref().hookName());
        if (!settings.groupName().equals(ticket.ref().groupName()) || hook.isEmpty()
                || !Events.INSTANCE_ID.matcher(ticket.instanceId()).matches()) {
            throw new BadEventException("ticket is not for one of this group's hooks");
        }
        return new Resumed(hook.get(), ticket);
    }

    @Override
    Advanced call(Resumed resumed) {
        try {
            return new Advanced(resumed.hook().advance(wiring, resumed.ticket()), null);
        } catch (RuntimeException e) {
            return new Advanced(null, e);
        }
    }

    @Override
    void log(Resumed resumed, Advanced advanced, long started) {
        var ticket = resumed.ticket();
        if (advanced.failure() != null) {
            wiring.journal().error("launch-failed", Map.of("instanceId", ticket.instanceId(),
                    "error", advanced.failure().toString()));
            return;
        }
        wiring.telemetry().finish(resumed.hook().action + "-resume", started, advanced.outcome());
        wiring.journal().record("launch-resumed", Map.of("instanceId", ticket.instanceId(),
                "attempt", ticket.attempt(), "outcome", Outcomes.summary(advanced.outcome())));
    }

    @Override
    Map<String, Object> answer(Advanced advanced) {
        if (advanced.failure() != null) {
            var map = new LinkedHashMap<String, Object>();
            map.put("outcome", FAILED);
            map.put("reason", advanced.failure().toString());
            return map;
        }
        return Outcomes.summary(advanced.outcome());
    }
}
