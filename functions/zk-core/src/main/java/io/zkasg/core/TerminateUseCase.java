package io.zkasg.core;

import static io.zkasg.core.SlotRelease.fields;

import io.zkasg.core.model.AgentStatus;
import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.model.LifecycleResult;
import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.Ec2Port;
import io.zkasg.core.port.Journal;
import io.zkasg.core.port.SsmPort;
import java.util.Map;

/**
 * A member leaves: stop ZooKeeper through the stop command when the instance can still be reached (its status event
 * then releases the slot and completes the hook), otherwise release the slot at once and complete the hook.
 */
public final class TerminateUseCase {

    private final Settings settings;
    private final Ec2Port ec2;
    private final SsmPort ssm;
    private final Journal journal;
    private final ScriptBundle bundle;
    private final SlotRelease release;

    public TerminateUseCase(Settings settings, Ec2Port ec2, AutoScalingPort autoScaling, SsmPort ssm, Journal journal,
                            ScriptBundle bundle) {
        this.settings = settings;
        this.ec2 = ec2;
        this.ssm = ssm;
        this.journal = journal;
        this.bundle = bundle;
        this.release = new SlotRelease(settings, ec2, autoScaling, journal);
    }

    /** Handles one terminate lifecycle action. */
    public LaunchOutcome onTerminate(LifecycleRef ref) {
        var id = ref.instanceId();
        var found = ec2.describeInstance(id);
        if (found.isEmpty() || found.get().isGone()) {
            return release.complete(ref, LifecycleResult.CONTINUE, "instance is already gone");
        }
        var instance = found.get();
        var stop = instance.tag(InstanceTags.STOP_COMMAND);
        if (stop.isPresent()) {
            journal.record("terminate-ignored", fields(id, "reason", "stop command " + stop.get() + " sent already"));
            return new LaunchOutcome.Ignored("stop command " + stop.get() + " was sent already");
        }
        var catalog = SlotCatalog.of(settings.cluster(), ec2.clusterEnis(settings.cluster()),
                ec2.clusterVolumes(settings.cluster(), instance.availabilityZone()));
        var held = catalog.heldBy(id);
        var volume = held.flatMap(catalog::volume).filter(v -> instance.volume(v.volumeId()).isPresent());
        if (held.isEmpty()) {
            release.release(id);
            return release.complete(ref, LifecycleResult.CONTINUE, "instance holds no slot");
        }
        if (!settings.stopDocument().isEmpty() && volume.isPresent()
                && ssm.agentStatus(id) == AgentStatus.ONLINE) {
            try {
                var commandId = ssm.sendCommand(id, settings.stopDocument(),
                        CommandParameters.stop(volume.get().volumeId(), bundle),
                        "zkasg stop node " + held.get(), settings.commandTimeout());
                ec2.tagInstance(id, Map.of(InstanceTags.STOP_COMMAND, commandId));
                journal.record("stop-sent", fields(id, "nodeId", held.get(), "volumeId", volume.get().volumeId(),
                        "commandId", commandId));
                return new LaunchOutcome.CommandSent(held.get(), catalog.eni(held.get()).orElseThrow().eniId(),
                        volume.get().volumeId(), commandId, Map.of("VolumeId", volume.get().volumeId()));
            } catch (CloudException.AgentNotReady e) {
                journal.record("stop-skipped", fields(id, "code", e.code()));
            }
        }
        // Unreachable (crashed, SSM offline): the instance is going away, so the slot is released without a stop.
        release.release(id);
        return release.complete(ref, LifecycleResult.CONTINUE, "node " + held.get()
                + " could not be stopped through SSM; slot released without a clean stop");
    }

    /** The stop command ended (any terminal status): release the slot and let the termination go on. */
    public LaunchOutcome onStopEnded(String commandId, String instanceId, String status) {
        var ref = new LifecycleRef(settings.groupName(), settings.terminateHookName(), instanceId, null);
        release.release(instanceId);
        return release.complete(ref, LifecycleResult.CONTINUE, "stop command " + commandId + " ended " + status);
    }
}
