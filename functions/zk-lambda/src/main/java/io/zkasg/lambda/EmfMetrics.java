package io.zkasg.lambda;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zkasg.core.port.Metrics;
import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@link Metrics} as CloudWatch embedded metric format: one JSON log line per publication, which CloudWatch Logs turns
 * into metrics of namespace {@value #NAMESPACE} without any API call from the function. The line has the
 * {@code _aws} metadata (Timestamp in epoch milliseconds, one metric directive with the namespace, one dimension set
 * and the metric names and units), then the dimension values and metric values as top-level members, then context
 * properties (correlation id, instance id...) that stay searchable in the logs but are not dimensions.
 */
public final class EmfMetrics implements Metrics {

    public static final String NAMESPACE = "zkasg";
    /** The dimension every metric carries: the cluster name. */
    public static final String CLUSTER = "Cluster";

    private final ObjectMapper json;
    private final PrintStream out;
    private final Clock clock;
    private final String cluster;
    private final Supplier<String> correlationId;

    public EmfMetrics(ObjectMapper json, PrintStream out, Clock clock, String cluster,
                      Supplier<String> correlationId) {
        this.json = json;
        this.out = out;
        this.clock = clock;
        this.cluster = cluster;
        this.correlationId = correlationId;
    }

    @Override
    public void publish(Map<String, String> dimensions, List<Metric> metrics, Map<String, ?> properties) {
        if (metrics.isEmpty()) {
            return;
        }
        var dimensionNames = new ArrayList<String>();
        dimensionNames.add(CLUSTER);
        dimensionNames.addAll(dimensions.keySet());
        var definitions = metrics.stream().map(m -> Map.of("Name", m.name(), "Unit", m.unit())).toList();
        var directive = new LinkedHashMap<String, Object>();
        directive.put("Namespace", NAMESPACE);
        directive.put("Dimensions", List.of(dimensionNames));
        directive.put("Metrics", definitions);
        var aws = new LinkedHashMap<String, Object>();
        aws.put("Timestamp", clock.millis());
        aws.put("CloudWatchMetrics", List.of(directive));

        var line = new LinkedHashMap<String, Object>();
        line.put("_aws", aws);
        line.put(CLUSTER, cluster);
        line.putAll(dimensions);
        for (var metric : metrics) {
            line.put(metric.name(), metric.value());
        }
        line.put("correlationId", correlationId.get());
        properties.forEach(line::putIfAbsent);
        try {
            out.println(json.writeValueAsString(line));
        } catch (JsonProcessingException e) {
            out.println("{\"level\":\"ERROR\",\"step\":\"metrics-failed\",\"error\":\"" + e.getClass().getName()
                    + "\"}");
        }
    }
}
