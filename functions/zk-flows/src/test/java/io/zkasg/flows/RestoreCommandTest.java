package io.zkasg.flows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zkasg.core.model.EniView;
import io.zkasg.core.model.VolumeView;
import io.zkasg.core.port.ClusterTags;
import io.zkasg.testkit.Delivery;
import io.zkasg.testkit.CloudState;
import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.stub.AwsStubServer;
import io.zkasg.testkit.stub.AwsStubServer.Request;
import io.zkasg.testkit.stub.AwsStubServer.Response;
import io.zkasg.testkit.stub.FakeCloudEndpoint;
import io.zkasg.testkit.stub.OperatorEndpoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * scripts/ops/zk-restore, run as an operator runs it: the real AWS CLI, pointed with AWS_ENDPOINT_URL at the fake
 * cloud served over the AWS wire protocols, while the real functions run the hooks (terminate with its quorum guard,
 * launch, command status) in the background and Auto Scaling replaces what is terminated in the same AZ. Asserts on
 * the fake cloud: which volume each slot runs on, what happened to the old one, and in which order.
 */
class RestoreCommandTest {

    private static final String CLUSTER = "zk-demo";
    private static final List<String> IPS = List.of("10.0.1.10", "10.0.2.10", "10.0.3.10");

    private final CloudDriver driver = CloudDriver.demo(5, new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8));
    private final FakeCloud cloud = driver.cloud();
    private final ClusterTags cluster = driver.settings().cluster();
    private final Map<String, String> ipOf = new ConcurrentHashMap<>();
    private final Map<String, String> azOf = new ConcurrentHashMap<>();
    private final Map<String, String> commandStatus = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> terminated = new ConcurrentLinkedQueue<>();
    private final Ensemble ensemble = new Ensemble();
    private final List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
    private AwsStubServer stub;
    private Thread autoScaling;
    private volatile boolean running = true;

    @BeforeEach
    void ensembleInService() {
        assumeTrue(onPath("aws"), "the AWS CLI is not installed: run scripts/test/install-deps");
        cloud.listener(new CloudState.Listener() {
            @Override
            public void onLaunched(String instanceId, String az) {
                azOf.put(instanceId, az);
            }

            @Override
            public void onEniAttached(String eniId, String mac, String ip, String instanceId) {
                ipOf.put(instanceId, ip);
            }

            @Override
            public void onTerminated(String instanceId) {
                events.add("terminated " + instanceId);
                terminated.add(instanceId);
                ensemble.gone(instanceId);
            }

            @Override
            public void onCommandSent(CloudState.CommandInfo command) {
                events.add("command " + command.documentName() + " " + command.instanceId());
                var document = command.documentName();
                if (document.equals("AWS-RunShellScript") || document.equals(driver.settings().stopDocument())) {
                    ensemble.stopped(command.instanceId());
                } else if (document.equals(driver.settings().bootstrapDocument())) {
                    ensemble.started(command.commandId(), command.instanceId());
                }
            }
        });
        cloud.ssm().commandOutcome(ensemble::outcome);
        for (int n = 0; n < 3; n++) {
            cloud.launch(String.format("i-0%016x", n + 1), CloudDriver.DEMO_AZS.get(n));
        }
        driver.runUntilQuiet(Duration.ofMinutes(10));
        assertThat(IPS).allSatisfy(ip -> assertThat(driver.zk().probe(ip, 2181, Duration.ofSeconds(1)).serving())
                .as(ip).isTrue());
        assertThat(inService()).hasSize(3);

        stub = AwsStubServer.start();
        FakeCloudEndpoint.serve(stub, cloud, cluster);
        serveRestoreOperations();
        autoScaling = new Thread(this::runHooks, "auto-scaling");
        autoScaling.setDaemon(true);
        autoScaling.start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        running = false;
        if (autoScaling != null) {
            autoScaling.join(5_000);
        }
        if (stub != null) {
            stub.close();
        }
    }

    @Test
    void node_shouldRunTheSlotOnAVolumeFromItsSnapshot_andKeepTheOldOne() throws Exception {
        var old = slotVolume(2);
        var snapshot = cloud.snapshotVolume(old.volumeId());
        var holder = slotHolder(2);

        var run = restore("node", "--cluster", CLUSTER, "--node-id", "2", "--snapshot", snapshot, "--yes");

        assertThat(run.code()).as(run.output()).isZero();
        var restored = slotVolume(2);
        assertThat(restored.volumeId()).isNotEqualTo(old.volumeId());
        assertThat(cloud.restoredFrom(restored.volumeId())).contains(snapshot);
        assertThat(restored.availabilityZone()).isEqualTo("us-east-1b");
        var newHolder = slotHolder(2);
        assertThat(newHolder).isNotEqualTo(holder);
        assertThat(restored.attachments()).singleElement()
                .satisfies(a -> assertThat(a.instanceId()).isEqualTo(newHolder));
        assertThat(cloud.lifecycleState(newHolder)).isEqualTo("InService");
        assertThat(cloud.lifecycleState(holder)).isEqualTo("Terminated");
        var kept = volume(old.volumeId());
        assertThat(kept.tags()).doesNotContainKeys("zkasg:cluster", "zkasg:node-id")
                .containsEntry("zkasg:replaced-by", restored.volumeId());
        assertThat(kept.attachments()).isEmpty();
        // Nodes 1 and 3 were left alone, and no ZooKeeper was stopped outside the terminate hook.
        assertThat(slotVolume(1).attachments()).hasSize(1);
        assertThat(slotVolume(3).attachments()).hasSize(1);
        assertThat(events).noneMatch(e -> e.startsWith("command AWS-RunShellScript"));
    }

    @Test
    void node_shouldRefuseASnapshotOfAnotherNodeOrCluster_beforeAnyChange() throws Exception {
        var ofNode1 = cloud.snapshotVolume(slotVolume(1).volumeId());
        var other = cloud.addSlot("zkasg:cluster", "zk-other", "zkasg:node-id", 2, "us-east-1b", "10.9.2.10");
        var ofOtherCluster = cloud.snapshotVolume(cloud.allVolumes().stream()
                .filter(v -> "zk-other".equals(v.tags().get("zkasg:cluster"))).findFirst().orElseThrow().volumeId());
        assertThat(other).isNotBlank();
        var before = slotVolume(2);

        var wrongNode = restore("node", "--cluster", CLUSTER, "--node-id", "2", "--snapshot", ofNode1, "--yes");
        var wrongCluster = restore("node", "--cluster", CLUSTER, "--node-id", "2", "--snapshot", ofOtherCluster,
                "--yes");

        assertThat(wrongNode.code()).as(wrongNode.output()).isEqualTo(3);
        assertThat(wrongNode.output()).contains("refused").contains("zk-demo' node '1'");
        assertThat(wrongCluster.code()).as(wrongCluster.output()).isEqualTo(3);
        assertThat(wrongCluster.output()).contains("zk-other");
        assertThat(stub.requests()).extracting(Request::operation)
                .doesNotContain("CreateVolume", "CreateTags", "DeleteTags", "TerminateInstanceInAutoScalingGroup");
        assertThat(slotVolume(2)).isEqualTo(before);
    }

    @Test
    void ensemble_shouldStopEveryServerFirst_thenRunEverySlotOnItsSnapshotAtThePoint() throws Exception {
        var point = new LinkedHashMap<Integer, String>();
        for (int n = 1; n <= 3; n++) {
            point.put(n, cloud.snapshotVolume(slotVolume(n).volumeId()));
        }
        var at = driver.clock().instant().plusSeconds(30);
        cloud.advance(Duration.ofHours(1));
        for (int n = 1; n <= 3; n++) {
            cloud.snapshotVolume(slotVolume(n).volumeId());
        }
        var holders = new ArrayList<String>();
        for (int n = 1; n <= 3; n++) {
            holders.add(slotHolder(n));
        }

        var run = restore("ensemble", "--cluster", CLUSTER, "--at", at.toString(), "--yes");

        assertThat(run.code()).as(run.output()).isZero();
        assertThat(run.output()).contains("stop your clients' writes");
        // No terminate waited the stop lease's whole length for a replacement that cannot serve alone (a restored
        // server serves only once a majority of the ensemble runs): each stop found the lease given back.
        // (A bootstrap may still end Failed here and its launch be replaced, as in AWS: the script's CLI calls take
        // real seconds while the cloud's clock runs hundreds of times faster, so terminates a second apart are
        // minutes apart for zk-start's wait.)
        assertThat(driver.lease().expiredTakeovers()).isEmpty();
        assertThat(IPS).allSatisfy(ip -> assertThat(driver.zk().probe(ip, 2181, Duration.ofSeconds(1)).serving())
                .as(ip).isTrue());
        for (int n = 1; n <= 3; n++) {
            var restored = slotVolume(n);
            assertThat(cloud.restoredFrom(restored.volumeId())).as("node " + n).contains(point.get(n));
            var holder = slotHolder(n);
            assertThat(holders).doesNotContain(holder);
            assertThat(restored.attachments()).singleElement()
                    .satisfies(a -> assertThat(a.instanceId()).isEqualTo(holder));
            assertThat(cloud.lifecycleState(holder)).isEqualTo("InService");
        }
        // Every old server was told to stop before the first one was terminated.
        var firstTermination = indexOf(e -> e.startsWith("terminated "));
        for (var holder : holders) {
            assertThat(indexOf(e -> e.equals("command AWS-RunShellScript " + holder)))
                    .as("stop of " + holder + " in " + events).isGreaterThanOrEqualTo(0)
                    .isLessThan(firstTermination);
        }
    }

    @Test
    void ensemble_shouldChangeNothing_withoutConfirmation() throws Exception {
        for (int n = 1; n <= 3; n++) {
            cloud.snapshotVolume(slotVolume(n).volumeId());
        }
        var at = driver.clock().instant().plusSeconds(1);

        var run = restore("ensemble", "--cluster", CLUSTER, "--at", at.toString());

        assertThat(run.code()).as(run.output()).isEqualTo(3);
        assertThat(run.output()).contains("not confirmed");
        assertThat(stub.requests()).extracting(Request::operation)
                .doesNotContain("CreateVolume", "SendCommand", "TerminateInstanceInAutoScalingGroup");
    }

    // ------------------------------------------------------------------------------------- the cloud around it

    /** Delivers the hooks' events to the functions and replaces terminated instances, as Auto Scaling would. */
    private void runHooks() {
        while (running) {
            var due = cloud.takeDue();
            for (var delivery : due) {
                if (delivery instanceof Delivery.CommandStatus status
                        && status.documentName().equals("AWS-RunShellScript")) {
                    // The stack's rule only matches its own documents; the CLI reads this one's status.
                    commandStatus.put(status.commandId() + "/" + status.instanceId(), status.status());
                } else {
                    driver.deliver(delivery);
                }
            }
            String gone;
            while ((gone = terminated.poll()) != null) {
                var az = azOf.get(gone);
                if (az != null) {
                    cloud.launch(az);
                }
            }
            if (due.isEmpty()) {
                cloud.advance(Duration.ofSeconds(1));
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** The operator's operations; a status the CLI reads is the one delivered so far (the stack's rule skips it). */
    private void serveRestoreOperations() {
        OperatorEndpoint.serve(stub, cloud, cluster);
        stub.on("GetCommandInvocation", r -> {
            var body = r.json();
            var status = commandStatus.getOrDefault(body.get("CommandId") + "/" + body.get("InstanceId"),
                    "InProgress");
            return new Response(200, "{\"CommandId\":\"" + body.get("CommandId") + "\",\"InstanceId\":\""
                    + body.get("InstanceId") + "\",\"Status\":\"" + status + "\"}");
        });
    }

    /**
     * ZooKeeper servers as they behave: a server runs from its bootstrap (zk-start) until it is stopped (zk-stop, the
     * restore's systemctl stop) or its instance is gone, and serves only while a majority of the ensemble runs;
     * otherwise it answers imok but "not currently serving requests". A bootstrap succeeds once its server serves
     * (zk-start waits for leader or follower) and fails after zk-start's bounded wait
     * ({@code ZKASG_START_TIMEOUT}, 300 s) when it never does.
     */
    private final class Ensemble {

        private static final Duration START_TIMEOUT = Duration.ofSeconds(300);
        private final Map<String, java.time.Instant> running = new LinkedHashMap<>();
        private final Map<String, java.time.Instant> bootstraps = new LinkedHashMap<>();

        synchronized void started(String commandId, String instanceId) {
            bootstraps.put(commandId, driver.clock().instant());
            running.put(instanceId, driver.clock().instant());
            update();
        }

        synchronized void stopped(String instanceId) {
            running.remove(instanceId);
            update();
        }

        synchronized void gone(String instanceId) {
            stopped(instanceId);
        }

        /** The bootstrap's end as zk-start's: Success once serving, Failed after its wait; the others Success. */
        synchronized String outcome(CloudState.CommandInfo command) {
            var sent = bootstraps.get(command.commandId());
            if (sent == null) {
                return "Success";
            }
            if (running.containsKey(command.instanceId()) && serving()) {
                return "Success";
            }
            return driver.clock().instant().isBefore(sent.plus(START_TIMEOUT)) ? null : "Failed";
        }

        private boolean serving() {
            return running.size() >= IPS.size() / 2 + 1;
        }

        private void update() {
            var runningIps = new ArrayList<String>();
            running.keySet().forEach(id -> java.util.Optional.ofNullable(ipOf.get(id)).ifPresent(runningIps::add));
            for (var ip : IPS) {
                if (!runningIps.contains(ip)) {
                    driver.zk().down(ip);
                } else if (serving()) {
                    driver.zk().serving(ip, ip.equals(runningIps.get(0)) ? "leader" : "follower");
                } else {
                    driver.zk().notServing(ip);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    private record Run(int code, String output) {
    }

    private Run restore(String... args) throws IOException, InterruptedException {
        var command = new ArrayList<String>();
        command.add("bash");
        command.add(script().toString());
        command.addAll(List.of(args));
        var process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        var env = process.environment();
        stub.pointCli(env);
        env.put("ZKASG_POLL_INTERVAL", "0.2");
        env.put("ZKASG_RESTORE_TIMEOUT", "120");
        var started = process.start();
        var out = new String(started.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!started.waitFor(180, TimeUnit.SECONDS)) {
            started.destroyForcibly();
        }
        return new Run(started.exitValue(), out);
    }

    private static Path script() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            var candidate = dir.resolve("scripts/ops/zk-restore");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("scripts/ops/zk-restore not found");
    }

    private static boolean onPath(String tool) {
        var path = System.getenv().getOrDefault("PATH", "");
        for (var dir : path.split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    private VolumeView slotVolume(int node) {
        var matching = cloud.allVolumes().stream().filter(v -> CLUSTER.equals(v.tags().get("zkasg:cluster"))
                && Integer.toString(node).equals(v.tags().get("zkasg:node-id"))).toList();
        assertThat(matching).as("volumes of node " + node).hasSize(1);
        return matching.get(0);
    }

    private VolumeView volume(String id) {
        return cloud.allVolumes().stream().filter(v -> v.volumeId().equals(id)).findFirst().orElseThrow();
    }

    private String slotHolder(int node) {
        return cloud.ec2().clusterEnis(cluster).stream()
                .filter(e -> Integer.toString(node).equals(e.tags().get("zkasg:node-id")))
                .map(EniView::attachment).flatMap(java.util.Optional::stream)
                .map(EniView.Attachment::instanceId).findFirst().orElse("");
    }

    private List<String> inService() {
        var out = new ArrayList<String>();
        for (int n = 1; n <= 3; n++) {
            var holder = slotHolder(n);
            if (!holder.isEmpty() && cloud.lifecycleState(holder).equals("InService")) {
                out.add(holder);
            }
        }
        return out;
    }

    private int indexOf(Predicate<String> which) {
        synchronized (events) {
            for (int i = 0; i < events.size(); i++) {
                if (which.test(events.get(i))) {
                    return i;
                }
            }
        }
        return Integer.MAX_VALUE;
    }
}
