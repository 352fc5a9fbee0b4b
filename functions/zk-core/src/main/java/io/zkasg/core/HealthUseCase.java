package io.zkasg.core;

import io.zkasg.core.model.EniView;
import io.zkasg.core.model.GroupMember;
import io.zkasg.core.model.InstanceView;
import io.zkasg.core.model.Membership;
import io.zkasg.core.model.ServerHealth;
import io.zkasg.core.model.VolumeView;
import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.Ec2Port;
import io.zkasg.core.port.Journal;
import io.zkasg.core.port.Metrics;
import io.zkasg.core.port.Metrics.Metric;
import io.zkasg.core.port.Pauser;
import io.zkasg.core.port.StopLease;
import io.zkasg.core.port.ZkProbe;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;

/**
 * One run of the health function: checks every member of the ensemble the way ZooKeeper operators do (ruok → imok,
 * srvr mode leader or follower, exactly one leader), counts consecutive failed checks per instance, and after
 * {@link HealthSettings#failuresToReplace()} of them marks the instance unhealthy so that Auto Scaling replaces it
 * through the normal hooks, but only when that cannot cost quorum. Along the way it reports stale state (slots held by
 * instances outside the group, node-id tags that disagree with the slot, ENIs and volumes in the wrong state), repairs
 * what is safe to repair, keeps the group's AZRebalance process suspended and publishes per-node metrics.
 *
 * <p>The members are found from the slots, not by listing the group: one DescribeNetworkInterfaces (cluster tag)
 * names the instances that hold a slot, one DescribeAutoScalingInstances (those ids) says which are in the group and
 * in service, and one DescribeInstances per holder gives its tags. No unfiltered describe.
 */
public final class HealthUseCase {

    /**
     * Consecutive failed checks, kept as a tag on the instance itself. There is no database to keep it in, and the
     * tag has the right lifetime: it dies with the instance (a replacement starts from zero), survives cold starts
     * and is visible to operators next to the instance. It is written only when the count changes, so a healthy
     * ensemble costs no write at all; a lagging read of the tag can at worst delay a replacement by one run.
     */
    public static final String FAILURES_TAG = "zkasg:health-failures";

    private final Settings settings;
    private final HealthSettings health;
    private final Ec2Port ec2;
    private final AutoScalingPort autoScaling;
    private final ZkProbe probe;
    private final Metrics metrics;
    private final Journal journal;
    private final Pauser pauser;
    private final SlotRelease release;
    private final StopLease lease;

    public HealthUseCase(Settings settings, HealthSettings health, Ec2Port ec2, AutoScalingPort autoScaling,
                         ZkProbe probe, StopLease lease, Metrics metrics, Journal journal, Pauser pauser) {
        this.settings = settings;
        this.health = health;
        this.ec2 = ec2;
        this.autoScaling = autoScaling;
        this.probe = probe;
        this.lease = lease;
        this.metrics = metrics;
        this.journal = journal;
        this.pauser = pauser;
        this.release = new SlotRelease(settings, ec2, autoScaling, journal);
    }

    /** Where a node stands in this run. */
    public enum State {
        /** In service and its check passed. */
        SERVING,
        /** In service and its check failed. */
        FAILING,
        /** No instance holds the slot (a replacement is on its way or the group is short). */
        VACANT,
        /** Held by an instance that is launching or joining (Pending, Pending:Wait...). */
        REJOINING,
        /**
         * Held by an instance that leaves the group or that Auto Scaling already marked unhealthy; its mode says
         * whether its server still serves (it stops only under the stop lease).
         */
        LEAVING,
        /** Held by an instance that is not in this group. */
        LEAKED
    }

    /** One node as this run saw it. {@code failures} is the count after this run (-1 when not checked). */
    public record Node(int nodeId, String ip, String az, String instanceId, State state, String mode, int failures,
                       String detail) {
    }

    /**
     * The run's result.
     *
     * @param markedUnhealthy the instance marked unhealthy in this run, if any
     * @param problems stale or inconsistent state found (each also journaled)
     * @param reportedVersions the version of the configuration each member whose server serves reported in its own
     *     {@code conf}, by node id: the in-service members (read with their check, no further probe) and the leaving
     *     members whose servers still serve (probed once more for it); all of them take part in choosing the newest
     *     configuration ({@code configuration})
     */
    public record Report(List<Node> nodes, int leaders, int serving, int quorum, Optional<String> markedUnhealthy,
                         List<String> problems, boolean azRebalanceSuspendedNow, Optional<Membership> configuration,
                         Map<Integer, Long> reportedVersions) {
    }

    public Report check() {
        var problems = new ArrayList<String>();
        var suspendedNow = suspendAzRebalance(problems);
        var cluster = settings.cluster();
        var enis = ec2.clusterEnis(cluster);
        var volumes = new ArrayList<VolumeView>();
        enis.stream().map(EniView::availabilityZone).distinct().sorted()
                .forEach(az -> volumes.addAll(ec2.clusterVolumes(cluster, az)));
        var catalog = SlotCatalog.of(cluster, enis, volumes);
        catalog.problems().forEach(p -> problem(problems, "slot-problem", Map.of("problem", p)));

        var holders = catalog.servers().keySet().stream()
                .flatMap(id -> catalog.eni(id).flatMap(EniView::holder).stream())
                .distinct().toList();
        var members = holders.isEmpty() ? Map.<String, GroupMember>of() : autoScaling.members(holders);

        var nodes = new ArrayList<Node>();
        var answers = new TreeMap<Integer, Membership>();
        for (var nodeId : catalog.servers().keySet()) {
            nodes.add(node(nodeId, catalog, members, problems, answers));
        }
        // A majority of the current configuration's voters; of the slots when no serving member reported one.
        var configuration = CurrentConfiguration.newest(answers.values());
        var voters = CurrentConfiguration.voters(configuration, catalog.servers().keySet());
        int quorum = QuorumPolicy.majority(voters.size());
        var marked = replaceIfSafe(nodes, voters);
        releaseLeaseOnceReplaced(nodes, problems);
        int leaders = (int) nodes.stream().filter(n -> n.state() == State.SERVING && "leader".equals(n.mode()))
                .count();
        int serving = (int) nodes.stream().filter(n -> n.state() == State.SERVING).count();
        if (serving > 0 && leaders != 1) {
            var leaderNodes = nodes.stream().filter(n -> "leader".equals(n.mode())).map(Node::nodeId).toList();
            problem(problems, leaders == 0 ? "no-leader" : "split-brain", fields("leaders", leaders,
                    "leaderNodes", leaderNodes, "serving", serving));
        }
        int servingVoters = (int) nodes.stream().filter(n -> n.state() == State.SERVING
                && voters.contains(n.nodeId())).count();
        if (servingVoters < quorum) {
            problem(problems, "below-quorum", fields("serving", servingVoters, "quorum", quorum,
                    "voters", voters.toString()));
        }
        publish(nodes, leaders, serving, servingVoters < quorum, quorum, marked);
        var report = new Report(List.copyOf(nodes), leaders, serving, quorum, marked, List.copyOf(problems),
                suspendedNow, configuration, versions(answers));
        journal.record("health-checked", fields("serving", serving, "leaders", leaders, "quorum", quorum,
                "voters", voters.toString(), "configurationVersion", configuration.map(Membership::versionHex)
                        .orElse(""), "markedUnhealthy", marked.orElse(""), "problems", problems.size()));
        return report;
    }

    /** The version of the configuration each member whose server serves reported in its own {@code conf}, by id. */
    private static Map<Integer, Long> versions(Map<Integer, Membership> answers) {
        var versions = new TreeMap<Integer, Long>();
        answers.forEach((id, conf) -> versions.put(id, conf.version()));
        return Collections.unmodifiableMap(versions);
    }

    private boolean suspendAzRebalance(List<String> problems) {
        try {
            var now = autoScaling.ensureAzRebalanceSuspended(settings.groupName());
            if (now) {
                journal.record("az-rebalance-suspended", fields("group", settings.groupName()));
            }
            return now;
        } catch (CloudException e) {
            problem(problems, "az-rebalance-unknown", fields("group", settings.groupName(), "code", e.code()));
            return false;
        }
    }

    private Node node(int nodeId, SlotCatalog catalog, Map<String, GroupMember> members, List<String> problems,
                      Map<Integer, Membership> answers) {
        var eni = catalog.eni(nodeId).orElseThrow();
        var ip = eni.privateIp();
        var az = eni.availabilityZone();
        var holder = eni.holder();
        if (holder.isEmpty()) {
            catalog.volume(nodeId).flatMap(VolumeView::holder).ifPresent(v -> problem(problems,
                    "volume-held-without-eni", fields("nodeId", nodeId, "az", az, "volumeHolder", v)));
            return new Node(nodeId, ip, az, "", State.VACANT, "", -1, "no instance holds the slot");
        }
        var id = holder.get();
        var member = members.get(id);
        if (member == null || !settings.groupName().equals(member.groupName())) {
            return leaked(nodeId, ip, az, id, problems);
        }
        if (member.isLeaving() || "UNHEALTHY".equalsIgnoreCase(member.healthStatus())) {
            // Probed once: a leaving member that still serves counts toward the majority (issue 15, item 3).
            var answer = probe.probe(ip, settings.clientPort(), health.probeTimeout());
            if (answer.serving()) {
                // Its configuration too: a reconfiguration under way counts it, and waits for its version.
                probe.membership(ip, settings.clientPort(), health.probeTimeout())
                        .ifPresent(c -> answers.put(nodeId, c));
            }
            return new Node(nodeId, ip, az, id, State.LEAVING, answer.serving() ? answer.mode() : "", -1,
                    member.lifecycleState() + "/" + member.healthStatus());
        }
        if (!"InService".equals(member.lifecycleState())) {
            return new Node(nodeId, ip, az, id, State.REJOINING, "", -1, member.lifecycleState());
        }
        // Only for members in service: while a node launches or leaves, its ENI and volume are attached or detached
        // one after the other, and a short mismatch is normal.
        checkEni(nodeId, id, eni, problems);
        checkVolume(nodeId, eni, catalog.volume(nodeId), problems);
        var instance = ec2.describeInstance(id);
        instance.ifPresent(i -> checkNodeTag(nodeId, eni, catalog.volume(nodeId), i, problems));
        var answer = checkServer(ip);
        int before = instance.flatMap(i -> i.tag(FAILURES_TAG)).map(HealthUseCase::count).orElse(0);
        int after = answer.serving() ? 0 : before + 1;
        if (after != before) {
            try {
                ec2.tagInstance(id, Map.of(FAILURES_TAG, Integer.toString(after)));
            } catch (CloudException e) {
                // The count is lost for this run only; the next run counts again from the tag.
                problem(problems, "failure-count-not-written", fields("instanceId", id, "nodeId", nodeId,
                        "code", e.code()));
            }
        }
        if (answer.serving()) {
            // Its configuration (conf), and the server's own myid, which must be the slot's node id, or the
            // ensemble's server list is wrong.
            var conf = probe.membership(ip, settings.clientPort(), health.probeTimeout());
            conf.ifPresent(c -> answers.put(nodeId, c));
            var myid = conf.filter(c -> c.serverId() > 0).map(c -> OptionalInt.of(c.serverId()))
                    .orElseGet(() -> probe.serverId(ip, settings.clientPort(), health.probeTimeout()));
            if (myid.isPresent() && myid.getAsInt() != nodeId) {
                problem(problems, "myid-mismatch", fields("instanceId", id, "nodeId", nodeId, "az", az,
                        "myid", myid.getAsInt()));
            }
        }
        var state = answer.serving() ? State.SERVING : State.FAILING;
        journal.record(answer.serving() ? "node-serving" : "node-failing", fields("instanceId", id, "nodeId", nodeId,
                "az", az, "ip", ip, "mode", answer.mode(), "zxid", answer.zxid(), "failures", after,
                "error", answer.error()));
        return new Node(nodeId, ip, az, id, state, answer.mode(), after, answer.error());
    }

    /** A check: imok and leader/follower. A failed attempt is retried (bounded): one slow answer is no failure. */
    private ServerHealth checkServer(String ip) {
        ServerHealth answer = null;
        for (int attempt = 1; attempt <= health.probeAttempts(); attempt++) {
            answer = probe.probe(ip, settings.clientPort(), health.probeTimeout());
            if (answer.serving()) {
                return answer;
            }
            if (attempt < health.probeAttempts()) {
                pauser.pause(health.retryPause());
            }
        }
        return answer;
    }

    /**
     * A slot held by an instance outside the group (a crashed function left it attached, or an operator detached
     * the instance from the group). Released only when that instance is gone or its ZooKeeper does not serve: a
     * serving one is a live member of the ensemble, and taking its slot would cost a node. An instance that is not
     * gone is released only by the holder of the stop lease.
     */
    private Node leaked(int nodeId, String ip, String az, String id, List<String> problems) {
        var instance = ec2.describeInstance(id);
        var gone = instance.isEmpty() || instance.get().isGone();
        var answer = gone ? ServerHealth.unreachable(ip, "instance gone") : checkServer(ip);
        if (answer.serving()) {
            problem(problems, "slot-held-outside-group", fields("instanceId", id, "nodeId", nodeId, "az", az,
                    "action", "none: its ZooKeeper serves as " + answer.mode()));
            return new Node(nodeId, ip, az, id, State.LEAKED, answer.mode(), -1, "serving outside the group");
        }
        if (!gone) {
            // Detaching a slot stops its server: only under the stop lease, kept until a replacement serves in the
            // slot (this function or the launch releases it then), as a terminate's stop keeps it.
            var grant = lease.acquire(settings.cluster().clusterName(), id, nodeId, settings.stopLeaseTtl());
            if (grant instanceof StopLease.Grant.Refused refused) {
                problem(problems, "slot-held-outside-group", fields("instanceId", id, "nodeId", nodeId, "az", az,
                        "action", "none yet: the stop lease is held by " + refused.current().instanceId()));
                return new Node(nodeId, ip, az, id, State.LEAKED, "", -1, "waits for the stop lease");
            }
        }
        problem(problems, "slot-held-outside-group", fields("instanceId", id, "nodeId", nodeId, "az", az,
                "action", "released"));
        release.release(id);
        return new Node(nodeId, ip, az, id, State.LEAKED, "", -1, "released: " + answer.error());
    }

    /**
     * The holder's node-id tag must name the slot it holds. The launch writes it right after its SendCommand; a launch
     * that crashed in between (and whose event's retries were lost) leaves a member that serves its slot untagged for
     * good, since the bootstrap's status completes the hook all the same. Its readers then do without it: the status
     * handler cannot tell whose stop lease the member's serving ends (this function's release below still can), and
     * the member's own terminate cannot learn from a probe of its server that ZooKeeper is stopped (so it never forces
     * a stuck detach).
     *
     * <p>So a MISSING tag is written back with the slot's node id, the value the launch would have written, when the
     * slot is whole on this instance: the ENI's describe shows it attached here (this path: in service), the volume's
     * too, and the instance's own describe shows both. It is safe: the value comes from the slot's ENI and volume,
     * never from a guess. EC2's lagging reads can only show a past state, in which this instance held node N's ENI and
     * volume, and an instance holds one slot in its life (its launch attaches one, at one device index, and only a
     * leaving, abandoned or leaked instance's slot is detached): that past state is its present slot. A describe
     * lagging behind the launch's own tag write makes this write the same value again; a read lagging behind an
     * attach defers the repair to a later run, at no cost. The tag changes no ZooKeeper and no slot.
     *
     * <p>A tag with another value is reported only: it could mean that two instances believe they hold different slots,
     * and which one is right is not for this function to guess.
     */
    private void checkNodeTag(int nodeId, EniView eni, Optional<VolumeView> volume, InstanceView instance,
                              List<String> problems) {
        var tagged = instance.tag(settings.nodeIdTagKey());
        var id = instance.instanceId();
        if (tagged.filter(Integer.toString(nodeId)::equals).isPresent()) {
            return;
        }
        String action;
        if (tagged.isPresent()) {
            action = "none: the tag names another node";
        } else if (!wholeSlotOn(id, eni, volume, instance)) {
            action = "none yet: the slot's ENI and volume are not both shown attached to it";
        } else {
            try {
                ec2.tagInstance(id, Map.of(settings.nodeIdTagKey(), Integer.toString(nodeId)));
                action = "written back";
            } catch (CloudException e) {
                // Throttled or refused: the next run tries again; the rest of this run goes on.
                action = "not written: " + e.code();
            }
        }
        problem(problems, "node-id-mismatch", fields("instanceId", id, "nodeId", nodeId,
                "az", instance.availabilityZone(), "taggedNodeId", tagged.orElse(""), "action", action));
    }

    /** Whether the slot's ENI and volume are both attached to {@code id}, as their describes and its own say. */
    private static boolean wholeSlotOn(String id, EniView eni, Optional<VolumeView> volume, InstanceView instance) {
        return instance.isRunning()
                && eni.attachment().filter(a -> "attached".equals(a.status())).isPresent()
                && volume.flatMap(VolumeView::holder).filter(id::equals).isPresent()
                && instance.nic(eni.eniId()).filter(InstanceView.NicAttachment::isAttached).isPresent()
                && volume.flatMap(v -> instance.volume(v.volumeId()))
                        .filter(InstanceView.VolumeAttachment::isAttached).isPresent();
    }

    private void checkEni(int nodeId, String instanceId, EniView eni, List<String> problems) {
        var attachment = eni.attachment().orElseThrow();
        if (!"attached".equals(attachment.status())) {
            problem(problems, "eni-state", fields("instanceId", instanceId, "nodeId", nodeId, "eniId", eni.eniId(),
                    "status", attachment.status()));
        }
        if (attachment.deleteOnTermination()) {
            // Safe to repair: it only keeps the ENI (the static IP) when the instance goes.
            String action;
            try {
                ec2.keepEniOnTermination(eni.eniId(), attachment.attachmentId());
                action = "set to false";
            } catch (CloudException e) {
                // Throttled, or the attachment gone since the describe: the next run looks again; this one goes on.
                action = "not set: " + e.code();
            }
            problem(problems, "eni-delete-on-termination", fields("instanceId", instanceId, "nodeId", nodeId,
                    "eniId", eni.eniId(), "action", action));
        }
    }

    private void checkVolume(int nodeId, EniView eni, Optional<VolumeView> volume, List<String> problems) {
        if (volume.isEmpty()) {
            problem(problems, "volume-missing", fields("nodeId", nodeId, "az", eni.availabilityZone()));
            return;
        }
        var v = volume.get();
        if (!v.availabilityZone().equals(eni.availabilityZone())) {
            problem(problems, "volume-az", fields("nodeId", nodeId, "volumeId", v.volumeId(),
                    "volumeAz", v.availabilityZone(), "az", eni.availabilityZone()));
        }
        if ("error".equals(v.state())) {
            problem(problems, "volume-state", fields("nodeId", nodeId, "volumeId", v.volumeId(), "state", v.state()));
        }
        // Both parts of a slot belong to the same instance.
        if (!v.holder().equals(eni.holder())) {
            problem(problems, "slot-split", fields("nodeId", nodeId, "eniId", eni.eniId(),
                    "eniHolder", eni.holder().orElse(""), "volumeId", v.volumeId(),
                    "volumeHolder", v.holder().orElse("")));
        }
    }

    /**
     * Marks at most one node per run, the failing one with the most failed checks, and only when
     * {@link QuorumPolicy#mayMark} allows it: its own server does not serve and the others that serve (a leaving one
     * that still serves included: it stops only under the stop lease, after its own check) are a majority without
     * it. When the rest is not a majority either, a replacement cannot help and a person must look.
     */
    private Optional<String> replaceIfSafe(List<Node> nodes, Set<Integer> voters) {
        var candidate = nodes.stream()
                .filter(n -> n.state() == State.FAILING && n.failures() >= health.failuresToReplace())
                .max(Comparator.comparingInt(Node::failures).thenComparing(Node::nodeId, Comparator.reverseOrder()));
        if (candidate.isEmpty()) {
            return Optional.empty();
        }
        var sick = candidate.get();
        var states = new TreeMap<Integer, QuorumPolicy.NodeState>();
        nodes.forEach(n -> states.put(n.nodeId(), policyState(n)));
        var verdict = QuorumPolicy.mayMark(states, voters, sick.nodeId());
        if (!verdict.allowed()) {
            journal.record("replace-deferred", fields("instanceId", sick.instanceId(), "nodeId", sick.nodeId(),
                    "az", sick.az(), "failures", sick.failures(), "reason", verdict.reason()));
            return Optional.empty();
        }
        try {
            autoScaling.markUnhealthy(sick.instanceId());
        } catch (CloudException e) {
            journal.record("replace-failed", fields("instanceId", sick.instanceId(), "nodeId", sick.nodeId(),
                    "az", sick.az(), "code", e.code()));
            return Optional.empty();
        }
        journal.record("marked-unhealthy", fields("instanceId", sick.instanceId(), "nodeId", sick.nodeId(),
                "az", sick.az(), "failures", sick.failures(), "error", sick.detail()));
        return Optional.of(sick.instanceId());
    }

    /** A node of this run as the quorum policy sees it. A failing one is never counted as serving. */
    private static QuorumPolicy.NodeState policyState(Node node) {
        var serving = "leader".equals(node.mode()) || "follower".equals(node.mode());
        return switch (node.state()) {
            case SERVING -> "leader".equals(node.mode()) ? QuorumPolicy.NodeState.LEADER
                    : QuorumPolicy.NodeState.FOLLOWER;
            case LEAVING -> serving ? QuorumPolicy.NodeState.LEAVING : QuorumPolicy.NodeState.STOPPED;
            case LEAKED -> serving ? QuorumPolicy.NodeState.FOLLOWER : QuorumPolicy.NodeState.DOWN;
            case FAILING -> QuorumPolicy.NodeState.DOWN;
            case REJOINING -> QuorumPolicy.NodeState.REJOINING;
            case VACANT -> QuorumPolicy.NodeState.VACANT;
        };
    }

    /**
     * Ends the stop lease of a member that left once its replacement serves: the slot the holder stopped is held by
     * another instance whose server answered as leader or follower in this run. The launch's completion does the
     * same; this covers a lost status event. A slot that stays vacant keeps the lease until its expiry, but for a node
     * above the ensemble's size, whose stop gives it back with its slot (TerminateUseCase).
     */
    private void releaseLeaseOnceReplaced(List<Node> nodes, List<String> problems) {
        var cluster = settings.cluster().clusterName();
        try {
            var holder = lease.current(cluster);
            if (holder.isEmpty()) {
                return;
            }
            var h = holder.get();
            nodes.stream().filter(n -> n.nodeId() == h.nodeId() && n.state() == State.SERVING
                    && !n.instanceId().equals(h.instanceId())).findFirst().ifPresent(n -> {
                        if (lease.release(cluster, h.instanceId(), h.counter())) {
                            journal.record("stop-lease-released", fields("holder", h.instanceId(), "nodeId",
                                    h.nodeId(), "counter", h.counter(), "reason", "replacement " + n.instanceId()
                                            + " serves as " + n.mode()));
                        }
                    });
        } catch (CloudException e) {
            problem(problems, "stop-lease-unknown", fields("code", e.code()));
        }
    }

    private void publish(List<Node> nodes, int leaders, int serving, boolean belowQuorum, int quorum,
                         Optional<String> marked) {
        for (var node : nodes) {
            var values = new ArrayList<Metric>();
            values.add(Metric.count("Serving", node.state() == State.SERVING ? 1 : 0));
            values.add(Metric.count("Leader", "leader".equals(node.mode()) ? 1 : 0));
            values.add(Metric.count("ConsecutiveFailures", Math.max(0, node.failures())));
            // Only from serving nodes: a frozen one would cost another timeout for figures nobody can use.
            if (node.state() == State.SERVING) {
                var figures = probe.figures(node.ip(), settings.clientPort(), health.probeTimeout());
                if (figures.znodeCount() >= 0) {
                    values.add(Metric.count("ZnodeCount", figures.znodeCount()));
                    values.add(Metric.count("OutstandingRequests", figures.outstandingRequests()));
                    values.add(Metric.millis("AvgLatency", figures.avgLatencyMs()));
                }
                if (figures.followers() >= 0) {
                    values.add(Metric.count("Followers", figures.followers()));
                    values.add(Metric.count("SyncedFollowers", figures.syncedFollowers()));
                }
            }
            metrics.publish(Map.of("NodeId", Integer.toString(node.nodeId())), values, fields("instanceId",
                    node.instanceId(), "az", node.az(), "state", node.state().name(), "mode", node.mode()));
        }
        long failing = nodes.stream().filter(n -> n.state() == State.FAILING).count();
        metrics.publish(Map.of(), List.of(
                Metric.count("ServingNodes", serving),
                Metric.count("Leaders", leaders),
                Metric.count("QuorumSize", quorum),
                Metric.count("BelowQuorum", belowQuorum ? 1 : 0),
                Metric.count("FailingNodes", failing),
                // Every slot whose server does not serve, for whatever reason (sick, vacant, being replaced).
                Metric.count("NotServingNodes", nodes.size() - serving),
                Metric.count("NodesMarkedUnhealthy", marked.isPresent() ? 1 : 0)), Map.of());
    }

    private void problem(List<String> problems, String kind, Map<String, ?> details) {
        problems.add(kind + " " + details);
        var line = new LinkedHashMap<String, Object>(details);
        line.put("problem", kind);
        journal.record("health-problem", line);
    }

    private static int count(String raw) {
        try {
            return Math.max(0, Integer.parseInt(raw));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Map<String, Object> fields(Object... pairs) {
        return JournalFields.line(pairs);
    }
}
