package io.zkasg.core;

import static io.zkasg.core.JournalFields.fields;

import io.zkasg.core.model.EniView;
import io.zkasg.core.model.InstanceView;
import io.zkasg.core.model.InstanceView.NicAttachment;
import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.model.LifecycleResult;
import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.Ec2Port;
import io.zkasg.core.port.Journal;
import java.util.Map;
import java.util.Optional;

/** Gives a slot back and ends a lifecycle action: the shared tail of every failed launch. */
public final class SlotRelease {

    private final Settings settings;
    private final Ec2Port ec2;
    private final AutoScalingPort autoScaling;
    private final Journal journal;

    public SlotRelease(Settings settings, Ec2Port ec2, AutoScalingPort autoScaling, Journal journal) {
        this.settings = settings;
        this.ec2 = ec2;
        this.autoScaling = autoScaling;
        this.journal = journal;
    }

    /**
     * Completes the action with ABANDON, then marks the launch abandoned on the instance (late events then leave it
     * alone). The slot stays on the instance: Auto Scaling runs the terminate hook of an abandoned launch, and that
     * hook stops the slot's server under the stop lease and the quorum guard, then releases the slot, as for any
     * member. A failed launch's server may serve (its bootstrap said Failed after ZooKeeper joined: zk-start gave up
     * waiting, the command timed out), and another leaver's guard counts it as a leaving member still serving; a
     * detach here would take it out without the lease (the model check, seed 20331177: two servers out at once).
     */
    public HookOutcome abandon(LifecycleRef ref, String reason) {
        journal.record("launch-abandoning", fields(ref.instanceId(), "reason", reason));
        var outcome = complete(ref, LifecycleResult.ABANDON, reason);
        if (((HookOutcome.Completed) outcome).alreadyDone()) {
            return outcome;
        }
        try {
            ec2.tagInstance(ref.instanceId(), Map.of(InstanceTags.LAUNCH, InstanceTags.ABANDONED));
        } catch (CloudException.NotFound e) {
            journal.record("instance-gone", fields(ref.instanceId(), "code", e.code()));
        }
        return outcome;
    }

    /** Completes the action; an action that is already over counts as done. */
    public HookOutcome complete(LifecycleRef ref, LifecycleResult result, String reason) {
        try {
            autoScaling.completeLifecycleAction(ref, result);
            journal.record("hook-completed", fields(ref.instanceId(), "result", result, "reason", reason));
            return new HookOutcome.Completed(result, reason, false);
        } catch (CloudException.NoActiveLifecycleAction e) {
            journal.record("hook-already-over", fields(ref.instanceId(), "result", result, "reason", reason));
            return new HookOutcome.Completed(result, reason + " (the action was already over)", true);
        }
    }

    /**
     * Detaches every volume and ENI of the cluster that is attached to the instance, and whatever volume is at the
     * slot's device (a volume {@code zk-restore node} untagged and kept: it must not stay on an instance that goes
     * away; it is only detached, never deleted). Only this instance's attachments: never a replacement's. Safe to
     * repeat.
     */
    public void release(String instanceId) {
        release(instanceId, false);
    }

    /**
     * Like {@link #release(String)}; {@code force} only as the last resort (a detach stuck in "busy" on an instance
     * that is going away), and logged as such. The volume goes first: it holds the data.
     */
    public void release(String instanceId, boolean force) {
        var instance = ec2.describeInstance(instanceId);
        var enis = ec2.clusterEnis(settings.cluster());
        // Right after launch a lagging DescribeInstances may not know the instance yet: the ENI attached to it
        // still names its AZ.
        var az = instance.map(InstanceView::availabilityZone).or(() -> enis.stream()
                .filter(e -> e.holder().filter(instanceId::equals).isPresent())
                .map(EniView::availabilityZone).findFirst());
        if (az.isEmpty()) {
            return;
        }
        var catalog = SlotCatalog.of(settings.cluster(), enis, ec2.clusterVolumes(settings.cluster(), az.get()));
        // First a volume at the slot's device that no slot claims (the old one zk-restore kept).
        var slotVolumes = catalog.servers().keySet().stream().flatMap(n -> catalog.volume(n).stream())
                .map(v -> v.volumeId()).toList();
        var held = catalog.heldBy(instanceId).orElse(0);
        instance.stream().flatMap(i -> i.volumes().stream()).filter(v -> settings.volumeDevice().equals(v.device()))
                .filter(v -> !slotVolumes.contains(v.volumeId()))
                .forEach(v -> detachVolume(instanceId, held, v.volumeId(), force));
        // Every slot, not only the one the ENI names: a launch that failed between its two attaches can leave a
        // volume without its ENI. A part is on the instance when either read shows it there: the instance's
        // (DescribeInstances) or the part's own (DescribeVolumes / DescribeNetworkInterfaces, their attachments).
        // Each may lag behind an attach that just finished; trusting the instance's alone, an abandon detached the
        // ENI but left the volume whose attach that read did not show yet, and the next launch took the ENI while the
        // volume stayed on the abandoned instance (the model check with lagging instance reads, seed 20270058).
        // Both reads may lag (the model check, seeds 20312399 and 20313537: an abandon in the second of the attach saw
        // only the ENI): a slot's parts go together, so when either shows on the instance both are detached.
        // DetachVolume names the instance, so it never takes the volume from another one (InvalidAttachment.NotFound
        // when it is not on this one: skipped).
        for (var nodeId : catalog.servers().keySet()) {
            var volume = catalog.volume(nodeId);
            var eni = catalog.eni(nodeId);
            var eniAttachment = eni.flatMap(e -> attachmentOn(instanceId, instance, e));
            if (volume.filter(v -> eniAttachment.isPresent()
                    || instance.flatMap(i -> i.volume(v.volumeId())).isPresent()
                    || v.holder().filter(instanceId::equals).isPresent()).isPresent()) {
                detachVolume(instanceId, nodeId, volume.get().volumeId(), force);
            }
            eniAttachment.ifPresent(attachment -> detachEni(instanceId, nodeId, eni.get().eniId(), attachment, force));
        }
    }

    /** The id of the ENI's attachment to the instance, as either read shows it. */
    private static Optional<String> attachmentOn(String instanceId, Optional<InstanceView> instance, EniView eni) {
        return instance.flatMap(i -> i.nic(eni.eniId())).map(NicAttachment::attachmentId)
                .or(() -> eni.attachment().filter(a -> a.instanceId().equals(instanceId))
                        .map(EniView.Attachment::attachmentId));
    }

    /**
     * How many of the orchestrator's attachments (the ENI at the slot's device index, the volume at the slot's
     * device) are still on the instance, in any state: zero once EC2 has finished detaching them.
     */
    public int remaining(String instanceId) {
        return ec2.describeInstance(instanceId).map(i -> (int) (i.networkInterfaces().stream()
                .filter(n -> n.deviceIndex() == settings.eniDeviceIndex()).count()
                + i.volumes().stream().filter(v -> settings.volumeDevice().equals(v.device())).count()))
                .orElse(0);
    }

    private void detachVolume(String instanceId, int nodeId, String volumeId, boolean force) {
        try {
            ec2.detachVolume(volumeId, instanceId, force);
            journal.record(force ? "volume-force-detached" : "volume-detached",
                    fields(instanceId, "nodeId", nodeId, "volumeId", volumeId));
        } catch (CloudException.NotFound | CloudException.IncorrectState e) {
            journal.record("volume-detach-skipped", fields(instanceId, "volumeId", volumeId, "code", e.code()));
        }
    }

    private void detachEni(String instanceId, int nodeId, String eniId, String attachmentId, boolean force) {
        try {
            ec2.detachEni(attachmentId, force);
            journal.record(force ? "eni-force-detached" : "eni-detached",
                    fields(instanceId, "nodeId", nodeId, "eniId", eniId));
        } catch (CloudException.NotFound | CloudException.IncorrectState e) {
            journal.record("eni-detach-skipped", fields(instanceId, "eniId", eniId, "code", e.code()));
        }
    }
}
