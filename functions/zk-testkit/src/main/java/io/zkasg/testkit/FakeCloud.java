package io.zkasg.testkit;

import io.zkasg.core.model.VolumeView;
import io.zkasg.testkit.CloudState.Call;
import io.zkasg.testkit.CloudState.CommandInfo;
import io.zkasg.testkit.CloudState.EbsSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The in-memory cloud as a scenario: one fake per AWS service ({@link #ec2()}, {@link #autoScaling()},
 * {@link #ssm()}, {@link #resumeQueue()}), each behind its port and holding only its service's rules, over one
 * {@link CloudState}; this facade composes them, moves time, hands out what is due for delivery (lifecycle and
 * command-status events, queue messages) and answers a test's questions. Give the functions the per-service fakes as
 * their ports. Thread-safe.
 */
public final class FakeCloud {

    /** SQS delays a message by at most 15 minutes (SendMessage's DelaySeconds). */
    public static final Duration MAX_RESUME_DELAY = FakeResumeQueue.MAX_DELAY;

    private final CloudState state;
    private final FakeEc2 ec2;
    private final FakeAutoScaling autoScaling;
    private final FakeSsm ssm;
    private final FakeResumeQueue resumeQueue;

    public FakeCloud(FakeClock clock) {
        this.state = new CloudState(clock);
        this.ec2 = new FakeEc2(state);
        this.autoScaling = new FakeAutoScaling(state, ec2);
        this.ssm = new FakeSsm(state, ec2);
        this.resumeQueue = new FakeResumeQueue(state);
    }

    /** EC2 (the {@code Ec2Port}). */
    public FakeEc2 ec2() {
        return ec2;
    }

    /** Auto Scaling (the {@code AutoScalingPort}). */
    public FakeAutoScaling autoScaling() {
        return autoScaling;
    }

    /** SSM (the {@code SsmPort}). */
    public FakeSsm ssm() {
        return ssm;
    }

    /** The resume queue, SQS (the {@code ResumeScheduler}). */
    public FakeResumeQueue resumeQueue() {
        return resumeQueue;
    }

    /** What the fakes share (its lock is the cloud's lock). */
    public CloudState state() {
        return state;
    }

    // ---------------------------------------------------------------- configuration

    /** Names of the group and its hooks (an empty terminate hook means instances terminate at once). */
    public FakeCloud group(String name, String launchHookName, String terminateHookName, Duration heartbeat) {
        autoScaling.group(name, launchHookName, terminateHookName, heartbeat);
        return this;
    }

    /** How long an attach stays "attaching" and a detach "detaching". */
    public FakeCloud latencies(Duration attach, Duration detach) {
        ec2.latencies(attach, detach);
        return this;
    }

    /** How long a pending instance takes to run; how long after it runs an instance's SSM agent registers. */
    public FakeCloud boot(Duration pendingToRunning, Duration agentRegistration) {
        ec2.bootDelay(pendingToRunning);
        ssm.agentRegistration(agentRegistration);
        return this;
    }

    /** See {@link FakeEc2#staleReads(int)}. */
    public FakeCloud staleReads(int mutations) {
        ec2.staleReads(mutations);
        return this;
    }

    /** See {@link FakeEc2#unknownAfterLaunch(Duration)}. */
    public FakeCloud unknownAfterLaunch(Duration value) {
        ec2.unknownAfterLaunch(value);
        return this;
    }

    /** See {@link FakeEc2#stuckDetaches(boolean)}. */
    public FakeCloud stuckDetaches(boolean value) {
        ec2.stuckDetaches(value);
        return this;
    }

    /** See {@link FakeEc2#eniDeleteOnTerminationByDefault(boolean)}. */
    public FakeCloud eniDeleteOnTerminationByDefault(boolean value) {
        ec2.eniDeleteOnTerminationByDefault(value);
        return this;
    }

    /** Receives the state changes (see {@link CloudState.Listener}). */
    public FakeCloud listener(CloudState.Listener value) {
        state.listener(value);
        return this;
    }

    /** See {@link FakeSsm#commandOutcome(Function)}; a null outcome is asked again at each {@link #tick()}. */
    public FakeCloud commandOutcome(Function<CommandInfo, String> outcome) {
        ssm.commandOutcome(outcome);
        return this;
    }

    /** Called (outside the lock) before every port call with the operation name: lets a test interleave threads. */
    public FakeCloud beforeCall(Consumer<String> hook) {
        state.beforeCall(hook);
        return this;
    }

    /** The next call of {@code operation} throws {@code error} (queue several to fail several calls). */
    public FakeCloud failNext(String operation, RuntimeException error) {
        state.failNext(operation, error);
        return this;
    }

    /**
     * The next {@code times} calls of {@code operation} are throttled (as after the SDK's retries ran out), with the
     * code its service sends: RequestLimitExceeded (EC2), Throttling (Auto Scaling), ThrottlingException (SSM, SQS).
     */
    public FakeCloud throttle(String operation, int times) {
        if (FakeEc2.OPERATIONS.contains(operation)) {
            ec2.throttle(operation, times);
        } else if (FakeAutoScaling.OPERATIONS.contains(operation)) {
            autoScaling.throttle(operation, times);
        } else if (FakeResumeQueue.OPERATIONS.contains(operation)) {
            resumeQueue.throttle(operation, times);
        } else {
            ssm.throttle(operation, times);
        }
        return this;
    }

    // ---------------------------------------------------------------- seeding and scenario

    /** Creates a slot: an ENI and a volume in one AZ, tagged for the cluster. Returns the ENI id. */
    public String addSlot(String clusterTagKey, String cluster, String nodeIdTagKey, int nodeId, String az,
                          String ip) {
        return ec2.addSlot(clusterTagKey, cluster, nodeIdTagKey, nodeId, az, ip);
    }

    /** Creates an ENI and a volume with exactly these tags. Returns the ENI id. */
    public String addSlot(String az, String ip, Map<String, String> eniTags, Map<String, String> volumeTags,
                          int seed) {
        return ec2.addSlot(az, ip, eniTags, volumeTags, seed);
    }

    /** A new instance in the group, in {@code az}, with its launch lifecycle action and its event. */
    public String launch(String az) {
        return autoScaling.launch(az);
    }

    /** Like {@link #launch(String)} with a chosen instance id. */
    public Delivery.Lifecycle launch(String instanceId, String az) {
        return autoScaling.launch(instanceId, az, null, true);
    }

    /**
     * A new instance with a chosen id and lifecycle token (as in a recorded event); {@code emit} false when the caller
     * delivers the event itself.
     */
    public Delivery.Lifecycle launch(String instanceId, String az, String token, boolean emit) {
        return autoScaling.launch(instanceId, az, token, emit);
    }

    /**
     * A running instance that is in no group (for example detached from it by an operator): Auto Scaling does not
     * describe it, EC2 does. Its agent is registered.
     */
    public void strayInstance(String instanceId, String az) {
        synchronized (state) {
            var instance = ec2.runInstance(instanceId, az, false);
            instance.state = "running";
            instance.lifecycle = "Detached";
            instance.agentRegistered = true;
        }
    }

    /** Starts a scale-in or a replacement of this instance (the terminate hook runs when configured). */
    public void terminate(String instanceId) {
        autoScaling.terminate(instanceId, null, true);
    }

    /**
     * Like {@link #terminate(String)} with a chosen lifecycle token (as in a recorded event); {@code emit} false when
     * the caller delivers the event itself.
     */
    public void terminate(String instanceId, String token, boolean emit) {
        autoScaling.terminate(instanceId, token, emit);
    }

    /** Kills an instance at once, as when its host dies: no hook, attachments fall off. */
    public void crash(String instanceId) {
        autoScaling.crash(instanceId);
    }

    // ---------------------------------------------------------------- time and deliveries

    /** Moves time on: boots instances, registers agents, ends commands, times hooks out. */
    public void advance(Duration duration) {
        state.clock.advance(duration);
        tick();
    }

    /** Applies everything that is due at the current time, in every service. */
    public void tick() {
        synchronized (state) {
            var now = state.clock.instant();
            ec2.boot(now);
            ssm.tick(now);
            autoScaling.tick(now);
            ec2.endDetaches(now);
        }
        state.flushNotices();
    }

    /** Takes every delivery that is due now, oldest first. */
    public List<Delivery> takeDue() {
        tick();
        synchronized (state) {
            var now = state.clock.instant();
            var due = state.outbox.stream().filter(d -> !d.due().isAfter(now))
                    .sorted(Comparator.comparing(Delivery::due)).toList();
            state.outbox.removeAll(due);
            return due;
        }
    }

    /** When the next delivery falls due, if any is waiting. */
    public Optional<Instant> nextDue() {
        synchronized (state) {
            return state.outbox.stream().map(Delivery::due).min(Comparator.naturalOrder());
        }
    }

    /** Every delivery still waiting, due or not. */
    public List<Delivery> pending() {
        synchronized (state) {
            return List.copyOf(state.outbox);
        }
    }

    // ---------------------------------------------------------------- observations and changes for tests

    public List<Call> calls() {
        return state.calls();
    }

    public void clearCalls() {
        state.clearCalls();
    }

    public List<String> completions() {
        return autoScaling.completions();
    }

    public List<String> markedUnhealthy() {
        return autoScaling.markedUnhealthy();
    }

    /** Instances terminated with the group's desired capacity lowered (a shrink), in order. */
    public List<String> terminatedInGroup() {
        return autoScaling.terminatedInGroup();
    }

    public Set<String> suspendedProcesses() {
        return autoScaling.suspendedProcesses();
    }

    public String healthStatus(String instanceId) {
        return autoScaling.healthStatus(instanceId);
    }

    public List<String> timedOutActions() {
        return autoScaling.timedOutActions();
    }

    public String lifecycleState(String instanceId) {
        return autoScaling.lifecycleState(instanceId);
    }

    public Optional<String> eniHolder(String eniId) {
        return ec2.eniHolder(eniId);
    }

    public Optional<String> volumeHolder(String volumeId) {
        return ec2.volumeHolder(volumeId);
    }

    public List<String> eniIds() {
        return ec2.eniIds();
    }

    public List<String> volumeIds() {
        return ec2.volumeIds();
    }

    public String instanceAz(String instanceId) {
        return ec2.instanceAz(instanceId);
    }

    public String ec2State(String instanceId) {
        return ec2.instanceState(instanceId);
    }

    public Map<String, String> instanceTags(String instanceId) {
        return ec2.instanceTags(instanceId);
    }

    public boolean hasInstance(String instanceId) {
        return ec2.hasInstance(instanceId);
    }

    public List<String> instanceIds() {
        return ec2.instanceIds();
    }

    public void eniDeleteOnTermination(String eniId, boolean value) {
        ec2.eniDeleteOnTermination(eniId, value);
    }

    public boolean eniDeletedOnTermination(String eniId) {
        return ec2.eniDeletedOnTermination(eniId);
    }

    public List<CommandInfo> commandsSent() {
        return ssm.commandsSent();
    }

    public void registerAgent(String instanceId) {
        ssm.registerAgent(instanceId);
    }

    public void agentLost(String instanceId) {
        ssm.agentLost(instanceId);
    }

    // ---------------------------------------------------------------- snapshots and volume tags (operator restore)

    public String snapshotVolume(String volumeId) {
        return ec2.snapshotVolume(volumeId);
    }

    public String snapshotVolume(String volumeId, Map<String, String> tags) {
        return ec2.snapshotVolume(volumeId, tags);
    }

    public List<EbsSnapshot> snapshots() {
        return ec2.snapshots();
    }

    public String createVolume(String snapshotId, String az, Map<String, String> tags) {
        return ec2.createVolume(snapshotId, az, tags);
    }

    public Optional<String> restoredFrom(String volumeId) {
        return ec2.restoredFrom(volumeId);
    }

    public List<VolumeView> allVolumes() {
        return ec2.allVolumes();
    }

    public void retagVolume(String volumeId, Map<String, String> add, Collection<String> remove) {
        ec2.retagVolume(volumeId, add, remove);
    }
}
