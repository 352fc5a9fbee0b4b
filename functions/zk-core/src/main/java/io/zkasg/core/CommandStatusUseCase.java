package io.zkasg.core;

import static io.zkasg.core.JournalFields.fields;

import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.model.LifecycleResult;
import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.Ec2Port;
import io.zkasg.core.port.Journal;
import io.zkasg.core.port.StopLease;
import java.util.Set;

/**
 * Completes the launch hook from the bootstrap command's outcome: CONTINUE on Success; on any other terminal status
 * ABANDON and give the slot back so that the next instance can take it.
 */
public final class CommandStatusUseCase {

    /** Statuses after which the invocation will not change any more, other than Success. */
    static final Set<String> FAILED = Set.of("Failed", "TimedOut", "DeliveryTimedOut", "ExecutionTimedOut",
            "Cancelled", "Undeliverable", "Terminated", "InvalidPlatform", "AccessDenied");

    /** Whether a command with this status has ended (Success or one of {@link #FAILED}). */
    public static boolean ended(String status) {
        return "Success".equals(status) || FAILED.contains(status);
    }

    private final Settings settings;
    private final Ec2Port ec2;
    private final Journal journal;
    private final SlotRelease release;
    private final LaunchUseCase launch;
    private final TerminateUseCase terminate;
    private final StopLease lease;

    public CommandStatusUseCase(Settings settings, Ec2Port ec2, AutoScalingPort autoScaling, StopLease lease,
                                Journal journal, LaunchUseCase launch, TerminateUseCase terminate) {
        this.settings = settings;
        this.ec2 = ec2;
        this.journal = journal;
        this.release = new SlotRelease(settings, ec2, autoScaling, journal);
        this.launch = launch;
        this.terminate = terminate;
        this.lease = lease;
    }

    /** Handles one per-instance status change of a command. */
    public HookOutcome onStatus(String commandId, String instanceId, String documentName, String status) {
        var isStop = !settings.stopDocument().isEmpty() && settings.stopDocument().equals(documentName);
        if (!settings.bootstrapDocument().equals(documentName) && !isStop) {
            return ignored(instanceId, "command " + commandId + " runs " + documentName + ", not one of ours");
        }
        if (!ended(status)) {
            return ignored(instanceId, "status " + status + " of " + commandId + " is not terminal");
        }
        if (isStop) {
            return terminate.onStopEnded(commandId, instanceId, status);
        }
        var ref = new LifecycleRef(settings.groupName(), settings.launchHookName(), instanceId, null);
        try {
            return onBootstrapEnded(ref, commandId, status);
        } catch (CloudException.Throttled e) {
            // The SDK has retried with backoff already. Failing the invocation would leave the launch to a Lambda retry
            // a minute later (or to none); the resume queue goes on instead in seconds, reading the status from SSM.
            return launch.handOn(ref, "bootstrap command " + commandId + " ended " + status + "; throttled by AWS ("
                    + e.code() + ") past the SDK's retries");
        }
    }

    private HookOutcome onBootstrapEnded(LifecycleRef ref, String commandId, String status) {
        var instanceId = ref.instanceId();
        if ("Success".equals(status)) {
            var outcome = release.complete(ref, LifecycleResult.CONTINUE, "bootstrap command " + commandId
                    + " succeeded");
            releaseLeaseOfReplaced(instanceId);
            return outcome;
        }
        var instance = ec2.describeInstance(instanceId);
        var current = instance.flatMap(i -> i.tag(InstanceTags.BOOTSTRAP_COMMAND));
        if (current.isPresent() && !current.get().equals(commandId)) {
            return ignored(instanceId, "command " + commandId + " " + status + " but " + current.get()
                    + " is the instance's bootstrap command");
        }
        if (current.isEmpty() && instance.isPresent() && !instance.get().isGone()) {
            // SendCommand has no idempotency token and the command tag is written after it: a retried send or a
            // failed tag write can start a second bootstrap, and only the tagged one speaks for the launch. Not
            // tagged as read (not yet, never, or a read lagging behind the write): another bootstrap may be serving
            // the node, so never abandon on this one. The launch goes on now through the resume queue, not after the
            // reconciler's grace past the command's timeout (11 minutes): the resumption reads the tag again and
            // the tagged command's status, or, none tagged, sends a bootstrap.
            var why = "command " + commandId + " " + status + " is not (yet) the instance's tagged bootstrap command; "
                    + "not abandoning a node another bootstrap may serve";
            journal.record("status-untagged", fields(instanceId, "commandId", commandId, "status", status));
            return launch.handOn(ref, why);
        }
        if (instance.isEmpty() || instance.get().isGone()) {
            return release.complete(ref, LifecycleResult.ABANDON, "bootstrap command " + commandId + " " + status
                    + " and the instance is gone");
        }
        return release.abandon(ref, "bootstrap command " + commandId + " ended " + status);
    }

    /**
     * The bootstrap succeeded, so this node serves (zk-start waits for leader or follower): when the stop lease is
     * held for the node this instance replaces, the member that left is replaced and the next one may go.
     */
    private void releaseLeaseOfReplaced(String instanceId) {
        var cluster = settings.cluster().clusterName();
        try {
            var holder = lease.current(cluster).filter(h -> !h.instanceId().equals(instanceId));
            if (holder.isEmpty()) {
                return;
            }
            var h = holder.get();
            var node = ec2.describeInstance(instanceId).flatMap(i -> i.tag(settings.nodeIdTagKey()));
            if (node.filter(Integer.toString(h.nodeId())::equals).isPresent()
                    && lease.release(cluster, h.instanceId(), h.counter())) {
                journal.record("stop-lease-released", fields(instanceId, "holder", h.instanceId(), "nodeId",
                        h.nodeId(), "counter", h.counter(), "reason", "its replacement serves"));
            }
        } catch (CloudException e) {
            // The launch is completed already: failing the invocation would only retry it. The health function
            // releases the lease once it sees the replacement serve (or the lease expires).
            journal.record("stop-lease-release-deferred", fields(instanceId, "code", e.code()));
        }
    }

    private HookOutcome ignored(String instanceId, String reason) {
        journal.record("status-ignored", fields(instanceId, "reason", reason));
        return new HookOutcome.Ignored(reason);
    }
}
