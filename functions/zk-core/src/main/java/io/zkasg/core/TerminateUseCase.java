package io.zkasg.core;

import static io.zkasg.core.JournalFields.fields;

import io.zkasg.core.model.AgentStatus;
import io.zkasg.core.model.InstanceView;
import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.model.LifecycleResult;
import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.Ec2Port;
import io.zkasg.core.port.Journal;
import io.zkasg.core.port.ResumeScheduler;
import io.zkasg.core.port.SsmPort;
import io.zkasg.core.port.ZkProbe;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;

import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * A member leaves. Before ZooKeeper is stopped, the quorum guard checks that the ensemble keeps a majority without
 * this node; if not (another node is down, rejoining or leaving first) the action waits, with heartbeats, through the
 * resume queue. Then the stop command runs when SSM can reach the instance (its status event releases the slot and
 * completes the hook); an unreachable instance has its slot released at once.
 */
public final class TerminateUseCase {

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

    public TerminateUseCase(Settings settings, Ec2Port ec2, AutoScalingPort autoScaling, SsmPort ssm, ZkProbe zk,
                            ResumeScheduler scheduler, Journal journal, Clock clock, RandomGenerator random,
                            ScriptBundle bundle) {
        this.settings = settings;
        this.ec2 = ec2;
        this.autoScaling = autoScaling;
        this.ssm = ssm;
        this.zk = zk;
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
        var unsafe = quorumGuard(ticket, instance, nodeId, catalog);
        if (unsafe.isPresent()) {
            if (Duration.between(ticket.startedAt(), clock.instant()).compareTo(settings.terminateMaxWait()) < 0) {
                return deferral.defer(ticket, "terminate", unsafe.get());
            }
            journal.record("quorum-guard-expired", fields(id, "nodeId", nodeId, "reason", unsafe.get(),
                    "waitedSeconds", settings.terminateMaxWait().toSeconds()));
        }
        var volume = catalog.volume(nodeId).filter(v -> instance.volume(v.volumeId()).isPresent());
        if (!settings.stopDocument().isEmpty() && volume.isPresent() && ssm.agentStatus(id) == AgentStatus.ONLINE) {
            // The stop's status completes the hook: give it a full heartbeat period.
            if (deferral.keepAlive(ticket, "terminate", settings.commandTimeout()).isEmpty()) {
                return new HookOutcome.Ignored("the lifecycle action is over");
            }
            try {
                var commandId = ssm.sendCommand(id, settings.stopDocument(),
                        CommandParameters.stop(volume.get().volumeId(), bundle), "zkasg stop node " + nodeId,
                        settings.commandTimeout());
                ec2.tagInstance(id, Map.of(InstanceTags.STOP_COMMAND, commandId,
                        InstanceTags.WAIT, deferral.commandStamp(ticket)));
                journal.record("stop-sent", fields(id, "nodeId", nodeId, "volumeId", volume.get().volumeId(),
                        "commandId", commandId));
                return new HookOutcome.CommandSent(nodeId, catalog.eni(nodeId).orElseThrow().eniId(),
                        volume.get().volumeId(), commandId, Map.of("VolumeId", volume.get().volumeId()));
            } catch (CloudException.AgentNotReady e) {
                journal.record("stop-skipped", fields(id, "nodeId", nodeId, "code", e.code()));
            }
        }
        // Unreachable (crashed, SSM offline): the instance is going away, so the slot is released without a stop.
        journal.record("stop-impossible", fields(id, "nodeId", nodeId, "reason",
                "SSM cannot reach the instance; releasing the slot without a clean stop"));
        ec2.tagInstance(id, Map.of(InstanceTags.STOP_ENDED, "unreachable"));
        return finishRelease(releaseTicket(ref));
    }

    /**
     * Detaches the slot and completes the hook once EC2 shows both the ENI and the volume off the instance. While
     * they are detaching the action waits (resume queue); after {@code RELEASE_FORCE_AFTER_SECONDS} a detach that is
     * still stuck is forced, as the last resort, and logged.
     */
    private HookOutcome finishRelease(HookTicket ticket) {
        var id = ticket.instanceId();
        var waited = Duration.between(ticket.startedAt(), clock.instant());
        var force = waited.compareTo(settings.releaseForceAfter()) >= 0;
        if (force) {
            journal.record("force-detach", fields(id, "waitedSeconds", waited.toSeconds(),
                    "reason", "detach still not finished: forcing it as the last resort"));
        }
        release.release(id, force);
        var remaining = release.remaining(id);
        if (remaining == 0 || force) {
            return release.complete(ticket.ref(), LifecycleResult.CONTINUE, remaining == 0 ? "slot released"
                    : "slot force-detached after " + waited.toSeconds() + " s");
        }
        return deferral.defer(ticket, "terminate", remaining + " attachment(s) of the slot still detaching");
    }

    /**
     * Why stopping this node now would cost the ensemble its majority, if it would. A node known not to serve
     * anyway (it answered outside a quorum, or its host refused the connection) can always go. Otherwise (also when
     * it does not answer at all: a prober without a path to the members must never let a node go early) the other
     * members that will keep serving must be a majority of the ensemble: those that answer as leader or follower,
     * minus those that are leaving too and go first (they stopped already, or announced it and have the lower node
     * id). The intent tag is written before the others are read, so two members leaving at once see each other.
     */
    private Optional<String> quorumGuard(HookTicket ticket, InstanceView instance, int nodeId, SlotCatalog catalog) {
        var servers = catalog.servers();
        var self = zk.probe(servers.get(nodeId), settings.clientPort(), settings.probeTimeout());
        if (self.knownNotServing()) {
            journal.record("quorum-guard", fields(instance.instanceId(), "nodeId", nodeId, "verdict",
                    "this node is not serving; stopping it changes nothing"));
            return Optional.empty();
        }
        if (instance.tag(InstanceTags.STOP_INTENT).isEmpty()) {
            ec2.tagInstance(instance.instanceId(), Map.of(InstanceTags.STOP_INTENT, Integer.toString(nodeId)));
        }
        var holders = new ArrayList<String>();
        servers.keySet().stream().filter(n -> n != nodeId)
                .forEach(n -> catalog.eni(n).flatMap(e -> e.holder()).ifPresent(holders::add));
        var members = holders.isEmpty() ? Map.<String, io.zkasg.core.model.GroupMember>of()
                : autoScaling.members(holders);
        var keepServing = new ArrayList<Integer>();
        var problems = new ArrayList<String>();
        for (var entry : servers.entrySet()) {
            int other = entry.getKey();
            if (other == nodeId) {
                continue;
            }
            var holder = catalog.eni(other).flatMap(e -> e.holder());
            var leaving = holder.map(h -> !members.containsKey(h) || members.get(h).isLeaving()).orElse(true);
            if (leaving && holder.isPresent() && goesFirst(holder.get(), other, nodeId)) {
                problems.add("node " + other + " is leaving first");
                continue;
            }
            var health = zk.probe(entry.getValue(), settings.clientPort(), settings.probeTimeout());
            if (health.serving()) {
                keepServing.add(other);
            } else {
                problems.add("node " + other + " is not serving (" + (health.error().isEmpty() ? "mode "
                        + health.mode() : health.error()) + ")");
            }
        }
        int majority = servers.size() / 2 + 1;
        var verdict = keepServing.size() >= majority ? "safe" : "unsafe";
        journal.record("quorum-guard", fields(instance.instanceId(), "nodeId", nodeId, "verdict", verdict,
                "stillServing", keepServing, "majority", majority, "problems", problems,
                "attempt", ticket.attempt()));
        if (keepServing.size() >= majority) {
            return Optional.empty();
        }
        return Optional.of("stopping node " + nodeId + " now would leave " + keepServing.size() + " of "
                + servers.size() + " serving (a majority is " + majority + "): " + String.join(", ", problems));
    }

    /** Whether the other leaving member goes before this one: it stopped already, or announced it with a lower id. */
    private boolean goesFirst(String otherInstance, int otherNode, int nodeId) {
        var other = ec2.describeInstance(otherInstance);
        if (other.isEmpty() || other.get().isGone() || other.get().tag(InstanceTags.STOP_COMMAND).isPresent()) {
            return true;
        }
        return other.get().tag(InstanceTags.STOP_INTENT).isPresent() && otherNode < nodeId;
    }

    /** The stop command ended (any terminal status): release the slot, then let the termination go on. */
    public HookOutcome onStopEnded(String commandId, String instanceId, String status) {
        var ref = new LifecycleRef(settings.groupName(), settings.terminateHookName(), instanceId, null);
        journal.record("stop-ended", fields(instanceId, "commandId", commandId, "status", status));
        try {
            ec2.tagInstance(instanceId, Map.of(InstanceTags.STOP_ENDED, status));
        } catch (CloudException.NotFound e) {
            return release.complete(ref, LifecycleResult.CONTINUE, "instance is already gone");
        }
        return finishRelease(releaseTicket(ref));
    }

    /**
     * The release phase starts now; when the hook's timer last restarted is not known here (a heartbeat before the
     * stop, or none), so the first deferral beats.
     */
    private HookTicket releaseTicket(LifecycleRef ref) {
        var now = clock.instant();
        return new HookTicket(ref, now, now.minus(settings.heartbeatTimeout()), 1, "");
    }

    private HookOutcome ignored(String instanceId, String reason) {
        journal.record("terminate-ignored", fields(instanceId, "reason", reason));
        return new HookOutcome.Ignored(reason);
    }

}
