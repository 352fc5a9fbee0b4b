package io.zkasg.local.e2e;

import io.zkasg.core.Settings;
import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.stub.AwsStubServer;
import io.zkasg.testkit.stub.FakeCloudEndpoint;
import io.zkasg.testkit.stub.OperatorEndpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The restore mode of the end-to-end scenario ({@code E2eScenario --restore}): scripts/ops/zk-restore, run as an
 * operator runs it (the real AWS CLI) against the local cloud's AWS endpoint, where a snapshot is a copy of the node's
 * loop image taken with its filesystem frozen and a volume from a snapshot a copy of that image on a loop device.
 *
 * <p>A 3-node group serves; the client writes 200 znodes under /e2e/before; every data volume is snapshotted
 * (CreateSnapshot with the cluster and node id tags, as the stack's DLM policy copies them): the point; then 200
 * znodes under /e2e/after and a second round of snapshots. Node: a follower (the lowest node id that does not lead, so
 * that the leader whose counters tell how it synced stays) is restored from its snapshot at the point; it starts on
 * data without /e2e/after, and ZooKeeper's rule holds: a restored follower takes the leader's newer history (DIFF, or
 * SNAP when it is too far behind), so every server, the restored one included, then has /e2e/after: the
 * ensemble keeps the newest data. Ensemble: every node restored to the point (its --at lies between the two rounds);
 * every server then serves /e2e/before and none has /e2e/after.
 */
final class RestoreSteps {

    /** What the restore mode found; {@link #failures()} are its checks. */
    record Result(int node, double nodeRestoreS, String nodeSync, int nodeBefore, int nodeAfter,
                  List<String> nodeRelease, double ensembleRestoreS, Map<Integer, Integer> ensembleBefore,
                  Map<Integer, Integer> ensembleAfter, boolean ensembleLeads) {

        List<String> failures() {
            var out = new ArrayList<String>(nodeRelease);
            if (nodeBefore != ZNODES || nodeAfter != ZNODES) {
                out.add("node restore: node " + node + " serves " + nodeBefore + " znodes under /e2e/before and "
                        + nodeAfter + " under /e2e/after, expected " + ZNODES + " and " + ZNODES
                        + " (synced from the leader)");
            }
            if (!nodeSync.equals("DIFF") && !nodeSync.equals("SNAP")) {
                out.add("node restore: the restored node's rejoin was " + nodeSync + ", expected DIFF or SNAP");
            }
            for (int n = 1; n <= 3; n++) {
                if (ensembleBefore.getOrDefault(n, -2) != ZNODES || ensembleAfter.getOrDefault(n, -2) != -1) {
                    out.add("ensemble restore: node " + n + " serves " + ensembleBefore.get(n) + " znodes under "
                            + "/e2e/before and " + ensembleAfter.get(n) + " under /e2e/after, expected " + ZNODES
                            + " and none (/e2e/after written after the point)");
                }
            }
            if (!ensembleLeads) {
                out.add("ensemble restore: no leader after the restore");
            }
            return out;
        }
    }

    static final int ZNODES = 200;

    private final E2eScenario scenario;
    private final FakeCloud cloud;
    private final LocalCloud local;
    private final String cluster;
    private final Set<String> replaced = ConcurrentHashMap.newKeySet();
    private volatile boolean scaling = true;

    RestoreSteps(E2eScenario scenario) {
        this.scenario = scenario;
        this.cloud = scenario.cloud();
        this.local = scenario.local();
        this.cluster = Settings.fromEnv(E2eScenario.ENV).cluster().clusterName();
    }

    Result run() throws Exception {
        scenario.launchGroup();
        scenario.startClient();
        try (var stub = AwsStubServer.start()) {
            FakeCloudEndpoint.serve(stub, cloud, Settings.fromEnv(E2eScenario.ENV).cluster());
            OperatorEndpoint.serve(stub, cloud, Settings.fromEnv(E2eScenario.ENV).cluster());
            var autoScaling = new Thread(this::replaceTerminated, "auto-scaling");
            autoScaling.setDaemon(true);
            autoScaling.start();
            try {
                return steps(stub);
            } finally {
                scaling = false;
                autoScaling.join(5_000);
            }
        }
    }

    private Result steps(AwsStubServer stub) throws Exception {
        tl("== R1. the client writes " + ZNODES + " znodes under /e2e/before; every data volume is snapshotted");
        tl("  " + scenario.ask("write " + ZNODES + " before"));
        var point = snapshotAll(stub);
        var at = point.values().stream().map(this::startTime).max(Instant::compareTo).orElseThrow()
                .truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        while (!Instant.now().isAfter(at.plusSeconds(1))) {
            E2eScenario.sleep(100);
        }
        tl("== R2. then " + ZNODES + " znodes under /e2e/after, and a second round of snapshots");
        tl("  " + scenario.ask("write " + ZNODES + " after"));
        snapshotAll(stub);

        var leaderBefore = scenario.leader().orElseThrow();
        int node = follower(leaderBefore.instanceId);
        tl("== R3. zk-restore node " + node + " (a follower) from " + point.get(node)
                + " (the point: /e2e/before only)");
        var oldHolder = cloud.eniHolder(local.slot(node).eniId()).orElseThrow();
        var oldVolume = slotVolume(node);
        var countsBefore = scenario.mntr(leaderBefore);
        var started = System.nanoTime();
        restore(stub, "node", "--cluster", cluster, "--node-id", Integer.toString(node), "--snapshot",
                point.get(node), "--yes");
        var nodeS = (System.nanoTime() - started) / 1e9;
        scenario.await(Duration.ofSeconds(60), () -> scenario.leader().map(l -> scenario.mntr(l)
                .getOrDefault("zk_synced_followers", "0").equals("2")).orElse(false), "three-node ensemble synced");
        var leaderAfter = scenario.leader().orElseThrow();
        var countsAfter = scenario.mntr(leaderAfter);
        var sync = "unknown (the leader changed)";
        if (leaderAfter.instanceId.equals(leaderBefore.instanceId)) {
            var snap = E2eScenario.count(countsAfter, "zk_snap_count") - E2eScenario.count(countsBefore,
                    "zk_snap_count");
            var diff = E2eScenario.count(countsAfter, "zk_diff_count") - E2eScenario.count(countsBefore,
                    "zk_diff_count");
            sync = snap > 0 ? "SNAP" : diff > 0 ? "DIFF" : "none";
        }
        var nodeRelease = nodeRelease(node, oldHolder, oldVolume);
        nodeRelease.forEach(f -> tl("  " + f));
        var nodeBefore = count(node, "/e2e/before");
        var nodeAfter = count(node, "/e2e/after");
        tl(String.format("  node %d restored in %.1f s; it rejoined with a %s from the leader and now serves %d znodes"
                + " under /e2e/before, %d under /e2e/after (written after its snapshot: the ensemble keeps the newest"
                + " data)", node, nodeS, sync, nodeBefore, nodeAfter));

        tl("== R4. zk-restore ensemble --at " + at + " (after the first round of snapshots, before /e2e/after)");
        started = System.nanoTime();
        restore(stub, "ensemble", "--cluster", cluster, "--at", at.toString(), "--yes");
        scenario.await(Duration.ofSeconds(90), () -> scenario.leader().map(l -> scenario.mntr(l)
                .getOrDefault("zk_synced_followers", "0").equals("2")).orElse(false), "restored ensemble synced");
        var ensembleS = (System.nanoTime() - started) / 1e9;
        var before = new LinkedHashMap<Integer, Integer>();
        var after = new LinkedHashMap<Integer, Integer>();
        for (int n = 1; n <= 3; n++) {
            before.put(n, count(n, "/e2e/before"));
            after.put(n, count(n, "/e2e/after"));
        }
        var leads = scenario.leader().isPresent();
        tl(String.format("  ensemble restored in %.1f s (stop, volumes, three replacements, election); per node "
                + "/e2e/before %s, /e2e/after %s (-1: gone)", ensembleS, before, after));
        tl(String.format("restore figures: node restore %.1f s, ensemble restore %.1f s (load %s)", nodeS, ensembleS,
                java.nio.file.Files.readString(Path.of("/proc/loadavg")).strip()));
        return new Result(node, nodeS, sync, nodeBefore, nodeAfter, nodeRelease, ensembleS, before, after, leads);
    }

    /**
     * What the node restore must have done to the old instance and its volume: its server stopped by the terminate
     * hook (a server left running beside the replacement is a second voter with the same id), the slot released
     * without forcing anything, and the old volume kept, detached and marked replaced-by the restored one.
     */
    private List<String> nodeRelease(int node, String oldHolder, String oldVolume) throws IOException {
        var out = new ArrayList<String>();
        var settings = Settings.fromEnv(E2eScenario.ENV);
        if (cloud.commandsSent().stream().noneMatch(c -> c.instanceId().equals(oldHolder)
                && c.documentName().equals(settings.stopDocument()))) {
            out.add("node restore: no stop command went to the old instance " + oldHolder);
        }
        var journal = java.nio.file.Files.readAllLines(local.runDir().resolve("journal.log")).stream()
                .filter(l -> l.contains(oldHolder)).toList();
        if (journal.stream().anyMatch(l -> l.contains("\"step\":\"force-detach"))) {
            out.add("node restore: the old instance's release was forced or left to the termination");
        }
        if (journal.stream().noneMatch(l -> l.contains("\"step\":\"hook-completed")
                && l.contains("\"reason\":\"slot released\""))) {
            out.add("node restore: the old instance's terminate did not end with its slot released");
        }
        var restored = slotVolume(node);
        var kept = cloud.allVolumes().stream().filter(v -> v.volumeId().equals(oldVolume)).findFirst();
        if (kept.isEmpty() || !kept.get().attachments().isEmpty()
                || kept.get().tags().containsKey("zkasg:node-id")
                || !restored.equals(kept.get().tags().get("zkasg:replaced-by"))) {
            out.add("node restore: the old volume " + oldVolume + " is not kept detached and marked replaced-by "
                    + restored + ": " + kept);
        }
        return out;
    }

    /** The lowest node id whose slot the leader does not hold. */
    private int follower(String leader) {
        for (int n = 1; n <= 3; n++) {
            if (!cloud.eniHolder(local.slot(n).eniId()).orElse("").equals(leader)) {
                return n;
            }
        }
        throw new IllegalStateException("every slot is held by the leader " + leader);
    }

    private String slotVolume(int n) {
        var node = Integer.toString(n);
        return cloud.allVolumes().stream().filter(v -> cluster.equals(v.tags().get("zkasg:cluster"))
                && node.equals(v.tags().get("zkasg:node-id"))).findFirst().orElseThrow().volumeId();
    }

    /** Snapshots every slot's data volume through the endpoint, tagged as DLM tags it; node id to snapshot id. */
    private Map<Integer, String> snapshotAll(AwsStubServer stub) throws IOException, InterruptedException {
        var out = new LinkedHashMap<Integer, String>();
        for (int n = 1; n <= 3; n++) {
            var volume = slotVolume(n);
            var id = aws(stub, "ec2", "create-snapshot", "--volume-id", volume, "--output", "text", "--query",
                    "SnapshotId", "--tag-specifications", "ResourceType=snapshot,Tags=[{Key=zkasg:cluster,Value="
                            + cluster + "},{Key=zkasg:node-id,Value=" + n + "}]").strip();
            out.put(n, id);
        }
        tl("  snapshots " + out);
        return out;
    }

    private Instant startTime(String snapshotId) {
        return cloud.snapshots().stream().filter(s -> s.snapshotId().equals(snapshotId)).findFirst().orElseThrow()
                .startTime();
    }

    /** The children of {@code path} on node {@code n}'s server (a new session, after a sync); -1: no such znode. */
    private int count(int n, String path) throws IOException {
        var reply = scenario.ask("children 10.0." + n + ".10:2181 " + path);
        return Integer.parseInt(reply.split(" ")[1]);
    }

    /** Auto Scaling's part: an instance terminated out of the group is replaced by a launch in its AZ. */
    private void replaceTerminated() {
        while (scaling) {
            for (var id : cloud.instanceIds()) {
                var state = cloud.lifecycleState(id);
                var node = local.node(id);
                if (state != null && state.startsWith("Terminating") && node != null && replaced.add(id)) {
                    tl("  auto scaling: " + id + " is " + state + "; launching its replacement in " + node.az);
                    cloud.launch(node.az);
                }
            }
            E2eScenario.sleep(200);
        }
    }

    private void restore(AwsStubServer stub, String... args) throws IOException, InterruptedException {
        var command = new ArrayList<String>(List.of("bash", E2eScenario.repoRoot().resolve("scripts/ops/zk-restore")
                .toString()));
        command.addAll(List.of(args));
        var process = cli(stub, command).start();
        try (var lines = process.inputReader(StandardCharsets.UTF_8)) {
            String line;
            while ((line = lines.readLine()) != null) {
                tl("  " + line);
            }
        }
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IllegalStateException("zk-restore " + args[0] + " failed (exit " + process.exitValue() + ")");
        }
    }

    private String aws(AwsStubServer stub, String... args) throws IOException, InterruptedException {
        var command = new ArrayList<String>(List.of("aws"));
        command.addAll(List.of(args));
        var process = cli(stub, command).start();
        var out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException("aws " + String.join(" ", args) + ": " + out);
        }
        return out;
    }

    /** A process with the operator's AWS CLI environment, pointed at the local cloud's endpoint. */
    private static ProcessBuilder cli(AwsStubServer stub, List<String> command) {
        var builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        var env = builder.environment();
        stub.pointCli(env);
        env.put("ZKASG_POLL_INTERVAL", "0.5");
        env.put("ZKASG_RESTORE_TIMEOUT", "300");
        return builder;
    }

    private void tl(String line) {
        scenario.tl(line);
    }
}
