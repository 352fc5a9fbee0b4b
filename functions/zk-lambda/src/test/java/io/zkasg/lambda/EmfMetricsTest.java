package io.zkasg.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zkasg.core.port.Metrics.Metric;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EmfMetricsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void publish_shouldWriteOneEmbeddedMetricFormatDocument() throws Exception {
        // GIVEN
        var out = new ByteArrayOutputStream();
        var metrics = new EmfMetrics(JSON, new PrintStream(out, true, StandardCharsets.UTF_8),
                Clock.fixed(Instant.ofEpochMilli(1_764_072_000_000L), ZoneOffset.UTC), "zk-demo", () -> "corr-1");

        // WHEN
        metrics.publish(Map.of("NodeId", "2"), List.of(Metric.count("Serving", 1), Metric.millis("AvgLatency", 0.5)),
                Map.of("instanceId", "i-1"));

        // THEN
        var line = JSON.readValue(out.toString(StandardCharsets.UTF_8).strip(),
                new TypeReference<Map<String, Object>>() { });
        assertThat(line).containsEntry("Cluster", "zk-demo").containsEntry("NodeId", "2")
                .containsEntry("Serving", 1.0).containsEntry("AvgLatency", 0.5)
                .containsEntry("correlationId", "corr-1").containsEntry("instanceId", "i-1");
        assertThat(line.get("_aws")).isEqualTo(Map.of(
                "Timestamp", 1_764_072_000_000L,
                "CloudWatchMetrics", List.of(Map.of(
                        "Namespace", "zkasg",
                        "Dimensions", List.of(List.of("Cluster", "NodeId")),
                        "Metrics", List.of(Map.of("Name", "Serving", "Unit", "Count"),
                                Map.of("Name", "AvgLatency", "Unit", "Milliseconds"))))));
    }

    @Test
    void publish_shouldWriteNothing_whenNoMetric() {
        var out = new ByteArrayOutputStream();
        new EmfMetrics(JSON, new PrintStream(out, true, StandardCharsets.UTF_8), Clock.systemUTC(), "zk-demo",
                () -> "").publish(Map.of(), List.of(), Map.of());
        assertThat(out.size()).isZero();
    }
}
