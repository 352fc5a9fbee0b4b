package io.zkasg.local.e2e;

import io.zkasg.flows.CloudDriver;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * The resize mode of the end-to-end scenario ({@code E2eScenario --resize}, issue 13): a 3-node group grows to 5 and
 * shrinks back to 3 online, while a client whose connect string lists only nodes 1-3 writes throughout. The membership
 * changes are the product's own: the health function's membership step (MembershipReconciler) run by its checks, with
 * the template's {@code <cluster>-reconfig} document; the scenario only makes the stack updates and the runs.
 *
 * <p>Grow (a stack update raising {@code EnsembleSize} to 5): slots 4 and 5 are created, the functions get
 * {@code ENSEMBLE_MEMBERS} 5, the group launches two instances; the real launch hook claims the new slots, finds them
 * outside the current configuration and has the bootstrap document start them as observers ({@code Join=observer}).
 * Then health runs, one a second: each adds at most one serving slot outside the configuration ({@code zk-reconfig
 * --add N=IP --from-version V} on a serving voter), holding the stop lease until the configuration shows it. Shrink
 * (step 1, {@code ShrinkTo} 3: {@code ENSEMBLE_MEMBERS} 3 and the group's MinSize 3): health runs remove node 5, then
 * node 4, and retire each removed member's instance with TerminateInstanceInAutoScalingGroup (desired capacity
 * decremented); the real terminate hook stops it and releases its slot. Step 2 ({@code EnsembleSize} 3): the freed
 * volumes are snapshotted, as the slots' {@code DeletionPolicy: Snapshot} makes CloudFormation do.
 *
 * <p>Checks: no write refused for longer than an election ({@link E2eScenario#GAP_BOUND_MS}) in any phase, no session
 * expired; every acknowledged znode read back from every member of each configuration; the client's connect string
 * (nodes 1-3) never changed; the removed members' instances retired by the health function, their slots released
 * (ENI and volume attached to nothing) and their volumes kept with the member's data (its myid and ZooKeeper's
 * files), in the snapshot too.
 */
final class ResizeSteps {

    /** One phase: how long it took, the client's longest write gap in it, the membership after it. */
    record Phase(String name, double seconds, long maxGapMs, String membership) {
    }

    /** A removed member: its slot released, its volume kept (what the volume and its snapshot hold). */
    record Removed(int nodeId, String instanceId, boolean retired, boolean eniReleased, boolean volumeReleased,
                   String volumeId, String volumeHolds, String snapshotId, String snapshotHolds) {
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
                if (!r.retired()) {
                    out.add("node " + r.nodeId() + "'s instance " + r.instanceId() + " was not retired by the health "
                            + "function (TerminateInstanceInAutoScalingGroup)");
                }
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
    /**
     * What the stack gives the functions besides {@link E2eScenario#ENV}: the reconfig document (template.yaml's
     * ReconfigDocument, {@code <cluster>-reconfig}) and the members of a 3-node stack.
     */
    static final Map<String, String> STACK_ENV = Map.of("RECONFIG_DOCUMENT", "zk-demo-reconfig",
            "ENSEMBLE_MEMBERS", "3");
    private static final String CONTROL_PLANE = "the health function's membership step (MembershipReconciler, "
            + "zk-demo-reconfig document, ENSEMBLE_MEMBERS)";
    private static final Pattern JOURNAL_EVENT = Pattern.compile(
            "\"(reconfig-[a-z]+|member-retired|retire-failed|joining-as-observer|stop-lease-refused|stop-sent"
                    + "|stop-skipped)\"");
    private static final Pattern SERVER_LINE = Pattern.compile("^server\\.(\\d+)=", Pattern.MULTILINE);

    private final E2eScenario scenario;
    private final List<Phase> phases = new ArrayList<>();
    private int journalSeen;

    ResizeSteps(E2eScenario scenario) {
        this.scenario = scenario;
    }

    /** Runs the mode, prints the figures and the checks; the exit code. */
    static int main(E2eScenario scenario) throws Exception {
        var r = scenario.runResize();
        print(System.out, r);
        var failures = r.failures();
        System.out.println();
        failures.forEach(f -> System.out.println("e2e resize: FAILED: " + f));
        System.out.println(failures.isEmpty() ? "e2e resize: all checks passed" : "");
        return failures.isEmpty() ? 0 : 1;
    }

    /** The figures of a run, with the load average at its end. */
    static void print(PrintStream out, Result r) throws IOException {
        out.println();
        out.println("== figures (resize 3 -> 5 -> 3, membership changes by " + r.controlPlane() + ")");
        r.joined().forEach(j -> out.println("joined: " + j));
        for (var p : r.phases()) {
            out.printf("%-52s %7.2f s, longest write gap %5d ms, members %s%n", p.name(), p.seconds(),
                    p.maxGapMs(), p.membership());
        }
        r.removed().forEach(x -> out.printf("removed node %d (%s): retired %s, ENI released %s, volume released %s; "
                + "%s holds %s; snapshot %s holds %s%n", x.nodeId(), x.instanceId(), x.retired(), x.eniReleased(),
                x.volumeReleased(),
                x.volumeId(), x.volumeHolds(), x.snapshotId(), x.snapshotHolds()));
        out.printf("client (connect string nodes 1-3): %d background writes, session expirations %d, connect "
                + "string unchanged %s; read back at 5: %s; at 3: %s%n", r.bgWritten(), r.sessionExpirations(),
                r.connectUnchanged(), r.verifyAtFive(), r.verifyAtThree());
        out.printf("load average %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
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

        // Grow: the stack update creates the slots, sets ENSEMBLE_MEMBERS, then raises the group (NodeGroup depends
        // on SlotsCreated).
        var started = Instant.now();
        tl("== G1. stack update EnsembleSize 3 -> 5: slots 4 and 5 are created, the functions get ENSEMBLE_MEMBERS "
                + "5, the group launches two instances (us-east-1a, us-east-1b); the launch hook claims the new "
                + "slots and, finding them outside the configuration, bootstraps them as observers");
        scenario.updateFunctionEnv(Map.of("ENSEMBLE_MEMBERS", "5"));
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
            var voting = membersOrEmpty().contains(n);
            joined.add(String.format("node %d (%s): in service %.2f s after the update, serves as %s, %s",
                    n, id, E2eScenario.secs(started, scenario.inService().get(id)), scenario.mode(node),
                    voting ? "ALREADY A VOTING MEMBER" : "not yet a voting member"));
            tl("  " + joined.get(joined.size() - 1));
        }
        journalEvents();
        phase("G1. slots 4, 5 and their instances (observers)", started);

        // The health function's runs add them, one at a time: the run that sees node 4's add committed sends node
        // 5's (the changes' times are the journal's reconfig-sent / reconfig-committed lines on the timeline).
        started = Instant.now();
        tl("== G2. health runs until nodes 4 and 5 are voting members (one change at a time, 4 first)");
        int runs = healthUntil(Duration.ofSeconds(180), "nodes 4 and 5 in the configuration",
                () -> membersOrEmpty().containsAll(List.of(4, 5)));
        scenario.await(Duration.ofSeconds(60), () -> syncedVoters() == membersOrEmpty().size() - 1,
                "every voter synced with the leader");
        phase("G2. add node 4, then node 5 (" + runs + " health runs)", started);
        var atFive = verify(5);

        // Shrink, step 1 (ShrinkTo 3: ENSEMBLE_MEMBERS 3, the group's MinSize 3): the health function's runs remove
        // node 5, then node 4, and retire each one's instance through TerminateInstanceInAutoScalingGroup.
        tl("== stack update ShrinkTo 3: the functions get ENSEMBLE_MEMBERS 3, the group's MinSize 3");
        scenario.updateFunctionEnv(Map.of("ENSEMBLE_MEMBERS", "3"));
        var removed = new ArrayList<Removed>();
        // The members' instances, read before the runs start; the run that sees node 5's removal committed retires
        // its instance and sends node 4's removal.
        var instances = Map.of(5, holderOf(5), 4, holderOf(4));
        started = Instant.now();
        tl("== S1. health runs until nodes 5 and 4 have left the configuration (5 first) and their instances are "
                + "terminated (desired capacity decremented) through the terminate hook");
        runs = -1;
        try {
            runs = healthUntil(Duration.ofSeconds(240), "nodes 5 and 4 removed and their instances terminated",
                    () -> !membersOrEmpty().isEmpty() && !membersOrEmpty().contains(5) && !membersOrEmpty().contains(4)
                            && instances.values().stream().allMatch(
                                    i -> "Terminated".equals(scenario.cloud().lifecycleState(i))));
        } catch (IllegalStateException e) {
            // Checked below (slots not released, instances not retired); the rest of the shrink still runs.
            tl("  " + e.getMessage());
        }
        for (int n : List.of(5, 4)) {
            var slot = scenario.local().slot(n);
            var instance = instances.get(n);
            removed.add(new Removed(n, instance, scenario.cloud().terminatedInGroup().contains(instance),
                    scenario.cloud().eniHolder(slot.eniId()).isEmpty(),
                    scenario.cloud().volumeHolder(slot.volumeId()).isEmpty(), slot.volumeId(),
                    holds(slot.image()), "", ""));
        }
        phase("S1. remove node 5, then node 4, retire their instances (" + runs + " health runs)", started);

        // Step 2 (EnsembleSize 3, ShrinkTo empty): CloudFormation deletes the freed slots, snapshotting each volume.
        started = Instant.now();
        tl("== S2. stack update EnsembleSize 5 -> 3: the freed volumes are snapshotted (DeletionPolicy: Snapshot)");
        var kept = new ArrayList<Removed>();
        for (var r : removed) {
            var snapshot = scenario.cloud().snapshotVolume(r.volumeId());
            var image = scenario.local().runDir().resolve("snapshots/" + snapshot + ".img");
            kept.add(new Removed(r.nodeId(), r.instanceId(), r.retired(), r.eniReleased(), r.volumeReleased(),
                    r.volumeId(), r.volumeHolds(), snapshot, holds(image)));
        }
        phase("S2. snapshots of the freed volumes", started);
        var atThree = verify(3);

        E2eScenario.sleep(1000);
        var stopped = scenario.ask("bg stop");
        var gapLine = scenario.ask("gap").split(" ");
        var connectNow = scenario.ask("connect");
        scenario.ask("quit");
        return new Result(CONTROL_PLANE, joined, phases, atFive, atThree, kept,
                Integer.parseInt(stopped.replaceAll("\\D+", " ").trim().split(" ")[0]),
                Integer.parseInt(gapLine[3]), connectNow.equals(connect), String.join(",",
                        membersOrEmpty().stream().map(String::valueOf).toList()));
    }

    // ---------------------------------------------------------------- the product's membership step

    /**
     * Runs the health function (as its schedule would, here one run a second) until {@code done}: each run checks
     * the ensemble and its membership step makes the next change (the reconfig document on a serving voter, the
     * stop lease held until the configuration shows it) or retires a removed member's instance. Returns the runs.
     */
    private int healthUntil(Duration limit, String what, BooleanSupplier done) throws IOException {
        var deadline = Instant.now().plus(limit);
        int runs = 0;
        while (!done.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(what + ": not reached after " + runs + " health runs in "
                        + limit.toSeconds() + " s (members " + membersOrEmpty() + ", stop lease "
                        + scenario.stopLeaseHolder() + ")");
            }
            scenario.healthRun();
            runs++;
            journalEvents();
            E2eScenario.sleep(1000);
        }
        return runs;
    }

    /** The instance holding node {@code n}'s slot. */
    private String holderOf(int n) {
        return scenario.cloud().eniHolder(scenario.local().slot(n).eniId())
                .orElseThrow(() -> new IllegalStateException("no instance holds slot " + n));
    }

    /** The functions' journal lines about membership since the last call, on the timeline. */
    private void journalEvents() throws IOException {
        var lines = Files.readAllLines(scenario.local().runDir().resolve("journal.log"));
        for (int i = journalSeen; i < lines.size(); i++) {
            var m = JOURNAL_EVENT.matcher(lines.get(i));
            if (m.find()) {
                var line = lines.get(i);
                tl("  journal: " + (line.length() > 300 ? line.substring(0, 300) + "..." : line));
            }
        }
        journalSeen = lines.size();
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

    private void tl(String line) {
        scenario.tl(line);
    }
}
