package io.zkasg.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zkasg.core.HookOutcome;
import io.zkasg.core.HookTicket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Resume queue (SQS) → advance a launch or terminate action that was waiting on AWS or on another instance. The
 * skeleton runs once per message; a message whose action failed is reported back for SQS to deliver again
 * (ReportBatchItemFailures).
 *
 * <p>A stream handler like the others: it reads the batch's {@code Records[].messageId} and {@code body} with the
 * functions' Jackson and answers {@code {"batchItemFailures":[{"itemIdentifier":...}]}}. Typed as
 * {@code RequestHandler<SQSEvent, SQSBatchResponse>}, the runtime interface client would deserialize the batch with
 * its own event serializers, whose set-up loads {@code org.joda.time.DateTime} from the function's jar for every
 * aws-lambda-java-events type (SQS's included): without Joda-Time in the jar every batch failed with
 * ClassNotFoundException before reaching this code (found by {@code make bench-runtime}).
 */
public final class LaunchResumeHandler extends Handler<LaunchResumeHandler.Resumed, LaunchResumeHandler.Advanced>
        implements RequestStreamHandler {

    private static final ObjectMapper JSON = new ObjectMapper();

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
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        JsonNode batch;
        try {
            batch = JSON.readTree(input.readAllBytes());
        } catch (IOException e) {
            // Not an SQS batch: no message to name, nothing to advance. The invocation fails (logged by Lambda).
            throw new IOException("the resume function's input is not an SQS batch: " + e.getMessage(), e);
        }
        var failures = new ArrayList<Map<String, Object>>();
        var records = batch == null ? null : batch.path("Records");
        if (records != null && records.isArray()) {
            for (var message : records) {
                var messageId = message.path("messageId").asText("");
                var body = message.path("body");
                if (!resume(messageId, body.isTextual() ? body.asText() : "")) {
                    failures.add(Map.of("itemIdentifier", messageId));
                }
            }
        }
        Outcomes.write(output, Map.of("batchItemFailures", failures));
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
