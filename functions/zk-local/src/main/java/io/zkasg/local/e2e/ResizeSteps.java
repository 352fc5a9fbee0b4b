package io.zkasg.local.e2e;

import io.zkasg.flows.CloudDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The resize mode of the end-to-end scenario ({@code E2eScenario --resize}, issue 13): a 3-node group grows to 5 and
 * shrinks back to 3 online, while a client whose connect string lists only nodes 1-3 writes throughout.
 *
 * <p>Grow (a stack update raising {@code EnsembleSize} to 5): slots 4 and 5 are created, the group launches two
 * instances, the real launch hook claims the new slots and the template's bootstrap document starts them; they sync
 * without a vote; then the membership change, one server at a time: {@code zk-reconfig --add N=IP --from-version V}
 * on a serving member, each committed and synced before the next. Shrink (step 1, {@code ShrinkTo} 3): node 5 then
 * node 4 leave the configuration ({@code zk-reconfig --remove N --from-version V}), and after each the group
 * terminates exactly that member's instance (TerminateInstanceInAutoScalingGroup with the desired capacity
 * decremented): the real terminate hook stops it and releases its slot. Step 2 ({@code EnsembleSize} 3): the freed
 * volumes are snapshotted, as the slots' {@code DeletionPolicy: Snapshot} makes CloudFormation do.
 *
 * <p>Checks: no write refused for longer than an election ({@link E2eScenario#GAP_BOUND_MS}) in any phase, no session
 * expired; every acknowledged znode read back from every member of each configuration; the client's connect string
 * (nodes 1-3) never changed; the removed members' slots released (ENI and volume attached to nothing) and their
 * volumes kept with the member's data (its myid and ZooKeeper's files), in the snapshot too.
 */
final class ResizeSteps {

    /** One phase: how long it took, the client's longest write gap in it, the membership after it. */
    record Phase(String name, double seconds, long maxGapMs, String membership) {
    }

    /** A removed member: its slot released, its volume kept (what the volume and its snapshot hold). */
    record Removed(int nodeId, String instanceId, boolean eniReleased, boolean volumeReleased, String volumeId,
                   String volumeHolds, String snapshotId, String snapshotHolds) {
    }

    /** What the mode found; {@link #failures()} are its checks. */
    record Result(String controlPlane, List<String> joined, List<Phase> phases, List<String> verifyAtFive,
                  List<String> verifyAtThree, List<Removed> removed, int bgWritten, int sessionExpirations,
                  boolean connectUnchanged, String finalMembership) {

        List<String> failures() {
            var out = new ArrayList<String>();
            for (var p : phases) {
                if (p.maxGapMs() > E2eScenario.GAP_BOUND_MS) {
                    out.add(p.name() + ": the client could not write for " + p.maxGapMs() + " ms (bound "
                            + E2eScenario.GAP_BOUND_MS + " ms, an election)");
                }
            }
            if (verifyAtFive.size() != 5) {
                out.add("read back from " + verifyAtFive.size() + " of 5 members after the grow");
            }
            if (verifyAtThree.size() != 3) {
                out.add("read back from " + verifyAtThree.size() + " of 3 members after the shrink");
            }
            for (var v : concat(verifyAtFive, verifyAtThree)) {
                if (!v.contains(" missing=0 ")) {
                    out.add("znodes lost: " + v);
                }
            }
            if (removed.size() != 2) {
                out.add(removed.size() + " of 2 members removed");
            }
            for (var r : removed) {
                if (!r.eniReleased() || !r.volumeReleased()) {
                    out.add("node " + r.nodeId() + "'s slot not released (ENI " + r.eniReleased() + ", volume "
                            + r.volumeReleased() + ")");
                }
                var kept = "myid " + r.nodeId() + ", version-2";
                if (!r.volumeHolds().startsWith(kept) || !r.snapshotHolds().startsWith(kept)) {
                    out.add("node " + r.nodeId() + "'s data not kept: volume holds " + r.volumeHolds()
                            + ", snapshot holds " + r.snapshotHolds());
                }
            }
            if (!finalMembership.equals("1,2,3")) {
                out.add("the membership after the shrink is " + finalMembership + ", expected 1,2,3");
            }
            if (sessionExpirations > 0) {
                out.add("the client's session expired " + sessionExpirations + " times");
            }
            if (!connectUnchanged) {
                out.add("the client's connect string changed");
            }
            return out;
        }

        private static List<String> concat(List<String> a, List<String> b) {
            var all = new ArrayList<>(a);
            all.addAll(b);
            return all;
        }
    }

    private static final int PRE_ZNODES = 500;
    private static final Pattern SERVER_LINE = Pattern.compile("^server\\.(\\d+)=", Pattern.MULTILINE);
    private static final Pattern VERSION_LINE = Pattern.compile("^version=([0-9a-f]+)", Pattern.MULTILINE);

    private final E2eScenario scenario;
    private final List<Phase> phases = new ArrayList<>();

    ResizeSteps(E2eScenario scenario) {
        this.scenario = scenario;
    }

    /** Runs the mode, prints the figures and the checks; the exit code. */
    static int main(E2eScenario scenario) throws Exception {
        var r = scenario.runResize();
        var out = System.out;
        out.println();
        out.println("== figures (resize 3 -> 5 -> 3, membership changes by " + r.controlPlane() + ")");
        r.joined().forEach(j -> out.println("joined: " + j));
        for (var p : r.phases()) {
            out.printf("%-52s %7.2f s, longest write gap %5d ms, members %s%n", p.name(), p.seconds(),
                    p.maxGapMs(), p.membership());
        }
        r.removed().forEach(x -> out.printf("removed node %d (%s): ENI released %s, volume released %s; %s holds %s;"
                + " snapshot %s holds %s%n", x.nodeId(), x.instanceId(), x.eniReleased(), x.volumeReleased(),
                x.volumeId(), x.volumeHolds(), x.snapshotId(), x.snapshotHolds()));
        out.printf("client (connect string nodes 1-3): %d background writes, session expirations %d, connect "
                + "string unchanged %s; read back at 5: %s; at 3: %s%n", r.bgWritten(), r.sessionExpirations(),
                r.connectUnchanged(), r.verifyAtFive(), r.verifyAtThree());
        out.printf("load average %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
        var failures = r.failures();
        out.println();
        failures.forEach(f -> out.println("e2e resize: FAILED: " + f));
        out.println(failures.isEmpty() ? "e2e resize: all checks passed" : "");
        return failures.isEmpty() ? 0 : 1;
    }

    Result run() throws Exception {
        scenario.launchGroup();
        scenario.startClient();
        var connect = scenario.ask("connect");
        tl("== client on nodes 1-3 only (" + connect + "): " + scenario.ask("write " + PRE_ZNODES) + " ms for "
                + PRE_ZNODES + " znodes; background writes every 10 ms from now on");
        scenario.ask("bg start");
        E2eScenario.sleep(1000);
        scenario.ask("gap");

        // Grow: the stack update creates the slots, then raises the group (NodeGroup depends on SlotsCreated).
        var started = Instant.now();
        tl("== G1. stack update EnsembleSize 3 -> 5: slots 4 and 5 are created, the group launches two instances "
                + "(us-east-1a, us-east-1b); the launch hook claims the new slots");
        scenario.mirrorBack("the new slots' volumes are blank: their instances download ZooKeeper");
        scenario.addSlot(4);
        scenario.addSlot(5);
        var launched = List.of(scenario.cloud().launch(CloudDriver.demoAz(4)),
                scenario.cloud().launch(CloudDriver.demoAz(5)));
        var joined = new ArrayList<String>();
        for (var id : launched) {
            scenario.await(Duration.ofSeconds(240), () -> scenario.inService().containsKey(id)
                    || "Terminated".equals(scenario.cloud().lifecycleState(id)), id + " in service");
            if (!scenario.inService().containsKey(id)) {
                throw new IllegalStateException(id + " was abandoned: "
                        + E2eScenario.tail(scenario.local().node(id).log()));
            }
            int n = scenario.nodeIdOf(id);
            var node = scenario.local().node(id);
            var voting = members().contains(n);
            joined.add(String.format("node %d (%s): in service %.2f s after the update, serves as %s, %s",
                    n, id, E2eScenario.secs(started, scenario.inService().get(id)), scenario.mode(node),
                    voting ? "ALREADY A VOTING MEMBER" : "not yet a voting member"));
            tl("  " + joined.get(joined.size() - 1));
        }
        phase("G1. slots 4, 5 and their instances", started);

        var controlPlane = "zk-reconfig on a serving member (the design's call; the reconciler step is not wired)";
        for (int n : List.of(4, 5)) {
            started = Instant.now();
            tl("== G" + (n - 2) + ". node " + n + " becomes a participant");
            change("--add", n);
            scenario.await(Duration.ofSeconds(60), () -> syncedVoters() == membersOrEmpty().size() - 1,
                    "every voter synced with the leader");
            phase("G" + (n - 2) + ". add node " + n, started);
        }
        var atFive = verify(5);

        // Shrink, step 1 (ShrinkTo 3): highest node first; each removal committed before its instance goes.
        var removed = new ArrayList<Removed>();
        for (int n : List.of(5, 4)) {
            started = Instant.now();
            tl("== S" + (6 - n) + ". ShrinkTo 3: node " + n + " leaves the configuration, then its instance is "
                    + "terminated (desired capacity decremented) through the terminate hook");
            change("--remove", n);
            var slot = scenario.local().slot(n);
            var instance = scenario.cloud().eniHolder(slot.eniId()).orElseThrow();
            scenario.cloud().terminate(instance);
            try {
                scenario.await(Duration.ofSeconds(90), () -> "Terminated".equals(
                        scenario.cloud().lifecycleState(instance)), instance + " terminated through its hook");
            } catch (IllegalStateException e) {
                // Checked below (slot not released); the rest of the shrink still runs and is checked.
                tl("  " + instance + " still " + scenario.cloud().lifecycleState(instance) + " after 90 s");
            }
            removed.add(new Removed(n, instance, scenario.cloud().eniHolder(slot.eniId()).isEmpty(),
                    scenario.cloud().volumeHolder(slot.volumeId()).isEmpty(), slot.volumeId(),
                    holds(slot.image()), "", ""));
            phase("S" + (6 - n) + ". remove node " + n + ", terminate its instance", started);
        }

        // Step 2 (EnsembleSize 3, ShrinkTo empty): CloudFormation deletes the freed slots, snapshotting each volume.
        started = Instant.now();
        tl("== S3. stack update EnsembleSize 5 -> 3: the freed volumes are snapshotted (DeletionPolicy: Snapshot)");
        var kept = new ArrayList<Removed>();
        for (var r : removed) {
            var snapshot = scenario.cloud().snapshotVolume(r.volumeId());
            var image = scenario.local().runDir().resolve("snapshots/" + snapshot + ".img");
            kept.add(new Removed(r.nodeId(), r.instanceId(), r.eniReleased(), r.volumeReleased(), r.volumeId(),
                    r.volumeHolds(), snapshot, holds(image)));
        }
        phase("S3. snapshots of the freed volumes", started);
        var atThree = verify(3);

        E2eScenario.sleep(1000);
        var stopped = scenario.ask("bg stop");
        var gapLine = scenario.ask("gap").split(" ");
        var connectNow = scenario.ask("connect");
        scenario.ask("quit");
        return new Result(controlPlane, joined, phases, atFive, atThree, kept,
                Integer.parseInt(stopped.replaceAll("\\D+", " ").trim().split(" ")[0]),
                Integer.parseInt(gapLine[3]), connectNow.equals(connect), String.join(",",
                        membersOrEmpty().stream().map(String::valueOf).toList()));
    }

    // ---------------------------------------------------------------- the membership change

    /**
     * One membership change, as the design's control-plane step makes it: read the configuration and its version
     * from a serving member that stays, run {@code zk-reconfig --add N=IP | --remove N --from-version V} there, and
     * wait until the change is committed.
     */
    private void change(String how, int n) {
        var on = stayingMember(n);
        var conf = scenario.local().fourLetter(on, "conf");
        var version = match(VERSION_LINE, conf).orElseThrow(() -> new IllegalStateException("no version in " + conf));
        var arg = how.equals("--add") ? n + "=" + CloudDriver.demoIp(n) : Integer.toString(n);
        var result = zkReconfig(on, how, arg, "--from-version", version);
        tl("  zk-reconfig " + how + " " + arg + " --from-version " + version + " on node "
                + scenario.nodeIdOf(on.instanceId) + ": exit " + result.code() + ", " + lastLines(result.out()));
        if (!result.ok()) {
            throw new IllegalStateException("zk-reconfig " + how + " " + arg + " failed: " + result.out());
        }
        scenario.await(Duration.ofSeconds(60), () -> members().contains(n) == how.equals("--add"),
                "the configuration " + (how.equals("--add") ? "with" : "without") + " node " + n);
        tl("  committed: members " + membersOrEmpty() + " (version " + match(VERSION_LINE,
                scenario.local().fourLetter(on, "conf")).orElse("?") + ")");
    }

    /** The leader when it stays in the configuration, otherwise a serving member of nodes 1-3. */
    private LocalCloud.Node stayingMember(int leaving) {
        var leader = scenario.leader().orElseThrow(() -> new IllegalStateException("no leader"));
        if (scenario.nodeIdOf(leader.instanceId) != leaving) {
            return leader;
        }
        for (int n = 1; n <= 3; n++) {
            var holder = scenario.cloud().eniHolder(scenario.local().slot(n).eniId());
            if (holder.isPresent() && !scenario.mode(scenario.local().node(holder.get())).equals("down")) {
                return scenario.local().node(holder.get());
            }
        }
        throw new IllegalStateException("no serving member of nodes 1-3");
    }

    /** Runs the instance's own zk-reconfig (from the bundle its bootstrap unpacked) as Run Command would. */
    private Sh.Result zkReconfig(LocalCloud.Node node, String... args) {
        var bundles = node.root().resolve("opt/zkasg/bundles");
        Path script;
        try (var list = Files.list(bundles)) {
            script = list.map(d -> d.resolve("bin/zk-reconfig")).filter(Files::isRegularFile).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no zk-reconfig under " + bundles));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        var cmd = new ArrayList<String>(List.of("env"));
        scenario.local().nodeEnv(node).forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.addAll(List.of("bash", script.toString()));
        cmd.addAll(List.of(args));
        return scenario.local().inNetns(node.netns, cmd.toArray(String[]::new));
    }

    /** The voting members in the leader's configuration. */
    private TreeSet<Integer> members() {
        var leader = scenario.leader().orElseThrow(() -> new IllegalStateException("no leader"));
        var members = new TreeSet<Integer>();
        var m = SERVER_LINE.matcher(scenario.local().fourLetter(leader, "conf"));
        while (m.find()) {
            members.add(Integer.parseInt(m.group(1)));
        }
        return members;
    }

    private TreeSet<Integer> membersOrEmpty() {
        try {
            return members();
        } catch (IllegalStateException e) {
            return new TreeSet<>();
        }
    }

    /**
     * The leader's synced voting followers: its synced followers (every learner that is not an observer, a member
     * not yet in the configuration included) less the non-voting ones.
     */
    private int syncedVoters() {
        return scenario.leader().map(scenario::mntr).map(m -> (int) (E2eScenario.count(m, "zk_synced_followers")
                - E2eScenario.count(m, "zk_synced_non_voting_followers"))).orElse(-1);
    }

    // ---------------------------------------------------------------- checks

    /** Every acknowledged znode, read back from each of nodes 1..{@code size} (a session to that one server). */
    private List<String> verify(int size) throws IOException {
        var out = new ArrayList<String>();
        for (int n = 1; n <= size; n++) {
            var v = scenario.ask("verify " + CloudDriver.demoIp(n) + ":2181");
            tl("  " + v);
            out.add(v);
        }
        return out;
    }

    /** What an ext4 image holds at its root: "myid N, version-2 ..." (debugfs, read-only, not mounted). */
    private static String holds(Path image) {
        var myid = Sh.quiet("debugfs", "-R", "cat /myid", image.toString());
        var root = Sh.quiet("debugfs", "-R", "ls -p /", image.toString());
        if (!myid.ok() || !root.ok()) {
            return "unreadable: " + myid.out().strip();
        }
        var id = myid.out().lines().filter(l -> l.matches("\\d+")).findFirst().orElse("none");
        var names = new TreeSet<String>();
        root.out().lines().map(l -> l.split("/")).filter(f -> f.length > 5 && !f[5].isEmpty()
                && !f[5].equals(".") && !f[5].equals("..")).forEach(f -> names.add(f[5]));
        var versioned = names.remove("version-2");
        return "myid " + id + (versioned ? ", version-2" : "") + ", " + names;
    }

    private void phase(String name, Instant started) throws IOException {
        var gap = Long.parseLong(scenario.ask("gap").split(" ")[1]);
        var p = new Phase(name, E2eScenario.secs(started, Instant.now()), gap, membersOrEmpty().toString());
        phases.add(p);
        tl(String.format("  %s: %.2f s, longest write gap %d ms, members %s", p.name(), p.seconds(), p.maxGapMs(),
                p.membership()));
    }

    private static Optional<String> match(Pattern pattern, String text) {
        var m = pattern.matcher(text);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private static String lastLines(String out) {
        var lines = out.strip().lines().toList();
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    }

    private void tl(String line) {
        scenario.tl(line);
    }
}
