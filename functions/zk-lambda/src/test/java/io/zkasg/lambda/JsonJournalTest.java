package io.zkasg.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonJournalTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final JsonJournal journal = new JsonJournal(JSON, new PrintStream(out, true, StandardCharsets.UTF_8),
            Clock.fixed(Instant.parse("2026-11-25T12:00:00Z"), ZoneOffset.UTC));

    private List<Map<String, Object>> lines() throws Exception {
        var lines = new ArrayList<Map<String, Object>>();
        for (var line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            lines.add(JSON.readValue(line, new TypeReference<Map<String, Object>>() { }));
        }
        return lines;
    }

    @Test
    void record_shouldCarryNodeIdAndAzOnLaterLines_onceAStepNamedThem() throws Exception {
        // GIVEN / WHEN: a launch as the use case journals it
        journal.correlate("event-1");
        journal.record("launch-received", Map.of("instanceId", "i-1"));
        journal.record("eni-attached", Map.of("instanceId", "i-1", "az", "us-east-1b", "nodeId", 2));
        journal.record("launch-deferred", Map.of("instanceId", "i-1", "reason", "agent"));
        journal.record("heartbeat", Map.of());

        // THEN
        var lines = lines();
        assertThat(lines).allSatisfy(l -> assertThat(l).containsEntry("correlationId", "event-1")
                .containsEntry("instanceId", "i-1"));
        assertThat(lines.get(0)).doesNotContainKeys("nodeId", "az");
        assertThat(lines.subList(1, 4)).allSatisfy(l -> assertThat(l).containsEntry("nodeId", 2)
                .containsEntry("az", "us-east-1b"));
    }

    @Test
    void record_shouldNotMixInstances_andForgetThemAtTheNextInvocation() throws Exception {
        // GIVEN / WHEN: a health run names several instances
        journal.correlate("run-1");
        journal.record("node-serving", Map.of("instanceId", "i-1", "nodeId", 1, "az", "us-east-1a"));
        journal.record("node-serving", Map.of("instanceId", "i-2", "nodeId", 2, "az", "us-east-1b"));
        journal.record("health-checked", Map.of("serving", 2));
        journal.record("replace-deferred", Map.of("instanceId", "i-2"));
        journal.correlate("run-2");
        journal.record("replace-deferred", Map.of("instanceId", "i-2"));

        // THEN
        var lines = lines();
        assertThat(lines.get(2)).doesNotContainKeys("instanceId", "nodeId");
        assertThat(lines.get(3)).containsEntry("nodeId", 2).containsEntry("az", "us-east-1b");
        assertThat(lines.get(4)).containsEntry("correlationId", "run-2").doesNotContainKeys("nodeId", "az");
    }
}
