package io.zkasg.lambda;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/**
 * Reads EventBridge envelopes into the records the handlers use. EventBridge's {@code detail} is free-form, so the
 * fields are read one by one and every missing or malformed one is reported by name.
 */
final class Events {

    static final String LAUNCH_DETAIL_TYPE = "EC2 Instance-launch Lifecycle Action";
    static final String TERMINATE_DETAIL_TYPE = "EC2 Instance-terminate Lifecycle Action";
    static final String COMMAND_INVOCATION_DETAIL_TYPE = "EC2 Command Invocation Status-change Notification";

    static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8,17}");
    static final Pattern TOKEN = Pattern.compile("[0-9a-fA-F-]{36}");
    static final Pattern COMMAND_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final ObjectMapper json;

    Events(ObjectMapper json) {
        this.json = json;
    }

    LifecycleEvent lifecycle(byte[] raw) throws BadEventException {
        var root = parse(raw);
        var detail = root.path("detail");
        if ("autoscaling:TEST_NOTIFICATION".equals(detail.path("Event").asText(null))
                || "autoscaling:TEST_NOTIFICATION".equals(detail.path("LifecycleTransition").asText(null))) {
            throw new BadEventException("test notification from Auto Scaling; nothing to do");
        }
        var transition = text(detail, "LifecycleTransition", "detail.LifecycleTransition");
        return new LifecycleEvent(
                root.path("id").asText(""),
                text(root, "source", "source"),
                text(root, "detail-type", "detail-type"),
                time(root),
                text(detail, "AutoScalingGroupName", "detail.AutoScalingGroupName"),
                text(detail, "LifecycleHookName", "detail.LifecycleHookName"),
                text(detail, "EC2InstanceId", "detail.EC2InstanceId"),
                detail.path("LifecycleActionToken").asText(null),
                transition);
    }

    CommandStatusEvent commandStatus(byte[] raw) throws BadEventException {
        var root = parse(raw);
        var detail = root.path("detail");
        return new CommandStatusEvent(
                root.path("id").asText(""),
                text(root, "source", "source"),
                text(root, "detail-type", "detail-type"),
                text(detail, "command-id", "detail.command-id"),
                text(detail, "instance-id", "detail.instance-id"),
                text(detail, "document-name", "detail.document-name"),
                text(detail, "status", "detail.status"));
    }

    /** The envelope's id (the correlation id of a scheduled event), or empty when the bytes are not an event. */
    String id(byte[] raw) {
        try {
            return parse(raw).path("id").asText("");
        } catch (BadEventException e) {
            return "";
        }
    }

    private JsonNode parse(byte[] raw) throws BadEventException {
        try {
            var root = json.readTree(raw);
            if (root == null || !root.isObject()) {
                throw new BadEventException("event is not a JSON object");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new BadEventException("event is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new BadEventException("event could not be read: " + e.getMessage());
        }
    }

    private static String text(JsonNode node, String field, String path) throws BadEventException {
        var value = node.path(field);
        if (!value.isTextual() || value.asText().isBlank()) {
            throw new BadEventException("event has no " + path);
        }
        return value.asText();
    }

    private static Instant time(JsonNode root) throws BadEventException {
        var raw = text(root, "time", "time");
        try {
            return Instant.parse(raw);
        } catch (DateTimeParseException e) {
            throw new BadEventException("event time '" + raw + "' is not an ISO-8601 instant");
        }
    }
}
