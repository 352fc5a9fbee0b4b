package io.zkasg.flows;

import io.zkasg.core.HealthSettings;
import io.zkasg.core.ResizeSettings;
import io.zkasg.core.ScriptBundle;
import io.zkasg.core.Settings;
import io.zkasg.lambda.Wiring;
import io.zkasg.testkit.Delivery;
import io.zkasg.testkit.EventJson;
import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.FakeClock;
import io.zkasg.testkit.FakeStopLease;
import io.zkasg.testkit.FakeZk;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * Runs the orchestrator's real functions against the in-memory cloud: delivers each event the cloud emits (lifecycle
 * actions, command statuses, resume messages) to the function that would receive it in AWS, as JSON.
 */
public final class CloudDriver {

    /** The demo cluster: three slots in us-east-1a/b/c. */
    public static final Map<String, String> DEMO_ENV = Map.of(
            "CLUSTER_NAME", "zk-demo",
            "ASG_NAME", "zk-demo-asg",
            "LAUNCH_HOOK_NAME", "zk-demo-launch",
            "TERMINATE_HOOK_NAME", "zk-demo-terminate",
            "BOOTSTRAP_DOCUMENT", "zk-demo-bootstrap",
            "STOP_DOCUMENT", "zk-demo-stop",
            "HEARTBEAT_TIMEOUT_SECONDS", "900");
    public static final List<String> DEMO_AZS = List.of("us-east-1a", "us-east-1b", "us-east-1c");

    private final FakeClock clock;
    private final FakeCloud cloud;
    private final FakeZk zk;
    private final FakeStopLease lease;
    private final Settings settings;
    private final Functions functions;
    private final List<String> transcript = new ArrayList<>();
    private int messages;

    public CloudDriver(FakeClock clock, FakeCloud cloud, FakeZk zk, FakeStopLease lease, Settings settings,
                       Functions functions) {
        this.clock = clock;
        this.cloud = cloud;
        this.zk = zk;
        this.lease = lease;
        this.settings = settings;
        this.functions = functions;
    }

    /** A driver over a fresh fake cloud seeded with the demo cluster, one slot per AZ (node ids 1, 2, 3). */
    public static CloudDriver demo(long seed, PrintStream log) {
        return demo(seed, log, DEMO_ENV, 1);
    }

    /** Like {@link #demo(long, PrintStream)} with other settings and {@code slotsPerAz} slots in each AZ. */
    public static CloudDriver demo(long seed, PrintStream log, Map<String, String> env, int slotsPerAz) {
        return demo(seed, log, env, slotsPerAz, Instant.parse("2026-11-25T12:00:00Z"));
    }

    /** Like {@link #demo(long, PrintStream, Map, int)} with the clock starting at {@code start}. */
    public static CloudDriver demo(long seed, PrintStream log, Map<String, String> env, int slotsPerAz,
                                   Instant start) {
        return ensemble(seed, log, env, slotsPerAz * DEMO_AZS.size(), start, UnaryOperator.identity());
    }

    /**
     * A driver over the demo cluster with {@code nodes} slots spread over the three AZs as template.yaml spreads
     * them (node n in AZ ((n-1) mod 3)+1: 5 = 2+2+1, 7 = 3+2+2), at {@link #demoIp(int)}.
     */
    public static CloudDriver ensemble(long seed, PrintStream log, Map<String, String> env, int nodes) {
        return ensemble(seed, log, env, nodes, Instant.parse("2026-11-25T12:00:00Z"), UnaryOperator.identity());
    }

    /**
     * Like {@link #ensemble(long, PrintStream, Map, int)}, the functions calling the cloud through {@code around}
     * the fake's ports (a model check wraps them to interleave and crash at every call).
     */
    public static CloudDriver ensemble(long seed, PrintStream log, Map<String, String> env, int nodes,
                                       Instant start, UnaryOperator<Wiring.Ports> around) {
        var clock = new FakeClock(start);
        var settings = Settings.fromEnv(env);
        var cloud = new FakeCloud(clock).group(settings.groupName(), settings.launchHookName(),
                settings.terminateHookName(), settings.heartbeatTimeout());
        for (int node = 1; node <= nodes; node++) {
            cloud.addSlot(settings.cluster().clusterTagKey(), settings.cluster().clusterName(),
                    settings.nodeIdTagKey(), node, demoAz(node), demoIp(node));
        }
        // Every server answers as a follower, node 1 as the leader: a good ensemble, for the quorum guard and the
        // health function alike.
        var zk = new FakeZk().serving("10.0.1.10", "leader");
        var lease = new FakeStopLease(clock);
        var ports = around.apply(new Wiring.Ports(cloud.ec2(), cloud.autoScaling(), cloud.ssm(), cloud.resumeQueue(),
                zk, lease));
        var wiring = Wiring.over(settings, ports, clock, cloud::advance, new SplittableRandom(seed), testBundle(), log)
                .withHealth(ports.zk(), HealthSettings.defaults()).withResize(ResizeSettings.fromEnv(env));
        return new CloudDriver(clock, cloud, zk, lease, settings, new Functions(wiring));
    }

    /**
     * The same cloud, servers, stop lease and clock, with the functions wired anew from {@code env}: what a stack
     * update that changes the functions' environment does (ENSEMBLE_MEMBERS during a shrink, for one).
     */
    public CloudDriver withEnv(Map<String, String> env, long seed, PrintStream log) {
        return withEnv(env, seed, log, UnaryOperator.identity());
    }

    /** Like {@link #withEnv(Map, long, PrintStream)}, the functions calling the cloud through {@code around}. */
    public CloudDriver withEnv(Map<String, String> env, long seed, PrintStream log,
                               UnaryOperator<Wiring.Ports> around) {
        var updated = Settings.fromEnv(env);
        var ports = around.apply(new Wiring.Ports(cloud.ec2(), cloud.autoScaling(), cloud.ssm(), cloud.resumeQueue(),
                zk, lease));
        var wiring = Wiring.over(updated, ports, clock, cloud::advance, new SplittableRandom(seed), testBundle(), log)
                .withHealth(ports.zk(), HealthSettings.defaults()).withResize(ResizeSettings.fromEnv(env));
        return new CloudDriver(clock, cloud, zk, lease, updated, new Functions(wiring));
    }

    /** The AZ of the demo cluster's node {@code node}: the slots go round the three AZs. */
    public static String demoAz(int node) {
        return DEMO_AZS.get((node - 1) % DEMO_AZS.size());
    }

    /**
     * What Auto Scaling replaces for a group of desired capacity {@code nodes} laid out as the demo cluster: the AZ of
     * every slot that no instance holds any more (an abandoned launch, a terminated member), once per such slot.
     */
    public static List<String> missingAzs(FakeCloud cloud, int nodes) {
        var azs = new ArrayList<String>();
        for (int node = 1; node <= nodes; node++) {
            azs.add(demoAz(node));
        }
        for (var id : cloud.instanceIds()) {
            var state = cloud.lifecycleState(id);
            if (!state.equals("Terminated") && !state.equals("Detached") && !state.startsWith("Terminating")) {
                azs.remove(cloud.instanceAz(id));
            }
        }
        return azs;
    }

    /** The static address of the demo cluster's node {@code node}: 10.0.&lt;AZ&gt;.&lt;10 + round&gt;. */
    public static String demoIp(int node) {
        return "10.0." + ((node - 1) % DEMO_AZS.size() + 1) + "." + (10 + (node - 1) / DEMO_AZS.size());
    }

    /** A small stand-in for the scripts bundle where no instance runs the scripts. */
    public static ScriptBundle testBundle() {
        return new ScriptBundle("dGVzdA==", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    }

    public FakeCloud cloud() {
        return cloud;
    }

    /** The ZooKeeper servers as the functions' probe sees them. */
    public FakeZk zk() {
        return zk;
    }

    /** The cluster's stop lease (shared by every function of this driver). */
    public FakeStopLease lease() {
        return lease;
    }

    public FakeClock clock() {
        return clock;
    }

    public Settings settings() {
        return settings;
    }

    public Functions functions() {
        return functions;
    }

    /** How many stop commands (the stop document) the functions have sent to {@code instanceId}. */
    public long stops(String instanceId) {
        return cloud.commandsSent().stream()
                .filter(c -> c.documentName().equals(settings.stopDocument()) && c.instanceId().equals(instanceId))
                .count();
    }

    /** One line per delivery and its result. */
    public List<String> transcript() {
        return List.copyOf(transcript);
    }

    public void clearTranscript() {
        transcript.clear();
    }

    /** Delivers one event or message to its function and returns the function's summary. */
    public Map<String, Object> deliver(Delivery delivery) {
        Map<String, Object> result;
        if (delivery instanceof Delivery.Lifecycle lifecycle) {
            var json = EventJson.lifecycle(lifecycle, clock.instant());
            var bytes = json.getBytes(StandardCharsets.UTF_8);
            result = lifecycle.isLaunch() ? functions.launch(bytes) : functions.terminate(bytes);
        } else if (delivery instanceof Delivery.CommandStatus status) {
            result = functions.commandStatus(EventJson.commandStatus(status, clock.instant())
                    .getBytes(StandardCharsets.UTF_8));
        } else {
            var resume = (Delivery.Resume) delivery;
            var ok = functions.resume("msg-" + ++messages, functions.encode(resume.ticket()));
            result = new LinkedHashMap<>(Map.of("outcome", ok ? "Resumed" : "RetryLater"));
        }
        transcript.add(clock.instant() + " " + describe(delivery) + " -> " + result);
        return result;
    }

    /** Delivers everything that falls due, moving time forward, until nothing is pending or {@code limit} passes. */
    public void runUntilQuiet(Duration limit) {
        var end = clock.instant().plus(limit);
        while (clock.instant().isBefore(end)) {
            var due = cloud.takeDue();
            if (!due.isEmpty()) {
                due.forEach(this::deliver);
                continue;
            }
            var next = cloud.nextDue();
            if (next.isEmpty()) {
                return;
            }
            clock.set(next.get().isAfter(end) ? end : next.get());
        }
    }

    /**
     * Like {@link #runUntilQuiet} with the health function scheduled every minute (as EventBridge runs it), and the
     * deliveries {@code lost} accepts dropped (a lost event or message). Runs for the whole {@code duration}.
     */
    public void runWithHealth(Duration duration, java.util.function.Predicate<Delivery> lost) {
        var end = clock.instant().plus(duration);
        var nextHealth = clock.instant();
        while (clock.instant().isBefore(end)) {
            var due = cloud.takeDue();
            for (var d : due) {
                if (lost.test(d)) {
                    transcript.add(clock.instant() + " " + describe(d) + " -> LOST");
                } else {
                    deliver(d);
                }
            }
            if (!due.isEmpty()) {
                continue;
            }
            if (!clock.instant().isBefore(nextHealth)) {
                health();
                nextHealth = clock.instant().plus(Settings.HEALTH_PERIOD);
                continue;
            }
            var next = cloud.nextDue().filter(n -> n.isBefore(end)).orElse(end);
            clock.set(next.isAfter(nextHealth) ? nextHealth : next);
        }
        cloud.tick();
    }

    /** One run of the health function (and its reconciler), as the schedule invokes it. */
    public Map<String, Object> health() {
        var event = "{\"id\":\"health-" + ++messages + "\",\"source\":\"aws.events\","
                + "\"detail-type\":\"Scheduled Event\",\"time\":\"" + clock.instant() + "\",\"detail\":{}}";
        var result = functions.health(event.getBytes(StandardCharsets.UTF_8));
        transcript.add(clock.instant() + " health -> redriven " + result.get("redriven"));
        return result;
    }

    static String describe(Delivery delivery) {
        if (delivery instanceof Delivery.Lifecycle l) {
            return (l.isLaunch() ? "launch " : "terminate ") + l.instanceId();
        } else if (delivery instanceof Delivery.CommandStatus s) {
            return "command " + s.documentName() + " " + s.status() + " " + s.instanceId();
        }
        var r = (Delivery.Resume) delivery;
        return "resume " + r.ticket().instanceId() + " attempt " + r.ticket().attempt();
    }
}
