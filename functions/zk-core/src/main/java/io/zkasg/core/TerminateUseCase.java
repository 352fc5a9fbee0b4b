package io.zkasg.core;

import static io.zkasg.core.JournalFields.fields;

import io.zkasg.core.model.AgentStatus;
import io.zkasg.core.model.GroupMember;
import io.zkasg.core.model.InstanceView;
import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.model.LifecycleResult;
import io.zkasg.core.model.ServerHealth;
import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.Ec2Port;
import io.zkasg.core.port.Journal;
import io.zkasg.core.port.ResumeScheduler;
import io.zkasg.core.port.SsmPort;
import io.zkasg.core.port.StopLease;
import io.zkasg.core.port.ZkProbe;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * A member leaves. Before ZooKeeper is stopped, the quorum guard checks that the ensemble keeps a majority without
 * this node; if not (another node is down, rejoining or leaving first) the action waits, with heartbeats, through the
 * resume queue. Then the stop command runs when SSM can reach the instance (its status event releases the slot and
 * completes the hook); an unreachable instance has its slot released at once.
 */
public final class TerminateUseCase {

    /**
     * zk-stop's exit code for a stop whose lease counter is below one the instance has already acted on (a stale
     * lease holder): scripts/lib/common.sh EXIT_STALE, checked by PatternsAgreeTest. SSM reports it as Failed.
     */
    public static final int EXIT_STALE_FENCE = 4;

    private final Settings settings;
    private final Ec2Port ec2;
    private final AutoScalingPort autoScaling;
    private final SsmPort ssm;
    private final ZkProbe zk;
    private final Journal journal;
    private final Clock clock;
    private final ScriptBundle bundle;
    private final SlotRelease release;
    private final Deferral deferral;
    private final StopLease lease;

    public TerminateUseCase(Settings settings, Ec2Port ec2, AutoScalingPort autoScaling, SsmPort ssm, ZkProbe zk,
                            StopLease lease, ResumeScheduler scheduler, Journal journal, Clock clock,
                            RandomGenerator random, ScriptBundle bundle) {
        this.settings = settings;
        this.ec2 = ec2;
        this.autoScaling = autoScaling;
        this.ssm = ssm;
        this.zk = zk;
        this.lease = lease;
        this.journal = journal;
        this.clock = clock;
        this.bundle = bundle;
        this.release = new SlotRelease(settings, ec2, autoScaling, journal);
        this.deferral = new Deferral(settings, ec2, autoScaling, scheduler, journal, clock, random);
    }

    /** Advances one terminate lifecycle action (first event or resumption). */
    public HookOutcome advance(HookTicket ticket) {
        try {
            return step(ticket);
        } catch (CloudException.Throttled e) {
            return deferral.defer(ticket, "terminate", "throttled by AWS (" + e.code() + ")");
        }
    }

    private HookOutcome step(HookTicket ticket) {
        var ref = ticket.ref();
        var id = ref.instanceId();
        var found = ec2.describeInstance(id);
        if (found.isEmpty() || found.get().isGone()) {
            return release.complete(ref, LifecycleResult.CONTINUE, "instance is already gone");
        }
        var instance = found.get();
        var superseded = deferral.superseded(ticket, instance);
        if (superseded.isPresent()) {
            return ignored(id, superseded.get());
        }
        if (instance.tag(InstanceTags.STOP_ENDED).isPresent()) {
            return finishRelease(ticket);
        }
        var stop = instance.tag(InstanceTags.STOP_COMMAND);
        if (stop.isPresent()) {
            if (ticket.attempt() > 1) {
                // Re-driven (the reconciler saw the stop's wait run out): its status event may be lost.
                var status = ssm.commandStatus(stop.get(), id);
                journal.record("command-status-read", fields(id, "commandId", stop.get(), "status",
                        status.orElse("unknown")));
                if (status.filter(s -> "Success".equals(s) || CommandStatusUseCase.FAILED.contains(s)).isPresent()) {
                    return onStopEnded(stop.get(), id, status.get());
                }
            }
            return ignored(id, "stop command " + stop.get() + " was sent already; its status completes the hook");
        }
        var catalog = SlotCatalog.of(settings.cluster(), ec2.clusterEnis(settings.cluster()),
                ec2.clusterVolumes(settings.cluster(), instance.availabilityZone()));
        var held = catalog.heldBy(id);
        if (held.isEmpty()) {
            release.release(id);
            return release.complete(ref, LifecycleResult.CONTINUE, "instance holds no slot");
        }
        int nodeId = held.get();
        var guard = quorumGuard(ticket, instance, nodeId, catalog);
        var unsafe = guard.unsafe();
        if (unsafe.isPresent()) {
            // Never stopped while that would cost the majority, however long it waits: a terminate hook's result does
            // not matter (CONTINUE and ABANDON both terminate the instance), only heartbeats keep it alive. Past
            // TERMINATE_MAX_WAIT_SECONDS every attempt says so, for an alarm and a person (docs/quorum.md).
            if (Duration.between(ticket.startedAt(), clock.instant()).compareTo(settings.terminateMaxWait()) >= 0) {
                journal.record("quorum-guard-overdue", fields(id, "nodeId", nodeId, "reason", unsafe.get(),
                        "waitedSeconds", Duration.between(ticket.startedAt(), clock.instant()).toSeconds(),
                        "maxWaitSeconds", settings.terminateMaxWait().toSeconds()));
            }
            return deferral.defer(ticket, "terminate", unsafe.get());
        }
        var volume = serverVolume(instance, nodeId, catalog);
        if (!settings.stopDocument().isEmpty() && volume.isPresent() && ssm.agentStatus(id) == AgentStatus.ONLINE) {
            // The stop's status completes the hook: give it a full heartbeat period.
            var beat = deferral.keepAlive(ticket, "terminate", settings.commandTimeout());
            if (beat.isEmpty()) {
                return new HookOutcome.Ignored("the lifecycle action is over");
            }
            try {
                var commandId = ssm.sendCommand(id, settings.stopDocument(),
                        CommandParameters.stop(volume.get(), guard.counter(), bundle),
                        "zkasg stop node " + nodeId,
                        settings.commandTimeout());
                ec2.tagInstance(id, guard.tags(InstanceTags.STOP_COMMAND, commandId,
                        InstanceTags.WAIT, deferral.commandStamp(ticket, beat.get())));
                journal.record("stop-sent", fields(id, "nodeId", nodeId, "volumeId", volume.get(),
                        "commandId", commandId, "leaseCounter", guard.counter()));
                return new HookOutcome.CommandSent(nodeId, catalog.eni(nodeId).orElseThrow().eniId(),
                        volume.get(), commandId, Map.of("VolumeId", volume.get()));
            } catch (CloudException.AgentNotReady e) {
                journal.record("stop-skipped", fields(id, "nodeId", nodeId, "code", e.code()));
            }
        }
        // Unreachable (crashed, SSM offline): the instance is going away, so the slot is released without a stop.
        journal.record("stop-impossible", fields(id, "nodeId", nodeId, "reason",
                "SSM cannot reach the instance; releasing the slot without a clean stop"));
        ec2.tagInstance(id, guard.tags(InstanceTags.STOP_ENDED, "unreachable"));
        return finishRelease(releaseTicket(ref));
    }

    /**
     * The volume this node's server runs on, on the leaving instance: the slot's tagged volume when it is attached
     * here, otherwise whatever volume is at the slot's device. An instance holding the slot's ENI runs the slot's
     * server whatever its volume's tags say: after {@code zk-restore node} has moved the tags to the restored volume,
     * the old instance still runs on the old, untagged one, and must be stopped like any member (a server left
     * running beside its replacement would be a second voter with the same id).
     */
    private Optional<String> serverVolume(InstanceView instance, int nodeId, SlotCatalog catalog) {
        var tagged = catalog.volume(nodeId).map(v -> v.volumeId()).filter(v -> instance.volume(v).isPresent());
        if (tagged.isPresent()) {
            return tagged;
        }
        return instance.volumes().stream().filter(v -> settings.volumeDevice().equals(v.device()))
                .map(InstanceView.VolumeAttachment::volumeId).findFirst();
    }

    /**
     * Detaches the slot and completes the hook once EC2 shows both the ENI and the volume off the instance. While
     * they are detaching the action waits (resume queue) and the stop lease, if this instance holds it, is renewed.
     * After {@code RELEASE_FORCE_AFTER_SECONDS} a detach that is still stuck is forced, as the last resort and only
     * when ZooKeeper on that node is known stopped (its stop command succeeded, its host refuses the client port) or
     * the instance is gone: a volume is never pulled from under a server that may still write. Otherwise the hook is
     * completed without forcing, and the instance's termination detaches both.
     */
    private HookOutcome finishRelease(HookTicket ticket) {
        var id = ticket.instanceId();
        renewIfHeld(id);
        var waited = Duration.between(ticket.startedAt(), clock.instant());
        var force = false;
        if (waited.compareTo(settings.releaseForceAfter()) >= 0 && release.remaining(id) > 0) {
            var stopped = zkKnownStopped(id);
            if (stopped.isPresent()) {
                force = true;
                journal.record("force-detach", fields(id, "waitedSeconds", waited.toSeconds(), "reason",
                        "detach still not finished and " + stopped.get() + ": forcing it as the last resort"));
            } else {
                journal.record("force-detach-refused", fields(id, "waitedSeconds", waited.toSeconds(), "reason",
                        "ZooKeeper on the instance is not known to be stopped; its termination will detach the slot"));
                return release.complete(ticket.ref(), LifecycleResult.CONTINUE, "slot left to the termination after "
                        + waited.toSeconds() + " s (ZooKeeper not known stopped)");
            }
        }
        release.release(id, force);
        var remaining = release.remaining(id);
        if (remaining == 0 || force) {
            releaseLeaseWithTheSlot(id);
            return release.complete(ticket.ref(), LifecycleResult.CONTINUE, remaining == 0 ? "slot released"
                    : "slot force-detached after " + waited.toSeconds() + " s");
        }
        return deferral.defer(ticket, "terminate", remaining + " attachment(s) of the slot still detaching");
    }

    /** Why ZooKeeper on the instance is known not to run any more, if it is. */
    private Optional<String> zkKnownStopped(String instanceId) {
        var found = ec2.describeInstance(instanceId);
        if (found.isEmpty() || found.get().isGone()) {
            return Optional.of("the instance is gone");
        }
        if (found.get().tag(InstanceTags.STOP_ENDED).filter("Success"::equals).isPresent()) {
            return Optional.of("its stop command succeeded");
        }
        var servers = SlotCatalog.of(settings.cluster(), ec2.clusterEnis(settings.cluster()), List.of()).servers();
        var ip = found.get().tag(settings.nodeIdTagKey()).flatMap(TerminateUseCase::number).map(servers::get);
        if (ip.isPresent()) {
            var health = zk.probe(ip.get(), settings.clientPort(), settings.probeTimeout());
            if (health.knownNotServing() && !health.imok()) {
                return Optional.of("its host refuses ZooKeeper's client port");
            }
        }
        return Optional.empty();
    }

    /**
     * Gives the stop lease back with the slot, when no replacement would ever release it. Any other stop keeps the
     * lease until its node's replacement serves (docs/quorum.md). Two stops have no such replacement:
     * <ul>
     * <li>the stop of a node the guard found not serving, with fewer than a majority of the others serving (tagged
     * {@link InstanceTags#STOPPED_WITHOUT_QUORUM}): its replacement cannot serve alone (every server down: a
     * whole-ensemble restore);</li>
     * <li>the stop of a node above the ensemble's size ({@code ENSEMBLE_MEMBERS} lowered by a shrink before this
     * member left): no launch claims its slot, and the lease kept until its expiry (30 minutes by default) blocked
     * every other stop and the reconfiguration removing that very node (model check seed 20806848).</li>
     * </ul>
     * Called once the slot is off the instance: its server cannot serve at that node's address any more, and every
     * later guard sees the node vacant or rejoining.
     */
    private void releaseLeaseWithTheSlot(String instanceId) {
        var withoutQuorum = ec2.describeInstance(instanceId)
                .flatMap(i -> i.tag(InstanceTags.STOPPED_WITHOUT_QUORUM)).isPresent();
        var cluster = settings.cluster().clusterName();
        lease.current(cluster).filter(h -> h.instanceId().equals(instanceId)).ifPresent(h -> {
            var aboveSize = h.nodeId() > 0 && !settings.member(h.nodeId());
            if ((withoutQuorum || aboveSize) && lease.release(cluster, instanceId, h.counter())) {
                var why = withoutQuorum ? "stopped a node that was not serving, without a quorum around it"
                        : "node " + h.nodeId() + " is above the ensemble's size: no replacement will serve there";
                journal.record("stop-lease-released", fields(instanceId, "holder", instanceId, "nodeId", h.nodeId(),
                        "counter", h.counter(), "reason", why + "; its slot is released"));
            }
        });
    }

    private void renewIfHeld(String instanceId) {
        var cluster = settings.cluster().clusterName();
        lease.current(cluster).filter(h -> h.instanceId().equals(instanceId)).ifPresent(h -> {
            if (!lease.renew(cluster, instanceId, h.counter(), settings.stopLeaseTtl())) {
                journal.record("stop-lease-lost", fields(instanceId, "counter", h.counter()));
            }
        });
    }

    /**
     * Why stopping this node now would cost the ensemble its majority, if it would. Every stop holds the cluster's
     * stop lease, so the guard takes it first, whatever this node's state: no two stops ever overlap, also not a
     * known-down node's stop with a serving node's (a server that comes back between its probe and its stop is then
     * the only one stopping). Under the lease it probes this node: one known not to run (its host refused the
     * connection) can go, it changes nothing for the count; one that runs outside a quorum goes through the policy
     * like a serving one (below quorum it is a voter the ensemble needs back). Otherwise (also when it
     * does not answer in time: a stall is not down, and a prober without a path to the members must never let a node
     * go early) it probes the others once more: those that answer as leader or follower, leaving or not, keep
     * serving, since nobody else can stop while this node holds the lease ({@link QuorumPolicy#mayStop}). When that is
     * not a majority, the lease is given back at once.
     */
    private Guard quorumGuard(HookTicket ticket, InstanceView instance, int nodeId, SlotCatalog catalog) {
        var id = instance.instanceId();
        var servers = catalog.servers();
        var cluster = settings.cluster().clusterName();
        var grant = lease.acquire(cluster, id, nodeId, settings.stopLeaseTtl());
        if (grant instanceof StopLease.Grant.Refused refused && takeOver(refused.current(), id, nodeId, catalog)) {
            grant = lease.acquire(cluster, id, nodeId, settings.stopLeaseTtl());
        }
        if (grant instanceof StopLease.Grant.Refused refused) {
            var holder = refused.current();
            journal.record("stop-lease-refused", fields(id, "nodeId", nodeId, "holder", holder.instanceId(),
                    "holderNodeId", holder.nodeId(), "expiresAt", holder.expiresAt().toString(),
                    "attempt", ticket.attempt()));
            return Guard.wait("the stop lease is held by " + holder.instanceId() + " (node " + holder.nodeId()
                    + ") until its replacement serves, at most until " + holder.expiresAt());
        }
        long counter = ((StopLease.Grant.Granted) grant).counter();
        var self = zk.probe(servers.get(nodeId), settings.clientPort(), settings.probeTimeout());
        // The final probe, under the lease (also for a node known down: whether the others have a quorum decides
        // how long its stop keeps the lease).
        var states = new TreeMap<Integer, QuorumPolicy.NodeState>();
        states.put(nodeId, state(self, false));
        var members = otherMembers(catalog, nodeId);
        for (var entry : servers.entrySet()) {
            if (entry.getKey() != nodeId) {
                states.put(entry.getKey(), otherState(catalog, entry.getKey(), entry.getValue(), members));
            }
        }
        // The majority is of the current configuration's voters (read from the serving members, under the lease:
        // no reconfiguration runs meanwhile), of the slots when none answers.
        var voters = CurrentConfiguration.voters(CurrentConfiguration.read(zk, servingIps(states, servers),
                settings.clientPort(), settings.probeTimeout()), servers.keySet());
        if (states.get(nodeId).knownNotServing()) {
            // A member outside the configuration (removed by a shrink) is never replaced: its lease goes back with
            // its slot, as after a stop without quorum.
            var withoutQuorum = QuorumPolicy.withoutQuorum(states, voters, nodeId) || !voters.contains(nodeId);
            journal.record("quorum-guard", fields(id, "nodeId", nodeId, "verdict",
                    "this node is not serving; stopping it changes nothing", "states", states.toString(),
                    "voters", voters.toString(), "withoutQuorum", withoutQuorum, "leaseCounter", counter));
            return new Guard(Optional.empty(), counter, withoutQuorum);
        }
        var verdict = QuorumPolicy.mayStop(states, voters, nodeId);
        journal.record("quorum-guard", fields(id, "nodeId", nodeId, "verdict", verdict.allowed() ? "safe" : "unsafe",
                "stillServing", verdict.keepServing(), "majority", verdict.majority(), "states", states.toString(),
                "voters", voters.toString(), "leaseCounter", counter, "attempt", ticket.attempt()));
        if (verdict.allowed()) {
            return new Guard(Optional.empty(), counter, !voters.contains(nodeId));
        }
        lease.release(cluster, id, counter);
        return Guard.wait(verdict.reason());
    }

    /**
     * The lease is held for this very node by its former instance, waiting for the node's replacement to serve, and
     * this instance is that replacement, leaving in turn while the lease still waits for it: it would wait the
     * lease's expiry for itself. The former instance's stop has taken effect (this instance holds the node's ENI,
     * and its volume is on no other instance), so its grant is given back, fenced by its counter, as the
     * replacement's bootstrap would have done; this stop then takes the lease as any other (and may lose it to
     * another leaver: it waits then).
     */
    private boolean takeOver(StopLease.Holder holder, String instanceId, int nodeId, SlotCatalog catalog) {
        if (holder.nodeId() != nodeId || holder.instanceId().equals(instanceId)
                || catalog.volume(nodeId).flatMap(v -> v.holder()).filter(h -> !h.equals(instanceId)).isPresent()) {
            return false;
        }
        var released = lease.release(settings.cluster().clusterName(), holder.instanceId(), holder.counter());
        if (released) {
            journal.record("stop-lease-released", fields(instanceId, "holder", holder.instanceId(), "nodeId", nodeId,
                    "counter", holder.counter(), "reason", "this instance replaced that node and leaves before "
                            + "serving; the former instance's stop has taken effect"));
        }
        return released;
    }

    /** The addresses of the nodes that serve (leader or follower, leaving or not), the leader's first. */
    private static List<String> servingIps(Map<Integer, QuorumPolicy.NodeState> states, Map<Integer, String> servers) {
        var ips = new ArrayList<String>();
        states.forEach((node, state) -> {
            if (state == QuorumPolicy.NodeState.LEADER) {
                ips.add(0, servers.get(node));
            } else if (state.serving()) {
                ips.add(servers.get(node));
            }
        });
        return ips;
    }

    /**
     * The guard's answer: why the stop must wait (empty: it may go now), the lease counter the stop holds, and
     * whether the node was found not serving without a quorum around it (its lease goes back with its slot).
     */
    private record Guard(Optional<String> unsafe, long counter, boolean withoutQuorum) {

        static Guard wait(String reason) {
            return new Guard(Optional.of(reason), 0, false);
        }

        /** The tags written with the stop, plus {@link InstanceTags#STOPPED_WITHOUT_QUORUM} when it applies. */
        Map<String, String> tags(String... keysAndValues) {
            var tags = new LinkedHashMap<String, String>();
            for (int i = 0; i < keysAndValues.length; i += 2) {
                tags.put(keysAndValues[i], keysAndValues[i + 1]);
            }
            if (withoutQuorum) {
                tags.put(InstanceTags.STOPPED_WITHOUT_QUORUM, "true");
            }
            return tags;
        }
    }

    private Map<String, GroupMember> otherMembers(SlotCatalog catalog, int nodeId) {
        var holders = new ArrayList<String>();
        catalog.servers().keySet().stream().filter(n -> n != nodeId)
                .forEach(n -> catalog.eni(n).flatMap(e -> e.holder()).ifPresent(holders::add));
        return holders.isEmpty() ? Map.of() : autoScaling.members(holders);
    }

    /**
     * Another node as the lease holder counts it. A leaving member whose stop was sent or whose instance is gone is
     * STOPPED without a probe (a hint that can only lower the count), a member not yet in service is REJOINING; any
     * other holder's server is probed.
     */
    private QuorumPolicy.NodeState otherState(SlotCatalog catalog, int node, String ip,
                                             Map<String, GroupMember> members) {
        var holder = catalog.eni(node).flatMap(e -> e.holder());
        if (holder.isEmpty()) {
            return QuorumPolicy.NodeState.VACANT;
        }
        var member = members.get(holder.get());
        var leaving = member == null || member.isLeaving();
        if (!leaving && !"InService".equals(member.lifecycleState())) {
            // Launching (or in standby): not counted even when it answers. A failed launch's abandon detaches its
            // slot without the lease, so a holder must never rely on it to keep serving.
            return QuorumPolicy.NodeState.REJOINING;
        }
        if (leaving) {
            var other = ec2.describeInstance(holder.get());
            if (other.isEmpty() || other.get().isGone() || other.get().tag(InstanceTags.STOP_COMMAND).isPresent()
                    || other.get().tag(InstanceTags.STOP_ENDED).isPresent()) {
                return QuorumPolicy.NodeState.STOPPED;
            }
        }
        return state(zk.probe(ip, settings.clientPort(), settings.probeTimeout()), leaving);
    }

    /** A probe's answer as a node state: a timeout or a silent srvr is a stall, not a known-down server. */
    static QuorumPolicy.NodeState state(ServerHealth health, boolean leaving) {
        if (health.serving()) {
            return leaving ? QuorumPolicy.NodeState.LEAVING
                    : "leader".equals(health.mode()) ? QuorumPolicy.NodeState.LEADER : QuorumPolicy.NodeState.FOLLOWER;
        }
        if (!health.knownNotServing()) {
            return QuorumPolicy.NodeState.STALLED;
        }
        // Answered outside a quorum: running, a voter (below quorum the ensemble needs it back); refused: down.
        return health.imok() ? QuorumPolicy.NodeState.LOOKING : QuorumPolicy.NodeState.DOWN;
    }

    /**
     * The stop command ended (any terminal status): release the slot, then let the termination go on. A stop that is
     * not the instance's tagged one speaks for nothing: a second send (a retry after a lost answer, a re-drive whose
     * tag read lagged) or a stale lease holder's stop, which the instance refuses ({@code zk-stop} exits
     * {@value #EXIT_STALE_FENCE}, SSM says Failed) once it has acted on a newer counter. Its status must not end the
     * release phase of the stop that counts. When the tag does not show yet (a lagging read), the status goes on as
     * before.
     */
    public HookOutcome onStopEnded(String commandId, String instanceId, String status) {
        var ref = new LifecycleRef(settings.groupName(), settings.terminateHookName(), instanceId, null);
        journal.record("stop-ended", fields(instanceId, "commandId", commandId, "status", status));
        try {
            var tagged = ec2.describeInstance(instanceId).flatMap(i -> i.tag(InstanceTags.STOP_COMMAND));
            if (tagged.isPresent() && !tagged.get().equals(commandId)) {
                return ignored(instanceId, "stop " + commandId + " ended " + status + " but " + tagged.get()
                        + " is the instance's stop command");
            }
            ec2.tagInstance(instanceId, Map.of(InstanceTags.STOP_ENDED, status));
            return finishRelease(releaseTicket(ref));
        } catch (CloudException.NotFound e) {
            return release.complete(ref, LifecycleResult.CONTINUE, "instance is already gone");
        } catch (CloudException.Throttled e) {
            // The release goes on through the resume queue: the resumption finds the stop ended (its tag, or the
            // command's status when the tag write was the call refused).
            return deferral.defer(releaseTicket(ref), "terminate", "throttled by AWS (" + e.code() + ")");
        }
    }

    /**
     * The release phase starts now; when the hook's timer last restarted is not known here (a heartbeat before the
     * stop, or none), so the first deferral beats.
     */
    private HookTicket releaseTicket(LifecycleRef ref) {
        var now = clock.instant();
        return new HookTicket(ref, now, now.minus(settings.heartbeatTimeout()), 1, "");
    }

    private static Optional<Integer> number(String raw) {
        try {
            return Optional.of(Integer.parseInt(raw));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private HookOutcome ignored(String instanceId, String reason) {
        journal.record("terminate-ignored", fields(instanceId, "reason", reason));
        return new HookOutcome.Ignored(reason);
    }

}
