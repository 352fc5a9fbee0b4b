package io.zkasg.core.port;

import java.util.List;
import java.util.Map;

/**
 * Where the use cases publish figures for dashboards and alarms (in Lambda: CloudWatch embedded metric format lines).
 * Every metric also carries the cluster as a dimension; {@code dimensions} adds more (e.g. NodeId).
 */
public interface Metrics {

    /** Publishes {@code metrics} at once under these extra dimensions, with {@code properties} as context only. */
    void publish(Map<String, String> dimensions, List<Metric> metrics, Map<String, ?> properties);

    /** One value; {@code unit} is a CloudWatch unit name (Count, Milliseconds, None). */
    record Metric(String name, double value, String unit) {

        public static Metric count(String name, double value) {
            return new Metric(name, value, "Count");
        }

        public static Metric millis(String name, double value) {
            return new Metric(name, value, "Milliseconds");
        }
    }

    /** Publishes nothing (tools and tests that do not look at metrics). */
    Metrics NONE = (dimensions, metrics, properties) -> { };
}
