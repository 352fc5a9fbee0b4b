package io.zkasg.core;

import static io.zkasg.core.JournalFields.fields;

import io.zkasg.core.model.EniView;
import io.zkasg.core.model.InstanceView;
import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.model.LifecycleResult;
import io.zkasg.core.model.Membership;
import io.zkasg.core.model.ServerHealth;
import io.zkasg.core.model.Slot;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * Advances one launch lifecycle action as far as it can go without waiting: find the instance's AZ, hold or claim a
 * slot there (the attach call is the lock), attach its volume, send the bootstrap command.
 * Every advance starts from what EC2 shows, so a redelivered, duplicated or resumed event continues where the launch
 * is and never claims a second slot. Waits longer than a short poll go through the {@link ResumeScheduler}.
 */
public final class LaunchUseCase {

    private final Settings settings;
    private final Ec2Port ec2;
    private final AutoScalingPort autoScaling;
    private final SsmPort ssm;
    private final Journal journal;
    private final Clock clock;
    private final RandomGenerator random;
    private final ScriptBundle bundle;
    private final SlotRelease release;
    private final Deferral deferral;
    private final ZkProbe zk;

    /** A launch that never reads the ensemble's configuration: every new member joins as a participant. */
    public LaunchUseCase(Settings settings, Ec2Port ec2, AutoScalingPort autoScaling, SsmPort ssm,
                         ResumeScheduler scheduler, Journal journal, Clock clock, RandomGenerator random,
                         ScriptBundle bundle) {
        this(settings, ec2, autoScaling, ssm, (ip, port, timeout) -> ServerHealth.unreachable(ip, "not asked"),
                scheduler, journal, clock, random, bundle);
    }

    /**
     * {@code zk} reads the ensemble's current configuration from the members: a slot outside it joins as an
     * observer (a grow, docs/sizing.md).
     */
    public LaunchUseCase(Settings settings, Ec2Port ec2, AutoScalingPort autoScaling, SsmPort ssm, ZkProbe zk,
                         ResumeScheduler scheduler, Journal journal, Clock clock, RandomGenerator random,
                         ScriptBundle bundle) {
        this.zk = zk;
        this.settings = settings;
        this.ec2 = ec2;
        this.autoScaling = autoScaling;
        this.ssm = ssm;
        this.journal = journal;
        this.clock = clock;
        this.random = random;
        this.bundle = bundle;
        this.release = new SlotRelease(settings, ec2, autoScaling, journal);
        this.deferral = new Deferral(settings, ec2, autoScaling, scheduler, journal, clock, random);
    }

    /** Advances the launch; see the class comment. */
    public HookOutcome advance(HookTicket ticket) {
        try {
            return step(ticket);
        } catch (CloudException.Throttled e) {
            // The SDK has already retried with backoff; come back later rather than fail the whole event.
            return defer(ticket, "throttled by AWS (" + e.code() + ")");
        } catch (CloudException.NotFound e) {
            // The instance can be terminated under our feet (an ABANDON by a duplicate, a scale-in, a crash).
            var instance = ec2.describeInstance(ticket.instanceId());
            if (instance.isEmpty() && youngerThanNotFoundPatience(ticket)) {
                return defer(ticket, "EC2 does not show the instance yet (" + e.code() + ")");
            }
            if (instance.isEmpty() || instance.get().isGone()) {
                return ignored(ticket.instanceId(), "instance went away during the launch (" + e.code() + ")");
            }
            return defer(ticket, "a resource vanished during the launch (" + e.code() + ")");
        }
    }

    private HookOutcome step(HookTicket ticket) {
        var id = ticket.instanceId();
        var now = clock.instant();
        if (Duration.between(ticket.lastHeartbeat(), now).compareTo(settings.heartbeatTimeout()) > 0) {
            return ignored(id, "the hook's heartbeat timeout passed since " + ticket.lastHeartbeat()
                    + ": Auto Scaling has applied its default result already");
        }
        var found = ec2.describeInstance(id);
        if (found.isEmpty() && youngerThanNotFoundPatience(ticket)) {
            // Right after RunInstances, DescribeInstances may answer InvalidInstanceID.NotFound for a while (EC2's
            // eventual consistency): wait, bounded, instead of dropping the launch.
            return defer(ticket, "EC2 does not show the instance yet (eventual consistency after launch)");
        }
        if (found.isEmpty() || found.get().isGone()) {
            return ignored(id, "instance is " + found.map(InstanceView::state).orElse("unknown to EC2"));
        }
        var instance = found.get();
        if (instance.tag(InstanceTags.LAUNCH).filter(InstanceTags.ABANDONED::equals).isPresent()) {
            return ignored(id, "this launch was abandoned already");
        }
        var superseded = deferral.superseded(ticket, instance);
        if (superseded.isPresent()) {
            return ignored(id, superseded.get());
        }
        var sent = instance.tag(InstanceTags.BOOTSTRAP_COMMAND);
        if (sent.isPresent()) {
            if (ticket.attempt() > 1) {
                // Re-driven (the reconciler saw the command's wait run out): its status event may be lost.
                return commandEnded(ticket, sent.get());
            }
            return ignored(id, "bootstrap command " + sent.get() + " was sent already; its status completes the hook");
        }
        var az = instance.availabilityZone();
        var catalog = SlotCatalog.of(settings.cluster(), ec2.clusterEnis(settings.cluster()),
                ec2.clusterVolumes(settings.cluster(), az));
        catalog.problems().forEach(p -> journal.record("slot-problem", fields(id, "az", az, "problem", p)));
        if (Duration.between(ticket.startedAt(), now).compareTo(settings.launchMaxWait()) > 0) {
            return release.abandon(ticket.ref(), "still no ready slot after " + settings.launchMaxWait().toSeconds()
                    + " s (LAUNCH_MAX_WAIT_SECONDS)");
        }

        var held = catalog.heldBy(id);
        if (held.isPresent()) {
            journal.record("slot-held", fields(id, "az", az, "nodeId", held.get()));
        } else {
            if (!instance.isRunning()) {
                return defer(ticket, "instance is " + instance.state() + "; an ENI attaches once it runs");
            }
            var claim = claim(ticket, instance, catalog);
            if (claim.outcome().isPresent()) {
                return claim.outcome().get();
            }
            held = Optional.of(claim.nodeId());
        }
        int nodeId = held.get();
        var slot = catalog.slot(nodeId);
        if (slot.isEmpty()) {
            return release.abandon(ticket.ref(), "node " + nodeId + " has an ENI but no volume in " + az);
        }
        var volumeStep = attachVolume(ticket, instance, slot.get());
        if (volumeStep.isPresent()) {
            return volumeStep.get();
        }
        return configure(ticket, instance, slot.get(), catalog);
    }

    private record Claim(int nodeId, Optional<HookOutcome> outcome) {
    }

    /**
     * Tries the free slots of the AZ in random order; the first successful attach wins the slot. Only the slots of
     * the members ({@link Settings#member}) are claimed: during a shrink the slots above ENSEMBLE_MEMBERS are
     * released and kept until the next stack update deletes them, and an instance that claimed one would be let go
     * by the reconciler with the group's desired capacity lowered, so the ensemble would stay a member short (the
     * model check with size changes, seed 20261149).
     */
    private Claim claim(HookTicket ticket, InstanceView instance, SlotCatalog catalog) {
        var id = instance.instanceId();
        var az = instance.availabilityZone();
        var all = catalog.choose(az, random);
        var choice = new SlotCatalog.Choice(claimable(all.free()), claimable(all.volumeHeld()),
                claimable(all.eniHeld()), all.unpaired());
        if (!choice.unpaired().isEmpty()) {
            journal.record("slot-problem", fields(id, "az", az, "problem",
                    "node ids " + choice.unpaired() + " have an ENI but no volume in this AZ"));
        }
        var attached = attach(id, az, choice.candidates());
        if (attached.isPresent()) {
            return attached.get();
        }
        if (!choice.candidates().isEmpty()) {
            return lostEveryRace(ticket, id, az, catalog);
        }
        var holders = new ArrayList<String>();
        choice.eniHeld().forEach(s -> s.eni().holder().ifPresent(holders::add));
        choice.volumeHeld().forEach(s -> s.volume().holder().ifPresent(holders::add));
        var leaving = leavingOrGone(holders);
        if (!leaving.isEmpty()) {
            return new Claim(0, Optional.of(defer(ticket, "no free slot in " + az + " yet: instances " + leaving
                    + " are leaving and will release theirs")));
        }
        // Every slot of a member is held by a live one: this instance is one too many (a desired capacity not yet
        // lowered by a shrink). A released slot above the members lets the reconciler let it go, lowering it.
        var extras = all.candidates().stream().filter(s -> !settings.member(s.nodeId())).toList();
        var extra = attach(id, az, extras);
        if (extra.isPresent()) {
            return extra.get();
        }
        if (!extras.isEmpty()) { // a duplicate of this launch may hold it (model check with size changes, 20350204)
            return lostEveryRace(ticket, id, az, catalog);
        }
        return new Claim(0, Optional.of(release.abandon(ticket.ref(), "no free slot in " + az + ": "
                + (choice.eniHeld().isEmpty() && choice.candidates().isEmpty()
                ? "the cluster has no slot in this AZ"
                : "every slot is held by a live member " + holders))));
    }

    /**
     * Every attach failed. A duplicate delivery of this very launch may have won (the device index is then taken):
     * if the instance now holds a cluster ENI, carry on with it. Else the reads do not show the winner yet (they lag
     * behind its attach): it may be that duplicate, attaching the volume now. Abandoning would detach what the
     * winner attached (a slot split, or a bootstrap without its volume: the model check with lagging instance reads,
     * seeds 20261169 and 20261279). Come back: the next read shows who holds the slot.
     */
    private Claim lostEveryRace(HookTicket ticket, String id, String az, SlotCatalog catalog) {
        var now = ec2.describeInstance(id);
        var mine = now.stream().flatMap(i -> i.networkInterfaces().stream())
                .flatMap(nic -> catalog.servers().keySet().stream()
                        .filter(n -> catalog.eni(n).orElseThrow().eniId().equals(nic.eniId())))
                .findFirst();
        if (mine.isPresent()) {
            journal.record("slot-held", fields(id, "az", az, "nodeId", mine.get()));
            return new Claim(mine.get(), Optional.empty());
        }
        return new Claim(0, Optional.of(defer(ticket, "lost the race for every free slot in " + az
                + "; EC2's reads do not show the winner yet")));
    }

    private Optional<Claim> attach(String id, String az, List<Slot> candidates) {
        for (Slot slot : candidates) {
            try {
                ec2.attachEni(slot.eni().eniId(), id, settings.eniDeviceIndex());
                journal.record("eni-attached", fields(id, "az", az, "nodeId", slot.nodeId(),
                        "eniId", slot.eni().eniId(), "ip", slot.eni().privateIp()));
                return Optional.of(new Claim(slot.nodeId(), Optional.empty()));
            } catch (CloudException.ResourceInUse | CloudException.IncorrectState e) {
                // Describes lag behind attaches: another launch may have taken this ENI a moment ago. Next one.
                journal.record("claim-lost", fields(id, "nodeId", slot.nodeId(), "eniId", slot.eni().eniId(),
                        "code", e.code()));
            }
        }
        return Optional.empty();
    }

    private List<Slot> claimable(List<Slot> slots) {
        return slots.stream().filter(s -> settings.member(s.nodeId())).toList();
    }

    /** The instances among {@code holders} that are leaving their group or are in no group any more. */
    private List<String> leavingOrGone(List<String> holders) {
        if (holders.isEmpty()) {
            return List.of();
        }
        var members = autoScaling.members(holders);
        return holders.stream().distinct()
                .filter(h -> !members.containsKey(h) || members.get(h).isLeaving())
                .toList();
    }

    private Optional<HookOutcome> attachVolume(HookTicket ticket, InstanceView instance, Slot slot) {
        var id = instance.instanceId();
        var volume = slot.volume();
        var holder = volume.holder();
        if (holder.filter(id::equals).isPresent()) {
            return Optional.empty();
        }
        if (holder.isPresent()) {
            if (leavingOrGone(List.of(holder.get())).isEmpty()) {
                // Its ENI is ours but its data is mounted on a live member: tags or attachments are inconsistent.
                return Optional.of(release.abandon(ticket.ref(), "volume " + volume.volumeId() + " of node "
                        + slot.nodeId() + " is held by live member " + holder.get()));
            }
            return Optional.of(defer(ticket, "volume " + volume.volumeId() + " of node " + slot.nodeId()
                    + " is still attached to leaving instance " + holder.get()));
        }
        try {
            ec2.attachVolume(volume.volumeId(), id, settings.volumeDevice());
            journal.record("volume-attached", fields(id, "nodeId", slot.nodeId(), "volumeId", volume.volumeId()));
            return Optional.empty();
        } catch (CloudException.ResourceInUse | CloudException.IncorrectState e) {
            // Taken or changing state since we described it (a duplicate of this launch, or a slow detach).
            return Optional.of(defer(ticket, "volume " + volume.volumeId() + " could not be attached yet ("
                    + e.code() + ")"));
        }
    }

    /**
     * Keeps the ENI on termination when the instance's view shows an attachment that would delete it, then sends the
     * bootstrap command. No poll for the attachments to settle and no agent check first: both attaches were accepted
     * (in this call or an earlier one) and EC2 completes an accepted attach to this instance or fails it, and the
     * bootstrap waits (bounded) for the NIC and the volume's device itself, failing (the hook is then abandoned and
     * the slot released) if one never shows; an agent that has not registered yet makes SendCommand answer
     * InvalidInstanceId, and the launch waits as it does for a pending instance.
     */
    private HookOutcome configure(HookTicket ticket, InstanceView instance, Slot slot, SlotCatalog catalog) {
        var id = ticket.instanceId();
        var nic = instance.nic(slot.eni().eniId());
        if (nic.filter(InstanceView.NicAttachment::deleteOnTermination).isPresent()) {
            // Seen on a resumed launch (the attach was made by an earlier call); a fresh attach is not described
            // again here, and the health check repairs what it finds (HealthUseCase, DeleteOnTermination).
            ec2.keepEniOnTermination(slot.eni().eniId(), nic.get().attachmentId());
            journal.record("eni-kept-on-termination", fields(id, "eniId", slot.eni().eniId()));
        }
        Map<String, String> parameters;
        try {
            var joining = joining(id, slot, catalog);
            parameters = CommandParameters.bootstrap(settings, slot, joining.orElse(catalog.servers()),
                    joining.isPresent(), bundle);
        } catch (IllegalArgumentException e) {
            return release.abandon(ticket.ref(), "refusing to send the bootstrap command: " + e.getMessage());
        }
        // The command's status completes the hook: give it a full heartbeat period (plus the reconciler's reaction).
        var beat = deferral.keepAlive(ticket, "launch", settings.commandTimeout());
        if (beat.isEmpty()) {
            return new HookOutcome.Ignored("the lifecycle action is over");
        }
        String commandId;
        try {
            commandId = ssm.sendCommand(id, settings.bootstrapDocument(), parameters,
                    "zkasg bootstrap node " + slot.nodeId(), settings.commandTimeout());
        } catch (CloudException.AgentNotReady e) {
            // The agent has not registered yet (20-90 s after boot): wait as for a pending instance.
            return defer(ticket, "SSM does not know the instance yet (" + e.code() + ")");
        }
        var tags = new LinkedHashMap<String, String>();
        tags.put(settings.nodeIdTagKey(), Integer.toString(slot.nodeId()));
        tags.put(InstanceTags.BOOTSTRAP_COMMAND, commandId);
        tags.put(InstanceTags.WAIT, deferral.commandStamp(ticket, beat.get()));
        ec2.tagInstance(id, tags);
        var logged = new LinkedHashMap<String, String>(parameters);
        logged.remove("Bundle");
        journal.record("bootstrap-sent", fields(id, "nodeId", slot.nodeId(), "eniId", slot.eni().eniId(),
                "volumeId", slot.volume().volumeId(), "commandId", commandId, "parameters", logged));
        return new HookOutcome.CommandSent(slot.nodeId(), slot.eni().eniId(), slot.volume().volumeId(), commandId,
                logged);
    }

    /**
     * The seed of a new member outside the ensemble's current configuration (a grow: the slot was just created), if
     * this one is: the configuration's servers plus this node, which bootstraps as an observer and syncs without a
     * vote until the health function's reconciler adds it. The configuration is the newest that the members holding
     * a slot report ({@link CurrentConfiguration#read}): a member that has not learned a committed reconfiguration
     * yet would hand this node a stale server list (a wrong seed, or an observer's join for a voter). None answering
     * (a new cluster, or every member down), the slots are the seed as before.
     */
    private Optional<SortedMap<Integer, String>> joining(String instanceId, Slot slot, SlotCatalog catalog) {
        var others = catalog.servers().entrySet().stream()
                .filter(e -> e.getKey() != slot.nodeId() && catalog.eni(e.getKey()).flatMap(EniView::holder)
                        .isPresent())
                .map(Map.Entry::getValue).toList();
        var configuration = CurrentConfiguration.read(zk, others, settings.clientPort(), settings.probeTimeout());
        if (configuration.isEmpty() || configuration.get().votes(slot.nodeId(), slot.eni().privateIp())) {
            return Optional.empty();
        }
        var seed = new TreeMap<Integer, String>();
        configuration.get().servers().values().stream().filter(Membership.Server::participant)
                .forEach(s -> seed.put(s.id(), s.ip()));
        seed.put(slot.nodeId(), slot.eni().privateIp());
        journal.record("joining-as-observer", fields(instanceId, "nodeId", slot.nodeId(), "version",
                configuration.get().versionHex(), "voters", configuration.get().voters().toString()));
        return Optional.of(seed);
    }

    /**
     * Goes on through the resume queue with a launch whose bootstrap command has ended, when AWS throttled a call of
     * its status handler past the SDK's attempts (the SDK backs off itself: 1 s base after a throttling error,
     * doubling, full jitter). Failing the invocation instead brings the status event back only after Lambda's first
     * retry of an asynchronous invocation, a minute later. The resumption (attempt 2) finds the tagged bootstrap
     * command, reads how it ended from SSM and completes the hook, as for a re-driven launch. It comes back after the
     * resume delay like every deferral, not sooner: the message must not be read before the chain tag that names it
     * is written, and that write may itself wait out the SDK's backoff (up to 1 + 2 + 4 + 8 s when throttled; with a
     * 1-5 s delay the bench lost a hook that way: its message came back first and was taken as superseded).
     *
     * <p>How long the hook has left is read from the command's wait stamp (when its timer last restarted, as far as
     * the stamp's writer knew), so the deferral beats the hook when that beat is old, or when no stamp shows (a
     * lagging read, or EC2 refused the read as well). A call refused here otherwise (the heartbeat, the message, the
     * chain tag) fails the invocation as before.
     */
    public HookOutcome handOn(LifecycleRef ref, String reason) {
        var now = clock.instant();
        Optional<WaitStamp> stamp;
        try {
            stamp = ec2.describeInstance(ref.instanceId())
                    .flatMap(i -> WaitStamp.parse(i.tag(InstanceTags.WAIT), ref.hookName()));
        } catch (CloudException.Throttled e) {
            stamp = Optional.empty(); // EC2 refuses the read too: the deferral beats the hook instead (Auto Scaling)
        }
        // When the hook's timer last restarted, at the latest as far as this knows (a later beat only helps).
        var lastBeat = stamp.map(WaitStamp::beat).map(t -> t.isBefore(now) ? t : now)
                .orElse(now.minus(settings.heartbeatTimeout()));
        return defer(new HookTicket(ref, stamp.map(WaitStamp::started).orElse(now), lastBeat, 1, ""), reason);
    }

    /** How long a launch waits for EC2 to show its instance before it drops the event. */
    static final Duration NOT_FOUND_PATIENCE = Duration.ofMinutes(5);

    private boolean youngerThanNotFoundPatience(HookTicket ticket) {
        return Duration.between(ticket.startedAt(), clock.instant()).compareTo(NOT_FOUND_PATIENCE) < 0;
    }

    /**
     * Asks SSM how the instance's bootstrap command ended, for a launch whose status event never came: Success
     * continues the hook, a failure abandons it; still running, the status event (or the next re-drive) ends it.
     */
    private HookOutcome commandEnded(HookTicket ticket, String commandId) {
        var id = ticket.instanceId();
        var status = ssm.commandStatus(commandId, id);
        journal.record("command-status-read", fields(id, "commandId", commandId, "status", status.orElse("unknown")));
        if (status.filter("Success"::equals).isPresent()) {
            return release.complete(ticket.ref(), LifecycleResult.CONTINUE, "bootstrap command " + commandId
                    + " succeeded (read from SSM)");
        }
        if (status.filter(CommandStatusUseCase.FAILED::contains).isPresent()) {
            return release.abandon(ticket.ref(), "bootstrap command " + commandId + " ended " + status.get()
                    + " (read from SSM)");
        }
        return ignored(id, "bootstrap command " + commandId + " is " + status.orElse("unknown to SSM")
                + "; its status completes the hook");
    }

    private HookOutcome defer(HookTicket ticket, String reason) {
        return deferral.defer(ticket, "launch", reason);
    }

    private HookOutcome ignored(String instanceId, String reason) {
        journal.record("launch-ignored", fields(instanceId, "reason", reason));
        return new HookOutcome.Ignored(reason);
    }
}
