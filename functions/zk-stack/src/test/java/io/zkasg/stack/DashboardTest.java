package io.zkasg.stack;

import static io.zkasg.stack.CfnTemplate.list;
import static io.zkasg.stack.CfnTemplate.map;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zkasg.core.HealthSettings;
import io.zkasg.core.model.ServerFigures;
import io.zkasg.flows.CloudDriver;
import io.zkasg.flows.Functions;
import io.zkasg.lambda.Wiring;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CloudWatch dashboard of template.yaml shows only metrics that exist: every metric it names (namespace, name,
 * dimensions and their values) is one the functions publish. The published set is not a list kept here: it is read
 * from the embedded-metric-format lines the real handlers write while a scenario runs on the fake cloud (launches,
 * an ABANDONed launch, a terminate held by the quorum guard and resumed, a replacement waiting for its slot, health
 * checks with mntr figures, a stop whose status event is lost and which the reconciler re-drives), and the health
 * function's figures of a seven-node ensemble. For each ensemble size, every per-node widget has one row per node of
 * that size and none for a slot the stack does not have.
 */
@ParameterizedClass(name = "EnsembleSize {0}")
@ValueSource(strings = {"3", "5", "7"})
class DashboardTest {

    /** The widgets with one row per node. */
    private static final List<String> PER_NODE = List.of("Serving", "Leader", "ConsecutiveFailures",
            "OutstandingRequests", "AvgLatency", "ZnodeCount");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String I1 = "i-0aaaaaaaaaaaaaaa1";
    private static final String I2 = "i-0bbbbbbbbbbbbbbb2";
    private static final String I3 = "i-0ccccccccccccccc3";
    private static final String I4 = "i-0ddddddddddddddd4";
    private static final String I5 = "i-0eeeeeeeeeeeeeee5";

    private static CfnTemplate template;
    private static Set<String> emitted;

    @Parameter
    String ensembleSize;

    @BeforeParameterizedClassInvocation
    static void load(String ensembleSize) throws IOException {
        template = CfnTemplate.load(CfnTemplate.locate(), Map.of("ClusterName", "zk-demo",
                "EnsembleSize", ensembleSize));
        if (emitted == null) {
            emitted = emittedMetrics();
            emitted.addAll(emittedBySevenNodes());
        }
    }

    @Test
    void everyMetricOnTheDashboard_shouldBeOneTheFunctionsPublish() throws IOException {
        var shown = dashboardMetrics();
        assertThat(shown).as("metrics on the dashboard").hasSizeGreaterThan(40);
        var unknown = new TreeSet<>(shown);
        unknown.removeAll(emitted);
        assertThat(unknown).as("dashboard metrics no function publishes (published: " + emitted + ")").isEmpty();
    }

    @Test
    void dashboard_shouldShowWhatAnOperatorWatches() throws IOException {
        var names = new TreeSet<String>();
        dashboardMetrics().forEach(m -> names.add(m.split(" ")[1]));
        assertThat(names).contains("Serving", "Leader", "OutstandingRequests", "AvgLatency", "ZnodeCount",
                "HookContinued", "HookAbandoned", "Duration", "AwsCalls", "Throttles", "SdkRetries", "ServingNodes",
                "BelowQuorum", "WaitingActions", "StaleWaits", "WaitsRedriven", "CommandStatusRecovered");
        // Each per-node figure for every node of the stack, each per-invocation figure for every action published.
        var actions = new TreeSet<String>();
        emitted.stream().filter(m -> m.contains("Action=")).forEach(m -> actions.add(m.replaceAll(".*Action=", "")
                .replaceAll("[,}].*", "")));
        assertThat(actions).contains("launch", "launch-resume", "command-status", "terminate", "terminate-resume",
                "health");
        for (var figure : List.of("Duration", "AwsCalls", "Throttles", "SdkRetries")) {
            for (var action : actions) {
                assertThat(dashboardMetrics()).as(figure + " of " + action)
                        .contains("zkasg " + figure + " {Action=" + action + ", Cluster=zk-demo}");
            }
        }
    }

    @Test
    void perNodeWidgets_shouldHaveARowForEveryNodeOfTheEnsemble_andNoneForASlotItDoesNotHave() throws IOException {
        int size = Integer.parseInt(ensembleSize);
        for (var figure : PER_NODE) {
            var rows = new TreeSet<String>();
            for (var widget : list(dashboard().get("widgets"))) {
                for (var metric : rows(map(widget))) {
                    if (metric.startsWith("zkasg " + figure + " {")) {
                        rows.add(metric);
                    }
                }
            }
            var expected = new TreeSet<String>();
            for (int node = 1; node <= size; node++) {
                expected.add("zkasg " + figure + " {Cluster=zk-demo, NodeId=" + node + "}");
            }
            assertThat(rows).as(figure + " rows of a " + size + "-node dashboard").isEqualTo(expected);
        }
    }

    @Test
    void alarmWidget_shouldShowTheStacksAlarms() throws IOException {
        var alarms = new TreeSet<String>();
        for (var widget : list(dashboard().get("widgets"))) {
            if ("alarm".equals(map(widget).get("type"))) {
                list(map(map(widget).get("properties")).get("alarms")).forEach(a -> alarms.add(String.valueOf(a)));
            }
        }
        var expected = new TreeSet<String>();
        template.resourcesOfType("AWS::CloudWatch::Alarm").forEach(id -> expected.add("<" + id + ".Arn>"));
        assertThat(alarms).isEqualTo(expected).hasSize(3);
    }

    @Test
    void check_shouldTellAMetricWithTheWrongDimensionsFromAPublishedOne() {
        // Serving is published per node only; the ensemble's count is ServingNodes. A dashboard line that drops the
        // NodeId (or adds one to ServingNodes) would show nothing, and must not pass.
        assertThat(emitted)
                .contains("zkasg Serving {Cluster=zk-demo, NodeId=1}", "zkasg ServingNodes {Cluster=zk-demo}")
                .doesNotContain("zkasg Serving {Cluster=zk-demo}", "zkasg ServingNodes {Cluster=zk-demo, NodeId=1}",
                        "zkasg Duration {Cluster=zk-demo}");
    }

    // ------------------------------------------------------------------------------------------------- helpers

    private static Map<String, Object> dashboard() throws IOException {
        var body = template.resolveString(template.properties("Dashboard").get("DashboardBody"));
        return JSON.readValue(body, new TypeReference<Map<String, Object>>() { });
    }

    /** Every metric row of every metric widget, as "namespace name {dimension=value, ...}". */
    private static Set<String> dashboardMetrics() throws IOException {
        var out = new TreeSet<String>();
        for (var widget : list(dashboard().get("widgets"))) {
            out.addAll(rows(map(widget)));
        }
        return out;
    }

    /** The metric rows of one widget (none for a widget that is not a metric widget). */
    private static List<String> rows(Map<String, Object> widget) {
        var out = new ArrayList<String>();
        if (!"metric".equals(widget.get("type"))) {
            return out;
        }
        for (var row : list(map(widget.get("properties")).get("metrics"))) {
            var items = new ArrayList<>(list(row));
            if (!items.isEmpty() && items.get(items.size() - 1) instanceof Map) {
                items.remove(items.size() - 1);
            }
            assertThat(items.size() % 2).as("namespace, name, then dimension pairs: " + row).isZero();
            assertThat(items).as("a full row (no \".\" shorthand): " + row).doesNotContain(".");
            var dimensions = new TreeMap<String, String>();
            for (var i = 2; i < items.size(); i += 2) {
                dimensions.put(String.valueOf(items.get(i)), String.valueOf(items.get(i + 1)));
            }
            out.add(items.get(0) + " " + items.get(1) + " " + dimensions);
        }
        return out;
    }

    /** Runs the functions through a scenario that makes each of them publish, and reads their EMF lines. */
    private static Set<String> emittedMetrics() throws IOException {
        var log = new ByteArrayOutputStream();
        var out = new PrintStream(log, true, StandardCharsets.UTF_8);
        var demo = CloudDriver.demo(11, out);
        var cloud = demo.cloud();
        var zk = demo.zk();
        // The production wiring counts the SDK's retries (ProductionWiring); so does this one.
        var wiring = Wiring.over(demo.settings(), new Wiring.Ports(cloud.ec2(), cloud.autoScaling(),
                cloud.ssm(), cloud.resumeQueue(), zk, demo.lease()),
                demo.clock(),
                cloud::advance, new SplittableRandom(11), CloudDriver.testBundle(), out)
                .withHealth(zk, HealthSettings.defaults())
                .countingSdkRetries(() -> { }, () -> 0);
        var functions = new Functions(wiring);
        var driver = new CloudDriver(demo.clock(), cloud, zk, demo.lease(), demo.settings(), functions);

        cloud.launch(I1, "us-east-1a");
        cloud.launch(I2, "us-east-1b");
        cloud.launch(I3, "us-east-1c");
        driver.runUntilQuiet(Duration.ofMinutes(10));
        zk.serving("10.0.1.10", "leader").serving("10.0.2.10", "follower").serving("10.0.3.10", "follower");
        zk.figures(new ServerFigures("10.0.1.10", "leader", 12, 0, 0.5, 2, 2))
                .figures(new ServerFigures("10.0.2.10", "follower", 12, 0, 0.4, -1, -1))
                .figures(new ServerFigures("10.0.3.10", "follower", 12, 1, 0.6, -1, -1));
        health(functions, 1);
        // No free slot in us-east-1a: ABANDON.
        cloud.launch(I4, "us-east-1a");
        driver.runUntilQuiet(Duration.ofMinutes(10));
        // Node 3 down, node 2 asked to leave: the quorum guard holds the terminate and resumes it later; node 2's
        // replacement waits (resumes) until the slot is given back.
        zk.down("10.0.3.10");
        cloud.terminate(I2);
        cloud.launch(I5, "us-east-1b");
        driver.runUntilQuiet(Duration.ofMinutes(2));
        zk.serving("10.0.3.10", "follower");
        driver.runUntilQuiet(Duration.ofMinutes(10));
        health(functions, 2);
        // Node 3 leaves and its stop command's status event is lost: the reconciler (in the health function) finds
        // the wait stale and re-drives it, and the resumption reads from SSM how the stop ended.
        cloud.terminate(I3);
        var lost = new java.util.concurrent.atomic.AtomicBoolean();
        driver.runWithHealth(Duration.ofMinutes(15), d -> d instanceof io.zkasg.testkit.Delivery.CommandStatus s
                && s.instanceId().equals(I3) && !s.status().equals("InProgress") && lost.compareAndSet(false, true));
        assertThat(lost).as("the stop's status event was dropped").isTrue();

        return published(log);
    }

    /** The per-node figures the health function publishes for a seven-node ensemble, every node serving. */
    private static Set<String> emittedBySevenNodes() throws IOException {
        var log = new ByteArrayOutputStream();
        var driver = CloudDriver.ensemble(7, new PrintStream(log, true, StandardCharsets.UTF_8),
                CloudDriver.DEMO_ENV, 7);
        for (int node = 1; node <= 7; node++) {
            driver.cloud().launch(String.format("i-0%016x", node), CloudDriver.demoAz(node));
        }
        driver.runUntilQuiet(Duration.ofMinutes(10));
        for (int node = 1; node <= 7; node++) {
            var ip = CloudDriver.demoIp(node);
            driver.zk().serving(ip, node == 1 ? "leader" : "follower")
                    .figures(new ServerFigures(ip, node == 1 ? "leader" : "follower", 12, 0, 0.5, -1, -1));
        }
        driver.health();
        return published(log);
    }

    /** The metrics of the embedded-metric-format lines in {@code log}, as "namespace name {dimension=value}". */
    private static Set<String> published(ByteArrayOutputStream log) throws IOException {
        var metrics = new TreeSet<String>();
        for (var line : log.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.startsWith("{") || !line.contains("\"_aws\"")) {
                continue;
            }
            Map<String, Object> entry = JSON.readValue(line, new TypeReference<Map<String, Object>>() { });
            for (var directive : list(map(entry.get("_aws")).get("CloudWatchMetrics"))) {
                var namespace = map(directive).get("Namespace");
                for (var set : list(map(directive).get("Dimensions"))) {
                    var dimensions = new TreeMap<String, String>();
                    list(set).forEach(d -> dimensions.put(String.valueOf(d), String.valueOf(entry.get(d))));
                    for (var metric : list(map(directive).get("Metrics"))) {
                        metrics.add(namespace + " " + map(metric).get("Name") + " " + dimensions);
                    }
                }
            }
        }
        return metrics;
    }

    private static void health(Functions functions, int run) {
        var event = "{\"id\":\"health-run-" + run + "\",\"source\":\"aws.events\",\"detail-type\":\"Scheduled Event\","
                + "\"time\":\"2026-11-25T12:30:00Z\",\"detail\":{}}";
        functions.health(event.getBytes(StandardCharsets.UTF_8));
    }
}
