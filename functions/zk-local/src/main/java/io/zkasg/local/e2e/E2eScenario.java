package io.zkasg.local.e2e;

import io.zkasg.core.HealthSettings;
import io.zkasg.core.ResizeSettings;
import io.zkasg.core.Settings;
import io.zkasg.core.model.ServerHealth;
import io.zkasg.core.port.ZkProbe;
import io.zkasg.flows.CloudDriver;
import io.zkasg.flows.Functions;
import io.zkasg.lambda.Wiring;
import io.zkasg.local.LocalRunner;
import io.zkasg.local.ShrunkArtifact;
import io.zkasg.testkit.Delivery;
import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.FakeStopLease;
import io.zkasg.testkit.FakeClock;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * The whole system on one machine (root): the real handlers and core over {@link LocalCloud} (the fake cloud's rules
 * with network namespaces, veth ENIs and loop-device volumes), the real instance scripts started by Run Command, a
 * real 3-node ZooKeeper ensemble and a client on the fixed connect string. Prints a timeline and the figures.
 *
 * <p>Steps: launch a 3-node group; write 2,000 znodes and keep writing; crash node 2 (SIGKILL, no hook) and let the
 * group replace it on its kept volume; terminate node 3 through the terminate hook and replace it; crash node 1 and
 * replace it on a blank volume (the SNAP baseline); a follower's ZooKeeper frozen with SIGSTOP for one slow check is
 * not counted, frozen for good it is marked unhealthy by the health function after the N-th failed check, terminated
 * through the hook and replaced; two followers terminated at the same moment, then two a second apart: the stop lease
 * lets the second stop only once the first one's replacement serves; a follower frozen while the other is terminated:
 * its terminate waits in the quorum guard, its resume message is lost, the reconciler re-drives it, and it stops only
 * once the frozen server is back. After each replacement: every acknowledged znode is read back
 * from each node, the rejoin's sync type is read from the leader's {@code mntr}, and the client's longest write gap.
 */
public final class E2eScenario {

    static final Map<String, String> ENV = new HashMap<>(CloudDriver.DEMO_ENV);

    static {
        ENV.put("RESUME_DELAY_SECONDS", "1");
        // The health function's judgement, with a shorter probe: each word 1 s (netcat's -w has whole seconds), a
        // second attempt 1.5 s after a failed one; marked after the third failed check (the default).
        ENV.put("HEALTH_FAILURES_TO_REPLACE", "3");
        ENV.put("HEALTH_PROBE_TIMEOUT_MS", "1000");
        ENV.put("HEALTH_PROBE_ATTEMPTS", "2");
        ENV.put("HEALTH_RETRY_PAUSE_MS", "1500");
        // The reconciler re-drives a wait 10 s (the least allowed; 60 s by default) after its stamp ran out, so the
        // lost-resume step (11) waits seconds, not a minute, for the health run that re-drives it.
        ENV.put("RECONCILE_GRACE_SECONDS", "10");
    }

    /** Launch event to completed hook for one instance. */
    public record Launch(String instanceId, int nodeId, double controlPlaneS, double instanceS, double statusToHookS) {
        double totalS() {
            return controlPlaneS + instanceS + statusToHookS;
        }
    }

    /** One replacement and its checks. */
    public record Replacement(String kind, int nodeId, String oldInstance, Launch launch, String sync, long diffDelta,
                              long snapDelta, long rxBytes, long missedWrites, boolean quorumKept, long maxGapMs,
                              int expected, List<String> unreadable,
                              boolean sameIp, boolean sameMyid) {
    }

    /**
     * The frozen node: {@code slowCheckFailures} is the node's failure count after the check during which it was
     * frozen for {@code slowFreezeMs}, until its first attempt at the node failed ({@code slowAttemptsFailed} of that
     * check's attempts did not answer; -1 ms: none did);
     * {@code checksUntilMarked} the health runs from the freeze until one marked it (-1: never), out of
     * {@code failuresToReplace}; {@code freezeToServingS} from SIGSTOP to the replacement in service.
     */
    public record Frozen(int nodeId, long slowFreezeMs, int slowAttemptsFailed, int slowCheckFailures,
                         boolean slowMarked, int checksUntilMarked, int failuresToReplace, double freezeToMarkedS,
                         double freezeToServingS, double freezeToSyncedS) {
    }

    /**
     * Two followers terminated {@code apartMs} apart (0: the same moment), the group launching both replacements at
     * once. Times in seconds from the first terminate: each stop command sent, the first-stopped node's replacement
     * serving (its bootstrap done: zk-start waits for leader or follower); {@code maxGapMs} the client's longest write
     * gap over the whole step.
     */
    public record TwoLeavers(String kind, long apartMs, int firstNode, int secondNode, double firstStopS,
                             double firstReplacementServingS, double secondStopS, long maxGapMs, int expected,
                             List<String> unreadable) {

        /** The second stop came only after the first one's replacement served. */
        public boolean oneAtATime() {
            return secondStopS > firstReplacementServingS && firstReplacementServingS > firstStopS;
        }
    }

    /**
     * Issue 15: node {@code downNode}'s server frozen, node {@code leavingNode} terminated; its terminate waits in the
     * quorum guard and its first resume message is lost. {@code redriven}: the reconciler (a health run) started a
     * new wait chain, {@code redriveS} after the message was lost; {@code stopsWhileDown}: stop commands sent for the
     * leaving node while the other was frozen; {@code stopAfterBackS}: from the server's return to the leaving node's
     * stop; {@code endedBy}: how its action ended (the terminate hook's result, or "timeout"); {@code maxGapMs}: the
     * client's longest write gap from the freeze until the replacement is synced; {@code load}: the load average
     * (1 min) at the start and at the end of the step.
     */
    public record LostResume(int downNode, int leavingNode, String lost, boolean redriven, double redriveS,
                             int stopsWhileDown, double stopAfterBackS, String endedBy, long maxGapMs, String load) {
    }

    /** What a run found ({@code lostResume} null when that step did not run). */
    public record Result(List<Launch> launches, List<Replacement> replacements, long peakRssKib, int preWritten,
                         int bgWritten, int sessionExpirations, boolean connectUnchanged, String finalVerify,
                         boolean finalComplete, Frozen frozen, Install install, List<TwoLeavers> twoLeavers,
                         LostResume lostResume) {
    }

    /**
     * The install path: a launch whose checksum is wrong ({@code refused}), then every launch with where its
     * ZooKeeper came from ({@code downloaded} from the mirror, or {@code kept} on its data volume) and whether the
     * mirror was up meanwhile; event to imok is the launch event until the bootstrap command ended (zk-start waits
     * for imok and leader/follower).
     */
    public record Install(String version, String url, Refused refused, List<InstallRecord> launches) {
    }

    /** The launch made with a wrong ZooKeeperSha512. */
    public record Refused(String instanceId, boolean abandoned, boolean slotReleased, String refusal) {
    }

    /** One launch's install. */
    public record InstallRecord(String instanceId, int nodeId, String step, boolean mirrorUp, String source,
                                double eventToImokS) {
    }

    private static final int PRE_ZNODES = 2000;
    private static final int AWAY_ZNODES = 500;

    private final PrintStream out;
    private final Instant start = Instant.now();
    private final Map<String, Instant> inService = new ConcurrentHashMap<>();
    private final AtomicLong peakRss = new AtomicLong();
    private FakeCloud cloud;
    private LocalCloud local;
    private volatile CloudDriver driver;
    private Mirror mirror;
    private final List<InstallRecord> installs = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Refused refused;
    private PrintStream journal;
    private String connect;
    private Process clientProcess;
    private BufferedWriter clientIn;
    private BufferedReader clientOut;
    private volatile boolean stopping;
    /** The next delivery it matches is lost on the way (then it matches nothing). */
    private volatile java.util.function.Predicate<Delivery> lose = d -> false;
    /** What the handlers were given (after {@link #lose}), in order. */
    private final List<String> handled = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final boolean hostCrash;
    private volatile Functions functions;
    /** The functions' environment ({@link #ENV} unless a mode or a stack update changed it). */
    private Map<String, String> env = new HashMap<>(ENV);
    private HealthSettings healthSettings;
    private final CountingProbe healthProbe = new CountingProbe();
    private int healthRuns;
    private Instant frozenAt;
    private Instant markedAt;
    private Instant syncedAt;
    /** Draws the replacement under way (issue 14: a picture of each replacement), null between replacements. */
    private volatile ReplacementRecorder recorder;
    private int checksUntilMarked = -1;
    /** The client's session timeout (ms); the leader-loss trials and the soak can set another. */
    private int clientSessionMs = 10_000;
    /** How many client sessions write in the leader-loss trials and the soak. */
    private int clientSessions = 1;
    /**
     * The slots: 3, or 5 for the five-node scenario ({@link #fiveNodes()}); the resize mode adds slots 4 and 5 to a
     * running 3-node cloud ({@link #addSlot(int)}).
     */
    private volatile int nodes;
    private Settings settings;

    E2eScenario(PrintStream out) {
        this(out, false);
    }

    E2eScenario(PrintStream out, boolean hostCrash) {
        this(out, hostCrash, 3);
    }

    /**
     * {@code hostCrash} false: a crash is ZooKeeper killed (SIGKILL; the kernel closes its connections) and then the
     * instance gone. True: the host dies first (ENI and volume fall off at once, no FIN reaches the peers), then its
     * processes; the peers keep half-open connections to the old address.
     */
    E2eScenario(PrintStream out, boolean hostCrash, int nodes) {
        this.out = out;
        this.hostCrash = hostCrash;
        this.nodes = nodes;
    }

    public static void main(String[] args) throws Exception {
        if (!isRoot()) {
            System.out.println("zkasg e2e: not root, so no network namespaces, loop devices or ZooKeeper here;");
            System.out.println("falling back to the in-memory cloud (LocalRunner). Run `sudo make local` for the "
                    + "end-to-end scenario.");
            System.out.println();
            LocalRunner.main(FiveNodes.withoutSizeOption(args));
            return;
        }
        if (java.util.Arrays.asList(args).contains("--resize")) {
            ShrunkArtifact.require(E2eScenario.class.getClassLoader(), true);
            System.exit(ResizeSteps.main(new E2eScenario(System.out)));
        }
        if (java.util.Arrays.asList(args).contains("--restore")) {
            var restored = new E2eScenario(System.out).runRestore();
            System.out.println();
            restored.failures().forEach(f -> System.out.println("e2e restore: FAILED: " + f));
            System.out.println(restored.failures().isEmpty() ? "e2e restore: all checks passed" : "");
            System.exit(restored.failures().isEmpty() ? 0 : 1);
        }
        if (args.length > 0 && (args[0].equals("--leader-loss") || args[0].equals("--soak"))) {
            System.exit(leaderLossMain(args));
        }
        var hostCrash = java.util.Arrays.asList(args).contains("--host-crash");
        // make local runs on target/artifact-classpath.txt: the shrunk jar is the only copy of the functions' code.
        ShrunkArtifact.require(E2eScenario.class.getClassLoader(), true);
        var size = FiveNodes.sizeOption(args);
        if (size == 5) {
            var five = new E2eScenario(System.out, hostCrash, 5).runFive();
            var failures = FiveNodes.failures(five);
            FiveNodes.print(System.out, five);
            System.out.println();
            if (failures.isEmpty()) {
                System.out.println("e2e (5 nodes): all checks passed");
            }
            failures.forEach(f -> System.out.println("e2e (5 nodes): FAILED: " + f));
            System.exit(failures.isEmpty() ? 0 : 1);
        }
        var result = new E2eScenario(System.out, hostCrash).run();
        var failures = failures(result);
        System.out.println();
        if (failures.isEmpty()) {
            System.out.println("e2e: all checks passed");
        }
        failures.forEach(f -> System.out.println("e2e: FAILED: " + f));
        FiguresTable.print(System.out, result);
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    static boolean isRoot() {
        try {
            return Files.readString(Path.of("/proc/self/status")).lines()
                    .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[1].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The longest client write gap a replacement may cause while quorum holds: when the leader leaves, the followers
     * notice within syncLimit x tickTime (1 s with the scripts' zoo.cfg), the election gives up on the gone address
     * after cnxTimeout (0.5 s) and waits its 200 ms finalize wait; the client waits up to 1 s before each reconnect,
     * and a connect attempt to the gone address costs it a third of its session timeout. A longer stall reaches the
     * 10 s session timeout, where sessions expire.
     */
    static final long GAP_BOUND_MS = 10_000;

    /** The checks of the issue, as messages; empty when all hold. */
    public static List<String> failures(Result r) {
        var failures = new ArrayList<String>();
        for (var rep : r.replacements()) {
            var name = rep.kind() + " of node " + rep.nodeId();
            if (!rep.unreadable().isEmpty()) {
                failures.add(name + ": znodes not readable back: " + rep.unreadable());
            }
            if (!rep.sameIp() || !rep.sameMyid()) {
                failures.add(name + ": the replacement did not get the slot's IP and myid");
            }
            var expect = rep.kind().equals("blank volume") ? "SNAP" : "DIFF";
            if (!rep.sync().equals(expect)) {
                failures.add(name + ": rejoin was " + rep.sync() + ", expected " + expect);
            }
            if (!rep.quorumKept()) {
                failures.add(name + ": writes did not go through while the node was away: quorum lost");
            }
            if (rep.maxGapMs() > GAP_BOUND_MS) {
                failures.add(name + ": the client could not write for " + rep.maxGapMs() + " ms (bound "
                        + GAP_BOUND_MS + " ms): quorum lost");
            }
        }
        if (r.replacements().size() != 4) {
            failures.add("only " + r.replacements().size() + " of 4 replacements ran");
        }
        if (r.twoLeavers().size() != 2) {
            failures.add("only " + r.twoLeavers().size() + " of 2 two-leaver steps ran");
        }
        for (var pair : r.twoLeavers()) {
            if (!pair.oneAtATime()) {
                failures.add("two leavers (" + pair.kind() + "): node " + pair.secondNode() + " stopped at "
                        + pair.secondStopS() + " s, before node " + pair.firstNode() + "'s replacement served ("
                        + pair.firstReplacementServingS() + " s)");
            }
            if (!pair.unreadable().isEmpty()) {
                failures.add("two leavers (" + pair.kind() + "): znodes not readable back: " + pair.unreadable());
            }
            if (pair.maxGapMs() > GAP_BOUND_MS) {
                failures.add("two leavers (" + pair.kind() + "): the client could not write for " + pair.maxGapMs()
                        + " ms (bound " + GAP_BOUND_MS + " ms): quorum lost");
            }
        }
        var f = r.frozen();
        if (f == null) {
            failures.add("the frozen-node step did not run");
        } else {
            if (f.slowAttemptsFailed() < 1) {
                failures.add("the short freeze of node " + f.nodeId() + " did not fail an attempt: not tested");
            }
            if (f.slowCheckFailures() != 0 || f.slowMarked()) {
                failures.add("one slow check of node " + f.nodeId() + " was counted (" + f.slowCheckFailures()
                        + " failures" + (f.slowMarked() ? ", marked" : "") + ")");
            }
            if (f.checksUntilMarked() != f.failuresToReplace()) {
                failures.add("the frozen node " + f.nodeId() + " was marked after " + f.checksUntilMarked()
                        + " checks, expected " + f.failuresToReplace());
            }
        }
        var lost = r.lostResume();
        if (lost == null) {
            failures.add("the lost-resume step did not run");
        } else if (!lost.redriven() || lost.stopsWhileDown() > 0 || lost.stopAfterBackS() <= 0
                || !"CONTINUE".equals(lost.endedBy()) || lost.maxGapMs() > GAP_BOUND_MS) {
            failures.add("lost resume: " + lost + " (expected: re-driven, no stop while node " + lost.downNode()
                    + " was frozen, the stop after it came back, the action ended by the function with CONTINUE, "
                    + "the client's writes never stopped for " + GAP_BOUND_MS + " ms)");
        }
        failures.addAll(installFailures(r.install()));
        if (r.sessionExpirations() > 0) {
            failures.add("the client's session expired " + r.sessionExpirations() + " times");
        }
        if (!r.connectUnchanged()) {
            failures.add("the client's connect string changed");
        }
        if (!r.finalComplete()) {
            failures.add("final read-back incomplete: " + r.finalVerify());
        }
        return failures;
    }

    // ---------------------------------------------------------------- the run

    Result run() throws Exception {
        return run(this::scenario);
    }

    /** The restore mode ({@code --restore}, {@link RestoreSteps}): scripts/ops/zk-restore on the local cloud. */
    RestoreSteps.Result runRestore() throws Exception {
        return run(() -> new RestoreSteps(this).run());
    }

    /** The resize mode ({@code --resize}, {@link ResizeSteps}): 3 -> 5 -> 3 online with a client writing. */
    ResizeSteps.Result runResize() throws Exception {
        env.putAll(ResizeSteps.STACK_ENV);
        return run(() -> new ResizeSteps(this).run());
    }

    /** The five-node scenario (issue 13), in the same local cloud. */
    FiveNodes.Result runFive() throws Exception {
        return run(this::fiveNodes);
    }

    /** Builds the local cloud and its handlers, runs {@code body} on it, and removes it all. */
    <T> T run(java.util.concurrent.Callable<T> body) throws Exception {
        // The handlers run from the deployed artifact (under Maven: zk-lambda's packaged jar, first on the path).
        tl("functions from " + ShrunkArtifact.require(E2eScenario.class.getClassLoader(), false));
        var swept = LocalCloud.sweepLeftovers();
        if (!swept.isEmpty()) {
            tl("removed leftovers of crashed runs: " + swept);
        }
        var settings = Settings.fromEnv(ENV);
        var repo = repoRoot();
        var clock = new FakeClock(Instant.now());
        cloud = new FakeCloud(clock).group(settings.groupName(), settings.launchHookName(),
                settings.terminateHookName(), settings.heartbeatTimeout());
        local = new LocalCloud(repo, settings, this::tl);
        var driverThread = (Thread) null;
        var sampler = (Thread) null;
        try (var journal = new PrintStream(Files.newOutputStream(local.runDir().resolve("journal.log")), true,
                StandardCharsets.UTF_8)) {
            this.journal = journal;
            tl("local cloud " + local.prefix() + ": router, subnets 10.0.1-3.0/24 (us-east-1a/b/c), client netns, "
                    + "IMDS stub; state in " + local.runDir());
            startMirror(repo);
            this.settings = Settings.fromEnv(withDistribution(env, mirror));
            seedSlots();
            cloud.listener(local).commandOutcome(local::outcome);
            healthProbe.delegate = new NamespaceZkProbe(local.clientNetns());
            healthSettings = HealthSettings.fromEnv(ENV);
            wire(clock, new FakeStopLease(clock), env);
            driverThread = daemon("cloud-driver", () -> drive(clock));
            sampler = daemon("rss-sampler", () -> {
                while (!stopping) {
                    peakRss.accumulateAndGet(local.rssKib(), Math::max);
                    sleep(500);
                }
            });
            return body.call();
        } catch (Exception | Error e) {
            keepLogsOfFailedRun();
            throw e;
        } finally {
            stopping = true;
            if (clientProcess != null) {
                clientProcess.destroyForcibly();
            }
            if (driverThread != null) {
                driverThread.join(5_000);
            }
            if (sampler != null) {
                sampler.join(5_000);
            }
            local.keepLogs(System.getenv("ZKASG_E2E_KEEP") != null);
            local.close();
            tl("local cloud " + local.prefix() + " removed (namespaces, veths, bridges, loop devices, mounts, "
                    + "processes)");
        }
    }

    /** Where a failed run's logs are copied (outside the state root, whose leftovers the next run sweeps). */
    static final Path FAILED_RUN_LOGS = Path.of("/tmp/zkasg-e2e-logs");

    /**
     * A failed run's journal and every instance's script and ZooKeeper logs, copied out before the run's directory is
     * removed, so that a failure long into a run (a soak, a trial) can be read afterwards. Best effort: a failure
     * here is printed and does not hide the run's own.
     */
    private void keepLogsOfFailedRun() {
        var target = FAILED_RUN_LOGS.resolve(local.prefix());
        try (var files = Files.walk(local.runDir(), 8)) {
            Files.createDirectories(target);
            for (var file : files.filter(f -> Files.isRegularFile(f) && f.getFileName().toString().endsWith(".log"))
                    .toList()) {
                var name = local.runDir().relativize(file).toString().replace('/', '_');
                Files.copy(file, target.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            tl("the failed run's logs are kept in " + target);
        } catch (IOException | UncheckedIOException e) {
            tl("could not keep the failed run's logs: " + e);
        }
    }

    /**
     * The functions as the stack deploys them with environment {@code functionEnv} (the mirror's distribution
     * added), over the cloud's ports, the stop lease and the clock; the health function with its membership step
     * when the environment names a reconfig document.
     */
    private void wire(FakeClock clock, FakeStopLease lease, Map<String, String> functionEnv) {
        var deployed = withDistribution(functionEnv, mirror);
        var wired = Settings.fromEnv(deployed);
        var wiring = Wiring.over(wired, new Wiring.Ports(cloud.ec2(), cloud.autoScaling(),
                cloud.ssm(), cloud.resumeQueue(), new NamespaceZkProbe(local.clientNetns()), lease), clock, d -> {
                    sleep(d.toMillis());
                    clock.set(Instant.now());
                }, new SplittableRandom(), Wiring.bundledScripts(), journal).withHealth(healthProbe, healthSettings);
        var resize = ResizeSettings.fromEnv(deployed);
        if (resize.enabled()) {
            wiring.withResize(resize);
        }
        this.settings = wired;
        this.env = new HashMap<>(functionEnv);
        functions = new Functions(wiring);
        driver = new CloudDriver(clock, cloud, new io.zkasg.testkit.FakeZk(), lease, wired, functions);
    }

    /**
     * A stack update that changes the functions' environment ({@code ENSEMBLE_MEMBERS} on a grow or a shrink): the
     * functions are wired anew with it, over the same cloud, stop lease and clock; the handler of a delivery under
     * way finishes with the old wiring, as a Lambda invocation does with its version.
     */
    void updateFunctionEnv(Map<String, String> changes) {
        var updated = new HashMap<>(env);
        updated.putAll(changes);
        var current = driver;
        wire(current.clock(), current.lease(), updated);
        tl("functions updated: " + changes);
    }

    /** Who holds the cluster's stop lease now ("none" when nobody does). */
    String stopLeaseHolder() {
        return driver.lease().current(settings.cluster().clusterName())
                .map(h -> h.instanceId() + " (node " + h.nodeId() + ")").orElse("none");
    }

    private void seedSlots() throws IOException {
        var addresses = new ArrayList<String>();
        for (int n = 1; n <= nodes; n++) {
            seedSlot(n);
            addresses.add(CloudDriver.demoIp(n) + ":2181");
        }
        cloud.clearCalls();
        connect = String.join(",", addresses);
    }

    /** Slot {@code n} (ENI + volume tagged for the cluster) in the fake cloud and its real objects. */
    private void seedSlot(int n) throws IOException {
        var cluster = settings.cluster();
        var az = CloudDriver.demoAz(n);
        var ip = CloudDriver.demoIp(n);
        var eniId = cloud.addSlot(cluster.clusterTagKey(), cluster.clusterName(), settings.nodeIdTagKey(), n, az, ip);
        var volumeId = cloud.volumeIds().get(cloud.volumeIds().size() - 1);
        var mac = cloud.ec2().clusterEnis(cluster).stream().filter(e -> e.eniId().equals(eniId)).findFirst()
                .orElseThrow().macAddress();
        var slot = local.addSlot(n, az, eniId, mac, ip, volumeId);
        tl("slot " + n + ": " + az + " " + eniId + " " + ip + " " + mac + ", " + volumeId + " on " + slot.loop()
                + " (1 GiB sparse, blank)");
    }

    /**
     * What a stack update that raises EnsembleSize creates before the group grows: slot {@code n} (its ENI and
     * volume). The client's connect string stays the one of the first slots.
     */
    void addSlot(int n) throws IOException {
        if (n != nodes + 1) {
            throw new IllegalArgumentException("slots are added in order: " + (nodes + 1) + ", not " + n);
        }
        seedSlot(n);
        nodes = n;
    }

    Settings settings() {
        return settings;
    }

    Map<String, Instant> inService() {
        return inService;
    }

    /** Delivers the cloud's events to the real handlers in real time. */
    private void drive(FakeClock clock) {
        while (!stopping) {
            clock.set(Instant.now());
            for (var delivery : cloud.takeDue()) {
                if (lose.test(delivery)) {
                    lose = d -> false;
                    tl("  lost on the way: " + describe(delivery));
                    handled.add("LOST " + describe(delivery));
                    continue;
                }
                handled.add(describe(delivery));
                try {
                    var result = driver.deliver(delivery);
                    tl("handler: " + describe(delivery) + " -> " + result);
                } catch (RuntimeException e) {
                    tl("handler: " + describe(delivery) + " threw " + e);
                }
                for (var id : cloud.instanceIds()) {
                    if (!inService.containsKey(id) && "InService".equals(cloud.lifecycleState(id))) {
                        inService.put(id, Instant.now());
                    }
                }
            }
            sleep(50);
        }
    }

    FakeCloud cloud() {
        return cloud;
    }

    LocalCloud local() {
        return local;
    }

    private Result scenario() throws Exception {
        refusedDownload();
        var launches = launchGroup();

        // 2. The client.
        tl("== 2. client in netns " + local.clientNetns() + " on " + connect);
        startClient();
        var written = ask("write " + PRE_ZNODES);
        tl("  " + written + " ms (" + PRE_ZNODES + " znodes of 1 KiB)");
        ask("bg start");
        sleep(1000);

        var replacements = new ArrayList<Replacement>();
        // 3. + 4. Crash of node 2, replacement on the kept volume. A dying host is the leader's (make local draws it
        // for the README): the survivors find out only by their timeouts, with no FIN from the dead address.
        var crashed = hostCrash ? nodeIdOf(leader().orElseThrow().instanceId) : 2;
        tl("== 3. node " + crashed + " crashes (" + (hostCrash ? "the leader's host dies"
                : "ZooKeeper SIGKILLed, then the instance") + ", no hook); the group replaces it");
        replacements.add(replace("crash", crashed, false));
        // 5. Graceful terminate of node 3 through the terminate path.
        tl("== 5. node 3 is terminated through the terminate hook (stop document, release); the group replaces it");
        replacements.add(replace("terminate", 3, false));
        // Baseline: the same crash on a blank volume.
        tl("== 6. baseline: node 1 crashes and comes back on a blank volume");
        mirrorBack("a blank volume keeps no ZooKeeper: its replacement needs a source");
        replacements.add(replace("blank volume", 1, true));
        mirrorAway("the blank volume holds ZooKeeper now");
        // A frozen follower: one slow check is not counted; frozen for good, the health function replaces it.
        var frozen = frozenNode(replacements);
        mirrorBack("the kept-volume replacements are done");
        // Two members leave together: the stop lease makes them go one after the other.
        var pairs = new ArrayList<TwoLeavers>();
        tl("== 9. two followers are terminated at the same moment; the group launches both replacements");
        pairs.add(twoLeavers("same moment", 0));
        tl("== 10. two followers are terminated a second apart");
        pairs.add(twoLeavers("a second apart", 1000));
        tl("== 11. a follower frozen, another terminated: its terminate waits, its resume message is lost");
        var lostResume = lostResume();

        sleep(1000);
        var stopped = ask("bg stop");
        var gapLine = ask("gap").split(" ");
        var finalVerify = new ArrayList<String>();
        var finalComplete = true;
        for (int n = 1; n <= 3; n++) {
            var v = ask("verify 10.0." + n + ".10:2181");
            finalVerify.add(v);
            finalComplete &= v.contains(" missing=0 ");
        }
        var connectNow = ask("connect");
        ask("quit");
        int bg = Integer.parseInt(stopped.replaceAll("\\D+", " ").trim().split(" ")[0]);
        var result = new Result(launches, replacements, peakRss.get(), PRE_ZNODES, bg,
                Integer.parseInt(gapLine[3]), connectNow.equals("connect " + connect), String.join("; ", finalVerify),
                finalComplete, frozen, new Install(mirror.version(), mirror.url(), refused, List.copyOf(installs)),
                pairs, lostResume);
        printFigures(result);
        return result;
    }

    /** Step 1: launches a 3-node group (one instance per AZ) and waits for its leader. */
    List<Launch> launchGroup() {
        tl("== 1. launch a 3-node group (us-east-1a, b, c)");
        var ids = new ArrayList<String>();
        for (var az : LocalCloud.AZS) {
            ids.add(cloud.launch(az));
        }
        var launches = new ArrayList<Launch>();
        for (var id : ids) {
            await(Duration.ofSeconds(180), () -> inService.containsKey(id) || "Terminated".equals(
                    cloud.lifecycleState(id)), id + " in service");
            if (!inService.containsKey(id)) {
                throw new IllegalStateException(id + " was abandoned: " + tail(local.node(id).log()));
            }
            launches.add(launchFigures(id));
        }
        await(Duration.ofSeconds(60), () -> leader().isPresent(), "a leader");
        mirrorAway("the first three launches are done");
        for (var id : ids) {
            var node = local.node(id);
            tl("  " + id + " node " + nodeIdOf(id) + " mode " + mode(node) + ", imok after "
                    + secs(node.commandSentAt, node.commandDoneAt) + " s of scripts");
        }
        return launches;
    }

    /**
     * Replaces slot {@code nodeId}'s instance after a crash or a terminate; checks the rejoin. Draws it to
     * {@code <E2E_PICTURES, default target/e2e-pictures>/<kind>-node<n>.svg}.
     */
    private Replacement replace(String kind, int nodeId, boolean blank) throws Exception {
        var originals = new LinkedHashMap<Integer, String>();
        for (int n = 1; n <= 3; n++) {
            originals.put(n, cloud.eniHolder(local.slot(n).eniId()).orElse(""));
        }
        var leaving = leader().map(l -> l.instanceId.equals(originals.get(nodeId))).orElse(false) ? "leader"
                : "follower";
        recorder = ReplacementRecorder.start(kind + " of node " + nodeId + " (the " + leaving + ")"
                + (kind.equals("crash") && hostCrash ? ", its host dies" : ""),
                // A frozen server is never asked srvr by the picture: it would fill its accept queue.
                () -> sample(originals, kind.equals("frozen") ? nodeId : 0), () -> {
                    try {
                        return ask("lat");
                    } catch (IOException e) {
                        return null;
                    }
                });
        try {
            return replaceDrawn(kind, nodeId, blank);
        } finally {
            var picture = recorder.finish(Path.of(System.getenv().getOrDefault("E2E_PICTURES", "target/e2e-pictures"),
                    kind.replace(' ', '-') + "-node" + nodeId + ".svg"));
            recorder = null;
            tl("  picture: " + picture.toAbsolutePath());
        }
    }

    /** Each node's state and the leader, as the pictures show them. */
    private ReplacementPicture.Sample sample(Map<Integer, String> originals, int notAsked) {
        var states = new LinkedHashMap<Integer, ReplacementPicture.State>();
        int leader = 0;
        for (int n = 1; n <= 3; n++) {
            var holder = cloud.eniHolder(local.slot(n).eniId()).orElse("");
            var lifecycle = holder.isEmpty() ? "" : cloud.lifecycleState(holder);
            String mode;
            try {
                mode = holder.isEmpty() || n == notAsked ? "down" : mode(local.node(holder));
            } catch (RuntimeException e) {
                mode = "down";
            }
            if (mode.equals("leader")) {
                leader = n;
            }
            states.put(n, ReplacementPicture.state(holder.equals(originals.get(n)), lifecycle, mode));
        }
        return new ReplacementPicture.Sample(System.currentTimeMillis(), states, leader);
    }

    private Replacement replaceDrawn(String kind, int nodeId, boolean blank) throws Exception {
        var slot = local.slot(nodeId);
        var old = cloud.eniHolder(slot.eniId()).orElseThrow();
        var oldNode = local.node(old);
        var writesBefore = Long.parseLong(ask("gap").split(" ")[2]); // also resets the longest gap
        if (kind.equals("frozen")) {
            freezeUntilReplaced(nodeId, old);
        } else if (kind.equals("terminate")) {
            cloud.terminate(old);
            await(Duration.ofSeconds(120), () -> "Terminated".equals(cloud.lifecycleState(old)),
                    old + " terminated through its hook");
        } else if (hostCrash) {
            tl("  host of " + old + " dies: network and volume gone at once, then its processes");
            local.cutNetwork(old);
            cloud.crash(old);
        } else {
            var pid = Files.readString(oldNode.root().resolve("var/lib/zkasg/state/zookeeper.pid")).strip();
            Sh.run("kill", "-KILL", pid);
            await(Duration.ofSeconds(10), () -> gone(pid), "ZooKeeper pid " + pid + " to exit");
            tl("  ZooKeeper of " + old + " (pid " + pid + ") killed; the instance crashes (no hook)");
            cloud.crash(old);
        }
        if (blank) {
            local.blankVolume(slot.volumeId());
            tl("  volume " + slot.volumeId() + " is blank again");
        }
        // The two survivors settle (a new election if the leader left); then the leader's counters are the baseline.
        await(Duration.ofSeconds(60), () -> leader().map(l -> mntr(l).getOrDefault("zk_synced_followers", "0")
                .equals("1")).orElse(false), "two-node ensemble settled");
        // Writes the replacement misses, on top of the background ones: its DIFF has to carry them.
        var away = ask("write " + AWAY_ZNODES + " away" + nodeId);
        tl("  while node " + nodeId + " is away (two servers up): " + away + " ms");
        var quorumKept = away.startsWith("written " + AWAY_ZNODES + " ");
        var leaderBefore = leader().orElseThrow();
        var before = mntr(leaderBefore);
        var newId = cloud.launch(slot.az());
        await(Duration.ofSeconds(180), () -> inService.containsKey(newId) || "Terminated".equals(
                cloud.lifecycleState(newId)), newId + " in service");
        if (!inService.containsKey(newId)) {
            throw new IllegalStateException(newId + " was abandoned: " + tail(local.node(newId).log()));
        }
        var launch = launchFigures(newId);
        var newNode = local.node(newId);
        tl("  in service; received so far: " + local.rxByInterface(newNode));
        if (launch.instanceS() > 10) {
            tl("  slow bootstrap; the end of " + newNode.log() + ":");
            var lines = Files.readAllLines(newNode.log());
            lines.subList(Math.max(0, lines.size() - 12), lines.size()).forEach(l -> tl("    " + l));
        }
        await(Duration.ofSeconds(60), () -> leader().map(l -> mntr(l).getOrDefault("zk_synced_followers", "0")
                .equals("2")).orElse(false), "three-node ensemble synced");
        syncedAt = Instant.now();
        var rx = local.rxBytes(newNode);
        var gapLine = ask("gap").split(" ");
        var missed = Long.parseLong(gapLine[2]) - writesBefore + AWAY_ZNODES;
        tl("  synced; received: " + local.rxByInterface(newNode));
        var leaderAfter = leader().orElseThrow();
        var after = mntr(leaderAfter);
        long diff = count(after, "zk_diff_count") - count(before, "zk_diff_count");
        long snap = count(after, "zk_snap_count") - count(before, "zk_snap_count");
        if (!leaderAfter.instanceId.equals(leaderBefore.instanceId)) {
            diff = -1;
            snap = -1;
        }
        var sync = snap > 0 ? "SNAP" : diff > 0 ? "DIFF" : "unknown";
        var gap = Long.parseLong(gapLine[1]);
        var unreadable = new ArrayList<String>();
        int expected = 0;
        for (int n = 1; n <= 3; n++) {
            var v = ask("verify 10.0." + n + ".10:2181");
            tl("  " + v);
            expected = Integer.parseInt(v.replaceAll(".*expected=(\\d+).*", "$1"));
            if (!v.contains(" missing=0 ")) {
                unreadable.add(v);
            }
        }
        var ipShown = local.inNetns(newNode.netns, "ip", "-o", "-4", "addr", "show").out()
                .contains(" " + slot.ip() + "/");
        var myid = Files.readString(newNode.root().resolve("var/lib/zkasg/data/myid")).strip();
        var rep = new Replacement(kind, nodeId, old, launch, sync, diff, snap, rx, missed, quorumKept, gap, expected,
                unreadable, ipShown, myid.equals(Integer.toString(nodeId)));
        tl(String.format("  %s of node %d: %s -> %s, same IP %s: %s, myid %s; rejoin %s (leader diff +%d, snap +%d),"
                        + " %s received, %d writes while it was away; longest write gap %d ms;"
                        + " event -> hook %.2f s (control plane %.2f, instance %.2f, status -> hook %.2f)",
                kind, nodeId, old, newId, slot.ip(), ipShown, myid,
                sync, diff, snap, mib(rx), missed, gap, launch.totalS(), launch.controlPlaneS(), launch.instanceS(),
                launch.statusToHookS()));
        return rep;
    }

    // ---------------------------------------------------------------- two leavers

    /** The instances of the two members that do not lead. */
    private List<String> twoFollowers() {
        var followers = new ArrayList<String>();
        for (int n = 1; n <= 3; n++) {
            var holder = cloud.eniHolder(local.slot(n).eniId()).orElseThrow();
            if (!"leader".equals(mode(local.node(holder)))) {
                followers.add(holder);
            }
        }
        if (followers.size() != 2) {
            throw new IllegalStateException("expected two followers, found " + followers);
        }
        return followers;
    }

    private TwoLeavers twoLeavers(String kind, long apartMs) throws Exception {
        var leaving = twoFollowers();
        ask("gap"); // resets the longest gap
        var stopDocument = ENV.get("STOP_DOCUMENT");
        var stops = new ConcurrentHashMap<String, Instant>();
        var nodes = Map.of(leaving.get(0), nodeIdOf(leaving.get(0)), leaving.get(1), nodeIdOf(leaving.get(1)));
        var t0 = Instant.now();
        cloud.terminate(leaving.get(0));
        if (apartMs > 0) {
            sleep(apartMs);
        }
        cloud.terminate(leaving.get(1));
        tl("  " + leaving.get(0) + " (node " + nodes.get(leaving.get(0)) + ") and " + leaving.get(1) + " (node "
                + nodes.get(leaving.get(1)) + ") terminated " + apartMs + " ms apart");
        // Auto Scaling launches the replacements at once; each launch waits until its slot is free.
        var replacements = new ArrayList<String>();
        for (var old : leaving) {
            replacements.add(cloud.launch(local.slot(nodes.get(old)).az()));
        }
        await(Duration.ofSeconds(240), () -> {
            for (var c : cloud.commandsSent()) {
                if (c.documentName().equals(stopDocument) && leaving.contains(c.instanceId())) {
                    stops.putIfAbsent(c.instanceId(), Instant.now());
                }
            }
            return replacements.stream().allMatch(id -> inService.containsKey(id) || "Terminated".equals(
                    cloud.lifecycleState(id)));
        }, "both replacements in service");
        for (var id : replacements) {
            if (!inService.containsKey(id)) {
                throw new IllegalStateException(id + " was abandoned: " + tail(local.node(id).log()));
            }
        }
        await(Duration.ofSeconds(60), () -> leader().map(l -> mntr(l).getOrDefault("zk_synced_followers", "0")
                .equals("2")).orElse(false), "three-node ensemble synced");
        if (stops.size() != 2) {
            throw new IllegalStateException("stop commands seen for " + stops.keySet() + " only");
        }
        var first = stops.get(leaving.get(0)).isBefore(stops.get(leaving.get(1))) ? leaving.get(0) : leaving.get(1);
        var second = first.equals(leaving.get(0)) ? leaving.get(1) : leaving.get(0);
        int firstNode = nodes.get(first);
        var firstReplacement = replacements.stream().filter(id -> nodeIdOf(id) == firstNode).findFirst()
                .orElseThrow();
        var served = local.node(firstReplacement).commandDoneAt;
        var gapLine = ask("gap").split(" ");
        var unreadable = new ArrayList<String>();
        int expected = 0;
        for (int n = 1; n <= 3; n++) {
            var v = ask("verify 10.0." + n + ".10:2181");
            expected = Integer.parseInt(v.replaceAll(".*expected=(\\d+).*", "$1"));
            if (!v.contains(" missing=0 ")) {
                unreadable.add(v);
            }
        }
        var pair = new TwoLeavers(kind, apartMs, firstNode, nodes.get(second), secs(t0, stops.get(first)),
                secs(t0, served), secs(t0, stops.get(second)), Long.parseLong(gapLine[1]), expected, unreadable);
        tl(String.format("  %s: node %d stopped at %.2f s, its replacement served at %.2f s, node %d stopped at "
                        + "%.2f s; longest write gap %d ms; %d znodes read back from each node", kind,
                pair.firstNode(), pair.firstStopS(), pair.firstReplacementServingS(), pair.secondNode(),
                pair.secondStopS(), pair.maxGapMs(), expected));
        return pair;
    }

    /**
     * Issue 15, "a resume message lost while a terminate waits": a follower's server frozen (no answer: not counted),
     * the other follower terminated. Its terminate waits in the quorum guard; its first resume message is lost, so its
     * wait chain ends; the reconciler (run by the health function, after the wait's stamp and the grace) re-drives it,
     * and it waits again. The frozen server comes back: only then is the leaving node stopped, its replacement serves,
     * and the action ends by the function, not by its timeout.
     */
    private LostResume lostResume() throws Exception {
        var followers = twoFollowers();
        var down = followers.get(0);
        var leaving = followers.get(1);
        int leavingNode = nodeIdOf(leaving);
        var stopDocument = ENV.get("STOP_DOCUMENT");
        var terminateHook = ENV.get("TERMINATE_HOOK_NAME");
        var pid = zkPid(local.node(down));
        var loadBefore = load1();
        ask("gap"); // resets the longest gap
        Sh.run("kill", "-STOP", pid);
        tl("  ZooKeeper of " + down + " (node " + nodeIdOf(down) + ", pid " + pid + ") frozen; " + leaving + " (node "
                + leavingNode + ") terminated");
        var resume = "resume " + leaving + " ";
        lose = d -> describe(d).startsWith(resume);
        int before = handled.size();
        cloud.terminate(leaving);
        await(Duration.ofSeconds(60), () -> handled.stream().skip(before)
                .anyMatch(h -> h.startsWith("LOST " + resume)), "the first resume message of " + leaving + " lost");
        var lostAt = Instant.now();
        var lost = handled.stream().skip(before).filter(h -> h.startsWith("LOST ")).findFirst()
                .orElseThrow();
        // The reconciler re-drives a wait once its stamp (the resume delay) and the grace have passed; two health
        // runs at most (a third failed check would mark the frozen node).
        var grace = Settings.fromEnv(ENV).reconcileGrace();
        int after = handled.size();
        boolean redriven = false;
        Instant redrivenAt = null;
        for (int run = 1; run <= 2 && !redriven; run++) {
            sleep(Math.max(0, Duration.between(Instant.now(), lostAt.plus(grace).plusSeconds(5L * run)).toMillis()));
            var report = healthRun();
            tl("  health run: re-drove " + report.get("redriven") + ", marked: " + report.get("markedUnhealthy"));
            for (int i = 0; i < 100 && !redriven; i++) {
                redriven = handled.stream().skip(after).anyMatch(h -> h.startsWith(resume));
                redrivenAt = Instant.now();
                sleep(100);
            }
        }
        sleep(3000); // the re-driven attempt waits again
        int stopsWhileDown = (int) driver.stops(leaving);
        Sh.run("kill", "-CONT", pid);
        var back = Instant.now();
        tl("  ZooKeeper of " + down + " resumed (SIGCONT)");
        var stoppedAt = new java.util.concurrent.atomic.AtomicReference<Instant>();
        await(Duration.ofSeconds(90), () -> {
            if (stoppedAt.get() == null && cloud.commandsSent().stream()
                    .anyMatch(c -> c.documentName().equals(stopDocument) && c.instanceId().equals(leaving))) {
                stoppedAt.set(Instant.now());
            }
            return "Terminated".equals(cloud.lifecycleState(leaving));
        }, leaving + " stopped and terminated through its hook");
        var replacement = cloud.launch(local.slot(leavingNode).az());
        await(Duration.ofSeconds(180), () -> inService.containsKey(replacement) || "Terminated".equals(
                cloud.lifecycleState(replacement)), replacement + " in service");
        if (!inService.containsKey(replacement)) {
            throw new IllegalStateException(replacement + " was abandoned: " + tail(local.node(replacement).log()));
        }
        await(Duration.ofSeconds(60), () -> leader().map(l -> mntr(l).getOrDefault("zk_synced_followers", "0")
                .equals("2")).orElse(false), "three-node ensemble synced");
        var gap = Long.parseLong(ask("gap").split(" ")[1]);
        var endedBy = cloud.timedOutActions().contains(leaving + "/" + terminateHook) ? "timeout"
                : cloud.completions().stream().filter(c -> c.startsWith(leaving + "/" + terminateHook + "="))
                .map(c -> c.substring(c.indexOf('=') + 1)).findFirst().orElse("nothing");
        var result = new LostResume(nodeIdOf(down), leavingNode, lost.substring("LOST ".length()), redriven,
                redriven ? secs(lostAt, redrivenAt) : -1, stopsWhileDown,
                stoppedAt.get() == null ? -1 : secs(back, stoppedAt.get()), endedBy, gap,
                loadBefore + " -> " + load1());
        tl("  " + lostResumeLine(result));
        return result;
    }

    static String lostResumeLine(LostResume r) {
        return String.format(java.util.Locale.ROOT, "lost resume: lost %s; re-driven %s, %.2f s after the loss; "
                + "stops of node %d while node %d was frozen: %d; stopped %.2f s after it came back; the action ended "
                + "by %s; longest write gap %d ms; load %s", r.lost(), r.redriven(), r.redriveS(), r.leavingNode(),
                r.downNode(), r.stopsWhileDown(), r.stopAfterBackS(), r.endedBy(), r.maxGapMs(), r.load());
    }

    /** The load average over the last minute, as /proc/loadavg gives it. */
    private static String load1() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    // ---------------------------------------------------------------- five nodes (issue 13)

    /**
     * Five nodes (slots 2+2+1 over the AZs, the mirror up throughout): two followers crash at the same moment and
     * the client's writes go on; a third follower's ZooKeeper is frozen before the group's replacements come (below
     * quorum): the health function runs and neither marks nor stops anyone; then the group launches what is
     * missing, as Auto Scaling does, until all five serve: the two replacements rejoin from their kept volumes
     * (DIFF), quorum comes back, and only then is the frozen member marked and replaced.
     */
    private FiveNodes.Result fiveNodes() throws Exception {
        tl("== 1. launch a 5-node group (us-east-1a: nodes 1 and 4, us-east-1b: 2 and 5, us-east-1c: 3)");
        var ids = new ArrayList<String>();
        for (int n = 1; n <= nodes; n++) {
            ids.add(cloud.launch(CloudDriver.demoAz(n)));
        }
        var launches = new ArrayList<Launch>();
        for (var id : ids) {
            await(Duration.ofSeconds(240), () -> inService.containsKey(id) || "Terminated".equals(
                    cloud.lifecycleState(id)), id + " in service");
            if (!inService.containsKey(id)) {
                throw new IllegalStateException(id + " was abandoned: " + tail(local.node(id).log()));
            }
            launches.add(launchFigures(id));
        }
        awaitSynced(4);

        tl("== 2. client in netns " + local.clientNetns() + " on " + connect);
        startClient();
        tl("  " + ask("write " + PRE_ZNODES) + " ms (" + PRE_ZNODES + " znodes of 1 KiB)");
        ask("bg start");
        sleep(1000);

        var followers = new ArrayList<LocalCloud.Node>();
        for (int n = 1; n <= nodes; n++) {
            var holder = cloud.eniHolder(local.slot(n).eniId()).orElseThrow();
            if ("follower".equals(mode(local.node(holder)))) {
                followers.add(local.node(holder));
            }
        }
        var a = followers.get(0);
        var b = followers.get(1);
        int nodeA = nodeIdOf(a.instanceId);
        int nodeB = nodeIdOf(b.instanceId);
        tl("== 3. nodes " + nodeA + " and " + nodeB + " (followers) crash at the same moment (ZooKeeper SIGKILLed, "
                + "then the instances, no hook)");
        ask("gap");
        var pids = List.of(zkPid(a), zkPid(b));
        Sh.run("kill", "-KILL", pids.get(0), pids.get(1));
        await(Duration.ofSeconds(10), () -> gone(pids.get(0)) && gone(pids.get(1)), "both ZooKeepers to exit");
        cloud.crash(a.instanceId);
        cloud.crash(b.instanceId);
        awaitSynced(2);
        var away = ask("write " + AWAY_ZNODES + " away");
        var crashGap = Long.parseLong(ask("gap").split(" ")[1]);
        var crashes = new FiveNodes.TwoCrashes(nodeA, nodeB, away.startsWith("written " + AWAY_ZNODES + " "),
                Long.parseLong(away.split(" ")[2]), crashGap);
        tl("  three of five serve: " + away + " ms with both away; longest write gap " + crashGap + " ms");

        var c = followers.get(2);
        int nodeC = nodeIdOf(c.instanceId);
        tl("== 4. node " + nodeC + " (follower) is frozen (SIGSTOP) while nodes " + nodeA + " and " + nodeB
                + " are away: two of five serve, below quorum; the health function runs");
        var pidC = zkPid(c);
        Sh.run("kill", "-STOP", pidC);
        var stopDocument = ENV.get("STOP_DOCUMENT");
        int stopsBefore = (int) cloud.commandsSent().stream().filter(x -> x.documentName().equals(stopDocument))
                .count();
        var marked = new ArrayList<String>();
        int maxServing = 0;
        int checks = healthSettings.failuresToReplace() + 2;
        for (int check = 1; check <= checks; check++) {
            var report = healthRun();
            var serving = report.get("serving") instanceof Integer i ? i : -1;
            maxServing = Math.max(maxServing, serving);
            if (!"".equals(report.get("markedUnhealthy")) && report.get("markedUnhealthy") != null) {
                marked.add(String.valueOf(report.get("markedUnhealthy")));
            }
            tl("  health check " + check + ": serving " + serving + ", node " + nodeC + " "
                    + stateOf(report, nodeC) + " with " + failuresOf(report, nodeC) + " failures, marked: "
                    + report.get("markedUnhealthy") + ", problems: " + report.get("problems"));
        }
        var stops = cloud.commandsSent().stream().filter(x -> x.documentName().equals(stopDocument))
                .skip(stopsBefore).map(x -> x.instanceId()).toList();
        var third = new FiveNodes.ThirdFailure(nodeC, checks, maxServing, marked, stops);

        tl("== 5. the group launches what is missing (as Auto Scaling does) and the health function runs, until "
                + "all five serve");
        var windowEnd = Instant.now();
        var desired = new ArrayList<String>();
        for (int n = 1; n <= nodes; n++) {
            desired.add(CloudDriver.demoAz(n));
        }
        var reasons = new LinkedHashMap<String, String>();
        Instant quorumBack = null;
        Instant frozenMarked = null;
        var deadline = Instant.now().plus(Duration.ofSeconds(600));
        while (true) {
            var missing = new ArrayList<>(desired);
            for (var id : cloud.instanceIds()) {
                var state = cloud.lifecycleState(id);
                if (!state.equals("Terminated") && !state.equals("Detached") && !state.startsWith("Terminating")) {
                    missing.remove(cloud.instanceAz(id));
                }
            }
            for (var az : missing) {
                var id = cloud.launch(az);
                reasons.put(id, az);
                tl("  launched " + id + " in " + az);
            }
            if (quorumBack == null && leader().isPresent()) {
                quorumBack = Instant.now();
                tl("  quorum is back: " + leader().get().instanceId + " leads");
            }
            var report = healthRun();
            if (c.instanceId.equals(report.get("markedUnhealthy"))) {
                frozenMarked = Instant.now();
                tl("  node " + nodeC + " marked unhealthy (serving " + report.get("serving") + ")");
            }
            boolean whole = reasons.size() >= 3 && reasons.keySet().stream().allMatch(inService::containsKey)
                    && leader().map(l -> mntr(l).getOrDefault("zk_synced_followers", "0").equals("4")).orElse(false);
            if (whole) {
                break;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the ensemble was not whole again after 600 s: " + reasons);
            }
            sleep(2000);
        }
        Sh.quiet("kill", "-CONT", pidC);
        var rejoins = new ArrayList<FiveNodes.Rejoin>();
        for (var id : reasons.keySet()) {
            int node = nodeIdOf(id);
            var reason = node == nodeA || node == nodeB ? "crash"
                    : node == nodeC ? "frozen" : "marked after the window";
            rejoins.add(new FiveNodes.Rejoin(node, id, reason, syncLogged(local.node(id)),
                    secs(windowEnd, inService.get(id))));
        }
        rejoins.forEach(j -> tl("  node " + j.nodeId() + " (" + j.reason() + "): " + j.instanceId()
                + " in service " + j.inServiceS() + " s after the window, rejoin " + j.sync()));

        sleep(1000);
        var stopped = ask("bg stop");
        var gapLine = ask("gap").split(" ");
        var verify = new ArrayList<String>();
        var complete = true;
        for (int n = 1; n <= nodes; n++) {
            var v = ask("verify " + CloudDriver.demoIp(n) + ":2181");
            tl("  " + v);
            verify.add(v);
            complete &= v.contains(" missing=0 ");
        }
        var connectNow = ask("connect");
        ask("quit");
        return new FiveNodes.Result(launches, crashes, third, rejoins, secs(windowEnd, quorumBack),
                secs(windowEnd, frozenMarked), Integer.parseInt(stopped.replaceAll("\\D+", " ").trim().split(" ")[0]),
                Integer.parseInt(gapLine[3]), connectNow.equals("connect " + connect), String.join("; ", verify),
                complete, peakRss.get());
    }

    /** Waits for a leader with {@code followers} synced followers. */
    private void awaitSynced(int followers) {
        await(Duration.ofSeconds(90), () -> leader().map(l -> mntr(l).getOrDefault("zk_synced_followers", "0")
                .equals(Integer.toString(followers))).orElse(false),
                "a leader with " + followers + " synced followers");
    }

    /** How this instance's ZooKeeper synced with the leader, as its log says (Learner.syncWithLeader). */
    static String syncLogged(LocalCloud.Node node) {
        try {
            var log = Files.readString(node.root().resolve("var/lib/zkasg/state/zookeeper.log"));
            return log.contains("Getting a snapshot from leader") ? "SNAP"
                    : log.contains("Getting a diff from the leader") ? "DIFF"
                    : log.contains("Truncating log to get in sync with the leader") ? "TRUNC" : "unknown";
        } catch (IOException e) {
            return "unknown";
        }
    }

    // ---------------------------------------------------------------- the install path

    /**
     * Packs the ZooKeeper release from Maven's jars, makes the run's CA and starts the HTTPS mirror in the router;
     * the instances trust the CA. The handlers get the tarball's URL and SHA-512 as the template gives them.
     */
    private Mirror startMirror(Path repo) throws IOException {
        mirror = Mirror.create(local.runDir().resolve("mirror"), local.routerNetns(),
                repo.resolve("functions/zk-local/target/zookeeper-release/lib"));
        local.trust(mirror.caBundle());
        mirror.start();
        tl("mirror: " + mirror.url() + " (ZooKeeper " + mirror.version() + " packed from Maven's jars, SHA-512 "
                + mirror.sha512().substring(0, 16) + "..., HTTPS with this run's CA); the instances have no "
                + "ZooKeeper");
        return mirror;
    }

    static Map<String, String> withDistribution(Map<String, String> env, Mirror mirror) {
        var out = new HashMap<>(env);
        out.put("ZK_DIST_URL", mirror.url());
        out.put("ZK_SHA512", mirror.sha512());
        return out;
    }

    /**
     * Step 0: the same stack with a wrong ZooKeeperSha512 (an operator's typo). The node downloads the tarball,
     * refuses it, the bootstrap fails, the launch is abandoned and the slot released; then the right checksum
     * (a stack update) and the group is launched for real.
     */
    private void refusedDownload() throws IOException {
        tl("== 0. a launch with a wrong ZooKeeperSha512: the download must be refused, the launch abandoned, "
                + "the slot released");
        var good = driver;
        var env = new HashMap<>(ENV);
        env.put("ZK_DIST_URL", mirror.url());
        env.put("ZK_SHA512", new StringBuilder(mirror.sha512()).reverse().toString());
        var wrong = Settings.fromEnv(env);
        var wiring = Wiring.over(wrong, new Wiring.Ports(cloud.ec2(), cloud.autoScaling(),
                cloud.ssm(), cloud.resumeQueue(), new NamespaceZkProbe(
                local.clientNetns()), good.lease()), good.clock(), d -> {
                    sleep(d.toMillis());
                    good.clock().set(Instant.now());
                }, new SplittableRandom(), Wiring.bundledScripts(), journal);
        driver = new CloudDriver(good.clock(), cloud, new io.zkasg.testkit.FakeZk(), good.lease(), wrong,
                new Functions(wiring));
        String id;
        try {
            id = cloud.launch(LocalCloud.AZS.get(0));
            await(Duration.ofSeconds(180), () -> "Terminated".equals(cloud.lifecycleState(id)),
                    id + " abandoned and terminated");
        } finally {
            driver = good;
        }
        var slot = local.slot(1);
        var abandoned = cloud.completions().contains(id + "/" + ENV.get("LAUNCH_HOOK_NAME") + "=ABANDON");
        var released = cloud.eniHolder(slot.eniId()).isEmpty() && cloud.volumeHolder(slot.volumeId()).isEmpty();
        var refusal = Files.readAllLines(local.node(id).log()).stream().filter(l -> l.contains("SHA-512 mismatch"))
                .findFirst().orElse("");
        refused = new Refused(id, abandoned, released, refusal);
        tl("  " + id + ": " + (refusal.isEmpty() ? "no refusal in its log" : refusal.strip()) + "; ABANDON: "
                + abandoned + "; slot 1 released: " + released);
    }

    private void mirrorAway(String why) {
        mirror.stop();
        tl("mirror: stopped (" + why + "); listening: " + mirror.listening());
    }

    void mirrorBack(String why) {
        mirror.start();
        tl("mirror: serving again (" + why + ")");
    }

    /** Where this launch's ZooKeeper came from, read from its bootstrap output. */
    private void recordInstall(Launch launch) {
        String source;
        try {
            var log = Files.readString(local.node(launch.instanceId()).log());
            source = log.contains("using the verified tarball kept on the data volume") ? "kept"
                    : log.contains("downloading ZooKeeper from") ? "downloaded" : "unknown";
        } catch (IOException e) {
            source = "unknown";
        }
        var step = installs.size() < 3 ? "first launch" : "replacement";
        installs.add(new InstallRecord(launch.instanceId(), launch.nodeId(), step, mirror.up(), source,
                launch.controlPlaneS() + launch.instanceS()));
    }

    static List<String> installFailures(Install install) {
        var failures = new ArrayList<String>();
        var r = install.refused();
        if (r == null) {
            failures.add("the wrong-checksum launch did not run");
        } else if (r.refusal().isEmpty() || !r.abandoned() || !r.slotReleased()) {
            failures.add("the wrong-checksum launch " + r.instanceId() + ": refused " + !r.refusal().isEmpty()
                    + ", abandoned " + r.abandoned() + ", slot released " + r.slotReleased());
        }
        int away = 0;
        for (var rec : install.launches()) {
            if (!rec.mirrorUp()) {
                away++;
                if (!rec.source().equals("kept")) {
                    failures.add(rec.instanceId() + " (node " + rec.nodeId() + ") launched with the mirror away, "
                            + "but its ZooKeeper was " + rec.source() + ", not kept on its volume");
                }
            } else if (rec.step().equals("first launch") && !rec.source().equals("downloaded")) {
                failures.add(rec.instanceId() + ": a first launch's ZooKeeper was " + rec.source());
            }
        }
        if (away < 3) {
            failures.add("only " + away + " replacements ran with the mirror away");
        }
        return failures;
    }

    // ---------------------------------------------------------------- the frozen node

    /**
     * A follower's ZooKeeper is frozen (SIGSTOP: the kernel still accepts connections, nothing answers): first for
     * one slow check only, which must not count; then for good, until the health function, invoked once per
     * simulated minute, marks it unhealthy and the group replaces it.
     */
    private Frozen frozenNode(List<Replacement> replacements) throws Exception {
        var follower = follower();
        int nodeId = nodeIdOf(follower.instanceId);
        var ip = local.slot(nodeId).ip();
        tl("== 7. node " + nodeId + " (follower, " + follower.instanceId + ") is frozen for one slow check");
        var pid = zkPid(follower);
        healthProbe.reset();
        // Frozen until the check's first attempt at it has timed out, then SIGCONT: the second attempt (the retry
        // pause later) finds it serving. A timed freeze raced the check's start on a loaded machine (the first
        // attempt came after the SIGCONT, and nothing failed).
        Sh.run("kill", "-STOP", pid);
        var stoppedAt = System.nanoTime();
        var freezeMs = new AtomicLong(-1);
        healthProbe.onFirstFailure(ip, () -> {
            Sh.run("kill", "-CONT", pid);
            freezeMs.set((System.nanoTime() - stoppedAt) / 1_000_000);
        });
        Map<String, Object> slow;
        try {
            slow = healthRun();
        } finally {
            healthProbe.onFirstFailure(ip, null);
            Sh.quiet("kill", "-CONT", pid);
        }
        int slowFailed = healthProbe.failed(ip);
        int slowFailures = failuresOf(slow, nodeId);
        var slowMarked = !"".equals(slow.get("markedUnhealthy"));
        tl("  SIGSTOP for " + freezeMs.get() + " ms during a check (pid " + pid + "), then SIGCONT: " + slowFailed
                + " attempt(s) failed, node " + nodeId + " " + stateOf(slow, nodeId) + " with " + slowFailures
                + " consecutive failures, marked: " + (slowMarked ? slow.get("markedUnhealthy") : "none"));
        // One good check afterwards: the count stays at zero.
        await(Duration.ofSeconds(20), () -> mode(follower).equals("follower"), "node " + nodeId + " serving again");
        tl("== 8. node " + nodeId + " is frozen for good; the health function runs once per simulated minute");
        replacements.add(replace("frozen", nodeId, false));
        var newId = cloud.eniHolder(local.slot(nodeId).eniId()).orElseThrow();
        return new Frozen(nodeId, freezeMs.get(), slowFailed, slowFailures, slowMarked, checksUntilMarked,
                healthSettings.failuresToReplace(), secs(frozenAt, markedAt), secs(frozenAt, inService.get(newId)),
                secs(frozenAt, syncedAt));
    }

    /** Freezes {@code old}'s ZooKeeper and runs the health function until it marks it; waits for its terminate. */
    private void freezeUntilReplaced(int nodeId, String old) {
        var pid = zkPid(local.node(old));
        Sh.run("kill", "-STOP", pid);
        frozenAt = Instant.now();
        tl("  ZooKeeper of " + old + " (pid " + pid + ") frozen (SIGSTOP)");
        int limit = healthSettings.failuresToReplace() + 3;
        for (int check = 1; check <= limit; check++) {
            var report = healthRun();
            tl("  health check " + check + ": node " + nodeId + " " + stateOf(report, nodeId) + ", "
                    + failuresOf(report, nodeId) + " consecutive failures, serving " + report.get("serving")
                    + ", marked: " + (old.equals(report.get("markedUnhealthy")) ? old : "none"));
            if (old.equals(report.get("markedUnhealthy"))) {
                checksUntilMarked = check;
                markedAt = Instant.now();
                break;
            }
        }
        if (checksUntilMarked < 0) {
            throw new IllegalStateException("the frozen node " + nodeId + " was not marked after " + limit
                    + " checks");
        }
        await(Duration.ofSeconds(120), () -> "Terminated".equals(cloud.lifecycleState(old)),
                old + " terminated through its hook");
        tl("  " + old + " terminated through its hook " + secs(markedAt, Instant.now()) + " s after the mark");
    }

    /** One invocation of the health function, as the EventBridge schedule would make it (one per minute). */
    Map<String, Object> healthRun() {
        healthRuns++;
        var time = start.plus(Duration.ofMinutes(healthRuns)).truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
        var event = "{\"version\":\"0\",\"id\":\"e2e-health-" + healthRuns + "\",\"detail-type\":\"Scheduled "
                + "Event\",\"source\":\"aws.events\",\"account\":\"123456789012\",\"time\":\"" + time
                + "\",\"region\":\"us-east-1\",\"resources\":[\"arn:aws:events:us-east-1:123456789012:rule/"
                + "zk-demo-health-check\"],\"detail\":{}}";
        return functions.health(event.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<?, ?> nodeOf(Map<String, Object> report, int nodeId) {
        return ((List<?>) report.get("nodes")).stream().map(n -> (Map<?, ?>) n)
                .filter(n -> Integer.valueOf(nodeId).equals(n.get("nodeId"))).findFirst().orElse(Map.of());
    }

    private static int failuresOf(Map<String, Object> report, int nodeId) {
        return nodeOf(report, nodeId).get("failures") instanceof Integer i ? i : -1;
    }

    private static String stateOf(Map<String, Object> report, int nodeId) {
        return String.valueOf(nodeOf(report, nodeId).get("state"));
    }

    private LocalCloud.Node follower() {
        for (int n = 1; n <= nodes; n++) {
            var holder = cloud.eniHolder(local.slot(n).eniId());
            if (holder.isPresent() && "follower".equals(mode(local.node(holder.get())))) {
                return local.node(holder.get());
            }
        }
        throw new IllegalStateException("no follower");
    }

    /** The ZooKeeper pid of one instance of this run: from its pidfile, and only if it runs in its namespace. */
    String zkPid(LocalCloud.Node node) {
        try {
            var pid = Files.readString(node.root().resolve("var/lib/zkasg/state/zookeeper.pid")).strip();
            var inNs = Sh.quiet("ip", "netns", "pids", node.netns).out().lines().map(String::strip)
                    .anyMatch(pid::equals);
            if (!pid.matches("\\d+") || !inNs) {
                throw new IllegalStateException("pid " + pid + " is not a process of " + node.netns);
            }
            return pid;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The health function's probe; counts the attempts that found a server not serving, per address. */
    static final class CountingProbe implements ZkProbe {
        private volatile ZkProbe delegate;
        private final Map<String, AtomicInteger> failed = new ConcurrentHashMap<>();
        private final Map<String, Runnable> onFirstFailure = new ConcurrentHashMap<>();

        @Override
        public ServerHealth probe(String ip, int port, Duration timeout) {
            var answer = delegate.probe(ip, port, timeout);
            if (!answer.serving()) {
                failed.computeIfAbsent(ip, k -> new AtomicInteger()).incrementAndGet();
                var action = onFirstFailure.remove(ip);
                if (action != null) {
                    action.run();
                }
            }
            return answer;
        }

        @Override
        public java.util.Optional<io.zkasg.core.model.Membership> membership(String ip, int port, Duration timeout) {
            return delegate.membership(ip, port, timeout);
        }

        /** Runs {@code action} once, after the next failed probe of {@code ip} (null: none). */
        void onFirstFailure(String ip, Runnable action) {
            if (action == null) {
                onFirstFailure.remove(ip);
            } else {
                onFirstFailure.put(ip, action);
            }
        }

        void reset() {
            failed.clear();
        }

        int failed(String ip) {
            var n = failed.get(ip);
            return n == null ? 0 : n.get();
        }
    }

    private Launch launchFigures(String id) {
        var node = local.node(id);
        var launch = new Launch(id, nodeIdOf(id), secs(node.launchedAt, node.commandSentAt),
                secs(node.commandSentAt, node.commandDoneAt), secs(node.commandDoneAt, inService.get(id)));
        recordInstall(launch);
        return launch;
    }

    int nodeIdOf(String instanceId) {
        for (int n = 1; n <= nodes; n++) {
            if (cloud.eniHolder(local.slot(n).eniId()).map(instanceId::equals).orElse(false)) {
                return n;
            }
        }
        return 0;
    }

    private void printFigures(Result r) {
        out.println();
        out.println("== figures");
        for (var l : r.launches()) {
            out.printf("launch node %d: event -> completed hook %.2f s = control plane %.2f s (claim, attach, "
                    + "settle, send) + instance %.2f s (scripts until imok) + %.2f s (status -> hook)%n",
                    l.nodeId(), l.totalS(), l.controlPlaneS(), l.instanceS(), l.statusToHookS());
        }
        long diffBytes = 0;
        long snapBytes = 0;
        for (var rep : r.replacements()) {
            var l = rep.launch();
            out.printf("%-12s node %d: event -> hook %.2f s (control plane %.2f + instance %.2f + %.2f), rejoin "
                    + "%s, %s received by the new instance (%d writes missed), longest write gap %d ms, %d znodes "
                    + "read back from each node%n", rep.kind(), rep.nodeId(), l.totalS(), l.controlPlaneS(),
                    l.instanceS(), l.statusToHookS(), rep.sync(), mib(rep.rxBytes()), rep.missedWrites(),
                    rep.maxGapMs(), rep.expected());
            if (rep.kind().equals("crash")) {
                diffBytes = rep.rxBytes();
            } else if (rep.kind().equals("blank volume")) {
                snapBytes = rep.rxBytes();
            }
        }
        if (diffBytes > 0 && snapBytes > 0) {
            out.printf("rejoin bytes: kept volume (DIFF) %s vs blank volume (SNAP) %s: SNAP/DIFF = %.1fx%n",
                    mib(diffBytes), mib(snapBytes), (double) snapBytes / diffBytes);
        }
        var f = r.frozen();
        if (f != null) {
            var gap = r.replacements().stream().filter(x -> x.kind().equals("frozen")).mapToLong(Replacement::maxGapMs)
                    .findFirst().orElse(-1);
            out.printf("frozen node %d: a %d ms freeze during one check: %d attempt(s) failed, %d failures counted; "
                    + "frozen for good: marked unhealthy at health check %d (N = %d), %.2f s after SIGSTOP; "
                    + "replacement in service %.2f s and synced %.2f s after SIGSTOP; longest write gap %d ms%n",
                    f.nodeId(), f.slowFreezeMs(), f.slowAttemptsFailed(), f.slowCheckFailures(),
                    f.checksUntilMarked(), f.failuresToReplace(), f.freezeToMarkedS(), f.freezeToServingS(),
                    f.freezeToSyncedS(), gap);
        }
        for (var pair : r.twoLeavers()) {
            out.printf("two leavers, %s: node %d stopped at %.2f s, its replacement served at %.2f s, node %d "
                    + "stopped at %.2f s (one at a time: %s); longest write gap %d ms%n", pair.kind(),
                    pair.firstNode(), pair.firstStopS(), pair.firstReplacementServingS(), pair.secondNode(),
                    pair.secondStopS(), pair.oneAtATime(), pair.maxGapMs());
        }
        if (r.lostResume() != null) {
            out.println(lostResumeLine(r.lostResume()));
        }
        var install = r.install();
        if (install.refused() != null) {
            out.printf("wrong ZooKeeperSha512: %s refused the download, launch abandoned: %s, slot released: %s%n",
                    install.refused().instanceId(), install.refused().abandoned(), install.refused().slotReleased());
        }
        for (var rec : install.launches()) {
            out.printf("install %-12s node %d: ZooKeeper %s %s (mirror %s), event -> imok %.2f s%n", rec.step(),
                    rec.nodeId(), install.version(), rec.source().equals("kept") ? "from its data volume"
                            : rec.source(), rec.mirrorUp() ? "up" : "away", rec.eventToImokS());
        }
        out.printf("client: %d znodes before, %d during the replacements; connect string unchanged: %s; "
                + "session expirations: %d%n", r.preWritten(), r.bgWritten(), r.connectUnchanged(),
                r.sessionExpirations());
        out.printf("peak memory (RSS of every process of the run, sampled every 0.5 s): %.0f MiB%n",
                r.peakRssKib() / 1024.0);
    }

    // ---------------------------------------------------------------- leader loss: trials and soak (issue 12)

    /**
     * {@code --leader-loss N [--session-ms MS] [--clients K]}: N times, the leader's host goes silent under steady
     * writes (the router's ends of its NICs go down: no FIN, no RST, nothing in or out, as when an EC2 host dies),
     * and after the trial its network comes back and it rejoins as a follower (no replacement: a trial takes seconds,
     * not a JVM start). K client sessions (own ZooKeeper handles on the three addresses, session timeout MS) each
     * write one znode every 10 ms. Per trial: when a survivor first served as leader (a {@code srvr} probe every
     * 10 ms, independent of any client's reconnect logic: the ensemble's write unavailability), each session's longest
     * write gap and whether it was on the dead leader or a survivor, the survivors' ZooKeeper log events, the load
     * average. {@code --soak SECONDS [--stop-ms MS] [--starve-ms MS] [--starve-pct P] [--session-ms MS]}: steady
     * writes while one node at a time (leader and follower in turn) is starved: SIGSTOP for MS, or held to P % of one
     * CPU (a cgroup v1 CFS quota) for MS; counts leader elections (epoch changes). Returns the exit status: 0 when the
     * run completed; the figures are judged in docs/benchmarks.md.
     */
    static int leaderLossMain(String[] args) throws Exception {
        var opts = new HashMap<String, String>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i], args[i + 1]);
        }
        var e2e = new E2eScenario(System.out, true);
        e2e.clientSessionMs = Integer.parseInt(opts.getOrDefault("--session-ms", "10000"));
        e2e.clientSessions = Integer.parseInt(opts.getOrDefault("--clients", "3"));
        if (opts.containsKey("--leader-loss")) {
            int trials = Integer.parseInt(opts.get("--leader-loss"));
            e2e.run(() -> e2e.leaderLossTrials(trials));
        } else {
            long seconds = Long.parseLong(opts.get("--soak"));
            long stopMs = Long.parseLong(opts.getOrDefault("--stop-ms", "1000"));
            long starveMs = Long.parseLong(opts.getOrDefault("--starve-ms", "4000"));
            int starvePct = Integer.parseInt(opts.getOrDefault("--starve-pct", "10"));
            e2e.run(() -> e2e.soak(seconds, stopMs, starveMs, starvePct));
        }
        return 0;
    }

    /**
     * Znodes each steady-load session writes before it overwrites them in turn. Creating a new 1 KiB znode every
     * 10 ms per session without end grows the tree by about 13 MB a minute on a quiet machine, in every server's heap
     * (160 MiB here: a follower's old generation held 85 of its 107 MB six minutes in) and in each snapshot. 2,000 per
     * session keeps the tree at about 6 MiB however long the run; every write still goes through the leader and its
     * txn log.
     */
    static final int STEADY_RING = 2_000;

    /** The group, client sessions each writing one znode every 10 ms, and the ZooKeeper settings in force. */
    private void steadyLoad() throws Exception {
        launchGroup();
        startClient();
        ask("write 200");
        ask("bg start " + clientSessions + " " + STEADY_RING);
        sleep(2000);
        var conf = local.fourLetter(leader().orElseThrow(), "conf");
        tl("  client sessions on " + ask("servers") + ", " + ask("server") + "; server settings: " + conf.lines()
                .filter(l -> l.matches("(tickTime|initLimit|syncLimit|minSessionTimeout|maxSessionTimeout)=.*"))
                .toList() + "; zoo.cfg: " + Files.readAllLines(leader().orElseThrow().root()
                .resolve("etc/zkasg/zoo.cfg")).stream().filter(l -> !l.startsWith("#") && !l.startsWith("server."))
                .toList());
    }

    private Void leaderLossTrials(int trials) throws Exception {
        steadyLoad();
        var ensemble = new ArrayList<Long>();
        var onSurvivor = new ArrayList<Long>();
        var onLeader = new ArrayList<Long>();
        var worstOnSurvivor = new ArrayList<Long>();
        var loads = new ArrayList<String>();
        for (int t = 1; t <= trials; t++) {
            var lead = leader().orElseThrow();
            int nodeId = nodeIdOf(lead.instanceId);
            var deadAddress = local.slot(nodeId).ip() + ":2181";
            var survivors = new ArrayList<String>();
            for (int n = 1; n <= 3; n++) {
                if (n != nodeId) {
                    survivors.add(local.slot(n).ip() + ":2181");
                }
            }
            var servers = ask("servers").split(" ")[1].split(",");
            var load = Files.readString(Path.of("/proc/loadavg")).strip();
            loads.add(load.split(" ")[0]);
            ask("gap"); // resets the longest gaps
            ask("probe " + String.join(",", survivors));
            long crashAt = System.currentTimeMillis();
            local.isolate(lead.instanceId, true);
            var seen = ask("count").split(" ")[2].split(",");
            try {
                await(Duration.ofSeconds(60), () -> resumedAll(seen), "every session writing after the crash");
            } catch (IllegalStateException e) {
                tl("  trial " + t + ": " + e.getMessage() + "; probe " + ask("probed") + "; client: " + ask("gap")
                        + " (gap, writes, expirations, per session); survivors' log: " + logEvents(lead, crashAt));
                local.isolate(lead.instanceId, false);
                break;
            }
            sleep(200);
            long served = Long.parseLong(ask("probed").split(" ")[1]);
            var gapLine = ask("gap").split(" ");
            var gaps = gapLine[4].split(",");
            var where = new ArrayList<String>();
            long worst = -1;
            for (int w = 0; w < gaps.length; w++) {
                long g = Long.parseLong(gaps[w]);
                boolean wasOnLeader = servers[w].equals(deadAddress);
                (wasOnLeader ? onLeader : onSurvivor).add(g);
                if (!wasOnLeader) {
                    worst = Math.max(worst, g);
                }
                where.add(g + " ms (" + (wasOnLeader ? "on the dead leader" : "on a survivor") + ")");
            }
            if (worst >= 0) {
                worstOnSurvivor.add(worst);
            }
            long unavailable = served < 0 ? -1 : served - crashAt;
            ensemble.add(unavailable);
            tl(String.format("  trial %d (load %s): leader node %d's host went silent; a survivor served as leader "
                            + "after %d ms; longest write gap per session: %s; expirations %s", t, load, nodeId,
                    unavailable, String.join(", ", where), gapLine[3]));
            tl("    survivors' log: " + logEvents(lead, crashAt));
            local.isolate(lead.instanceId, false);
            await(Duration.ofSeconds(60), this::fullySynced, "three-node ensemble synced");
            sleep(1000);
        }
        var expirations = ask("gap").split(" ")[3];
        ask("bg stop");
        out.printf("%nleader host loss, %d of %d trials, %d client sessions, session timeout %d ms, load average "
                        + "(1 min) %s:%n  ensemble write unavailability (crash to a survivor serving as leader): %s%n"
                        + "  client sessions on a survivor (%d): %s%n  worst session on a survivor, per trial (%d): "
                        + "%s%n  client sessions on the dead leader (%d): %s%n  session expirations %s%n",
                ensemble.size(), trials, clientSessions, clientSessionMs, loads, percentiles(ensemble),
                onSurvivor.size(), percentiles(onSurvivor), worstOnSurvivor.size(), percentiles(worstOnSurvivor),
                onLeader.size(), percentiles(onLeader), expirations);
        out.println("ensemble (ms): " + ensemble);
        out.println("worst session on a survivor (ms): " + worstOnSurvivor);
        return null;
    }

    /** Whether a leader serves with both followers synced. */
    private boolean fullySynced() {
        return leader().map(l -> mntr(l).getOrDefault("zk_synced_followers", "0").equals("2")).orElse(false);
    }

    /** Whether every session acknowledged more than 10 writes since the counts {@code before}. */
    private boolean resumedAll(String[] before) {
        try {
            var now = ask("count").split(" ")[2].split(",");
            for (int w = 0; w < before.length; w++) {
                if (Long.parseLong(now[w]) <= Long.parseLong(before[w]) + 10) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final java.util.regex.Pattern LOG_EVENT = java.util.regex.Pattern.compile(
            "^(\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d{3}) .*?(Exception when following the leader|Peer state changed: \\S+"
                    + "|ELECTION TOOK - \\d+|Not sufficient followers synced|Getting a (diff|snapshot)"
                    + "|Synchronizing with Leader|fsync-ing the write ahead log.*?took \\d+ms"
                    + "|Cannot open channel to \\d+|connectToLearnerMasterLimit|Notification time out: \\d+"
                    + "|GOODBYE \\S+|Unexpected exception causing shutdown.*|Read timed out).*");

    /**
     * The ZooKeeper log lines of interest of every node but {@code dead} (null: all) since {@code sinceMs} (epoch
     * ms), each as "+ms node: event":
     * when they dropped the leader, elected, synced (their log's HH:mm:ss.SSS timestamps are UTC, as this JVM's).
     */
    private String logEvents(LocalCloud.Node dead, long sinceMs) {
        var events = new java.util.TreeMap<Long, String>();
        long day = sinceMs - sinceMs % 86_400_000L;
        for (int n = 1; n <= 3; n++) {
            var holder = cloud.eniHolder(local.slot(n).eniId());
            if (holder.isEmpty() || dead != null && holder.get().equals(dead.instanceId)) {
                continue;
            }
            try {
                for (var line : Files.readAllLines(local.node(holder.get()).root()
                        .resolve("var/lib/zkasg/state/zookeeper.log"), StandardCharsets.ISO_8859_1)) {
                    var m = LOG_EVENT.matcher(line);
                    if (!m.matches()) {
                        continue;
                    }
                    long at = day + ((Long.parseLong(m.group(1)) * 60 + Long.parseLong(m.group(2))) * 60
                            + Long.parseLong(m.group(3))) * 1000 + Long.parseLong(m.group(4));
                    if (at >= sinceMs - 50 && at <= sinceMs + 60_000) {
                        var key = at * 10 + n;
                        events.put(key, "+" + (at - sinceMs) + " node " + n + ": " + m.group(5));
                    }
                }
            } catch (IOException e) {
                return "(log unreadable: " + e.getMessage() + ")";
            }
        }
        return events.isEmpty() ? "(none)" : String.join("; ", events.values());
    }

    /** p50 / p90 / p99 / max by nearest rank. */
    static String percentiles(List<Long> values) {
        if (values.isEmpty()) {
            return "-";
        }
        var sorted = values.stream().sorted().toList();
        java.util.function.IntFunction<Long> rank = p -> sorted.get(Math.max(0,
                (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
        return String.format("p50 %d ms, p90 %d ms, p99 %d ms, max %d ms", rank.apply(50), rank.apply(90),
                rank.apply(99), sorted.get(sorted.size() - 1));
    }

    /** The leader's epoch (the high 32 bits of its zxid, one more at each election); -1 without a leader. */
    private long epoch() {
        return leader().map(l -> local.fourLetter(l, "srvr").lines().filter(x -> x.startsWith("Zxid: 0x"))
                .map(x -> Long.parseLong(x.substring(8).strip(), 16) >>> 32).findFirst().orElse(-1L)).orElse(-1L);
    }

    private Void soak(long seconds, long stopMs, long starveMs, int starvePct) throws Exception {
        steadyLoad();
        var cgroup = Path.of("/sys/fs/cgroup/cpu", local.prefix() + "-starve");
        var rootProcs = Path.of("/sys/fs/cgroup/cpu/cgroup.procs");
        Files.createDirectory(cgroup);
        long epoch = epoch();
        tl("== soak for " + seconds + " s: leader epoch " + epoch);
        var end = Instant.now().plusSeconds(seconds);
        int round = 0;
        int elections = 0;
        int drops = 0;
        long roundAt = System.currentTimeMillis();
        long maxGap = 0;
        var loads = new ArrayList<Double>();
        ask("gap");
        try {
            Files.writeString(cgroup.resolve("cpu.cfs_period_us"), "100000");
            Files.writeString(cgroup.resolve("cpu.cfs_quota_us"), Integer.toString(1000 * starvePct));
            while (Instant.now().isBefore(end)) {
                round++;
                // One node at a time: a round starts only with both followers synced (a follower dropped by the
                // round before is counted, and waited for, so that it and the next target are not starved together).
                if (!fullySynced()) {
                    drops++;
                    tl("  before round " + round + ": a follower is not synced; nodes' log since the last round: "
                            + logEvents(null, roundAt));
                    await(Duration.ofSeconds(120), this::fullySynced, "three-node ensemble synced");
                    epoch = epoch();
                }
                roundAt = System.currentTimeMillis();
                var target = round % 2 == 1 ? leader().orElseThrow() : follower();
                var role = round % 2 == 1 ? "leader" : "follower";
                var pid = zkPid(target);
                String what;
                if ((round + 1) / 2 % 2 == 1) {
                    Sh.run("kill", "-STOP", pid);
                    sleep(stopMs);
                    Sh.run("kill", "-CONT", pid);
                    what = "SIGSTOP " + stopMs + " ms";
                } else {
                    Files.writeString(cgroup.resolve("cgroup.procs"), pid);
                    sleep(starveMs);
                    Files.writeString(rootProcs, pid);
                    what = starvePct + " % of a CPU for " + starveMs + " ms";
                }
                sleep(3000);
                long gap = Long.parseLong(ask("gap").split(" ")[1]);
                maxGap = Math.max(maxGap, gap);
                long now = epoch();
                if (now != epoch) {
                    elections++;
                    tl("  round " + round + ": leader epoch " + epoch + " -> " + now + "; nodes' log: "
                            + logEvents(null, roundAt));
                    await(Duration.ofSeconds(120), this::fullySynced, "three-node ensemble synced");
                    now = epoch();
                }
                var load = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
                loads.add(Double.parseDouble(load));
                tl(String.format("  round %d (load %s): %s node %d %s; longest write gap %d ms; leader epoch %d%s",
                        round, load, role, nodeIdOf(target.instanceId), what, gap, now,
                        now != epoch ? " (ELECTION)" : ""));
                epoch = now;
            }
        } finally {
            for (var pid : Files.readAllLines(cgroup.resolve("cgroup.procs"))) {
                Files.writeString(rootProcs, pid);
            }
            Files.delete(cgroup);
        }
        ask("bg stop");
        var expirations = ask("gap").split(" ")[3];
        out.printf("%nsoak %d s, %d rounds (leader and a follower in turn; SIGSTOP %d ms or %d %% of a CPU for %d ms), "
                        + "%d client sessions of %d ms, load average (1 min) %.1f-%.1f: leader elections %d; rounds "
                        + "that left a follower dropped %d; longest write gap %d ms; session expirations %s%n", seconds,
                round, stopMs, starvePct, starveMs, clientSessions, clientSessionMs,
                loads.stream().mapToDouble(d -> d).min().orElse(0), loads.stream().mapToDouble(d -> d).max()
                        .orElse(0), elections, drops, maxGap, expirations);
        return null;
    }

    // ---------------------------------------------------------------- ZooKeeper observations

    java.util.Optional<LocalCloud.Node> leader() {
        for (int n = 1; n <= nodes; n++) {
            var holder = cloud.eniHolder(local.slot(n).eniId());
            if (holder.isEmpty() || !"InService".equals(cloud.lifecycleState(holder.get()))) {
                continue;
            }
            var node = local.node(holder.get());
            if ("leader".equals(mode(node))) {
                return java.util.Optional.of(node);
            }
        }
        return java.util.Optional.empty();
    }

    String mode(LocalCloud.Node node) {
        return local.fourLetter(node, "srvr").lines().filter(l -> l.startsWith("Mode: ")).map(l -> l.substring(6))
                .findFirst().orElse("down");
    }

    Map<String, String> mntr(LocalCloud.Node node) {
        var map = new LinkedHashMap<String, String>();
        for (var line : local.fourLetter(node, "mntr").split("\n")) {
            var kv = line.split("\t");
            if (kv.length == 2) {
                map.put(kv[0], kv[1].strip());
            }
        }
        return map;
    }

    static long count(Map<String, String> mntr, String key) {
        try {
            return Long.parseLong(mntr.getOrDefault(key, "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    // ---------------------------------------------------------------- the client process

    void startClient() throws IOException {
        var java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        clientProcess = new ProcessBuilder("nsenter", "--net=/run/netns/" + local.clientNetns(), "--", java,
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                // No SASL: the client would look up the server's name in a DNS the namespace cannot reach.
                "-Dzookeeper.sasl.client=false", "-Dzkasg.sessionMs=" + clientSessionMs, "-cp",
                System.getProperty("java.class.path"), ZkClientMain.class.getName(), connect)
                .redirectError(local.runDir().resolve("client.log").toFile()).start();
        clientIn = new BufferedWriter(new OutputStreamWriter(clientProcess.getOutputStream(), StandardCharsets.UTF_8));
        clientOut = new BufferedReader(new InputStreamReader(clientProcess.getInputStream(), StandardCharsets.UTF_8));
    }

    synchronized String ask(String command) throws IOException {
        clientIn.write(command);
        clientIn.newLine();
        clientIn.flush();
        String line;
        while ((line = clientOut.readLine()) != null) {
            if (line.startsWith("R ")) {
                var reply = line.substring(2);
                if (reply.startsWith("error")) {
                    throw new IllegalStateException("client: " + command + ": " + reply);
                }
                return reply;
            }
        }
        throw new IllegalStateException("the client process ended; see " + local.runDir().resolve("client.log"));
    }

    // ---------------------------------------------------------------- helpers

    void await(Duration limit, BooleanSupplier condition, String what) {
        var end = Instant.now().plus(limit);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(end)) {
                throw new IllegalStateException("timed out after " + limit.toSeconds() + " s waiting for " + what);
            }
            sleep(100);
        }
    }

    synchronized void tl(String line) {
        out.printf("[%7.2fs] %s%n", Duration.between(start, Instant.now()).toMillis() / 1000.0, line);
        var drawing = recorder;
        if (drawing != null) {
            drawing.line(line);
        }
    }

    private static Thread daemon(String name, Runnable body) {
        var t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The process has exited (a zombie has closed its sockets already). */
    private static boolean gone(String pid) {
        try {
            var stat = Files.readString(Path.of("/proc", pid, "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException e) {
            return true;
        }
    }

    static double secs(Instant from, Instant to) {
        return from == null || to == null ? Double.NaN : Duration.between(from, to).toMillis() / 1000.0;
    }

    private static String mib(long bytes) {
        return String.format("%.2f MiB", bytes / 1048576.0);
    }

    static String tail(Path log) {
        try {
            var lines = Files.readAllLines(log);
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        } catch (IOException e) {
            return "(no log)";
        }
    }

    static String describe(Delivery delivery) {
        if (delivery instanceof Delivery.Lifecycle l) {
            return (l.isLaunch() ? "launch " : "terminate ") + l.instanceId();
        } else if (delivery instanceof Delivery.CommandStatus s) {
            return "command status " + s.documentName() + " " + s.status() + " " + s.instanceId();
        }
        var r = (Delivery.Resume) delivery;
        return "resume " + r.ticket().instanceId() + " attempt " + r.ticket().attempt();
    }

    /** The repository (for scripts/test/imds-stub): the first parent of the working directory that has scripts/. */
    static Path repoRoot() {
        for (var dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("scripts/test/imds-stub"))) {
                return dir;
            }
        }
        throw new UncheckedIOException(new IOException("run from the repository: scripts/test/imds-stub not found"));
    }
}
