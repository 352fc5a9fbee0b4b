package io.zkasg.testkit;

import io.zkasg.core.model.GroupMember;
import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.model.LifecycleResult;
import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.core.port.CloudException;
import io.zkasg.testkit.CloudState.Action;
import io.zkasg.testkit.CloudState.Instance;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Auto Scaling in memory, over the shared {@link CloudState}, with the rules this project depends on (held to them by
 * {@code AutoScalingPortContract}): one group with a launch and a terminate hook; a lifecycle action completes once,
 * heartbeats extend it, and it times out to its default result (launch ABANDON, terminate CONTINUE); an unhealthy
 * member in service is replaced through its terminate hook; an instance that goes is terminated in EC2; describes can
 * lag behind lifecycle and health changes ({@link #staleReads(int)}). Thread-safe.
 */
public final class FakeAutoScaling implements AutoScalingPort {

    /** The operations this fake serves (their faults and throttling are Auto Scaling's). */
    public static final Set<String> OPERATIONS = Set.of("CompleteLifecycleAction",
            "RecordLifecycleActionHeartbeat", "DescribeAutoScalingInstances", "SetInstanceHealth",
            "DescribeAutoScalingGroups", "SuspendProcesses", "TerminateInstanceInAutoScalingGroup");

    /** How long a lifecycle or health change may stay invisible to describes when {@link #staleReads(int)} is on. */
    public static final Duration CONSISTENCY_WINDOW = FakeEc2.CONSISTENCY_WINDOW;

    static final String LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING";
    static final String TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING";

    private int capacity = -1; // the desired capacity before TerminateInstanceInAutoScalingGroup's decrements
    private int minSize;
    private final CloudState state;
    private final FakeEc2 ec2;
    private String groupName = "zk-demo-asg";
    private String launchHook = "zk-demo-launch";
    private String terminateHook = "";
    private Duration heartbeatTimeout = Duration.ofSeconds(900);
    /** The group as describes saw it after each of the last changes, oldest first (empty: describes are live). */
    private final ArrayDeque<Generation> history = new ArrayDeque<>();
    private int describeLag;
    private SplittableRandom lagDraws;
    private long laggedReads;

    /** Auto Scaling over {@code state}, terminating its instances through {@code ec2}. */
    public FakeAutoScaling(CloudState state, FakeEc2 ec2) {
        this.state = state;
        this.ec2 = ec2;
    }

    /** Names of the group and its hooks (an empty terminate hook means instances terminate at once). */
    public FakeAutoScaling group(String name, String launchHookName, String terminateHookName, Duration heartbeat) {
        synchronized (state) {
            this.groupName = name;
            this.launchHook = launchHookName;
            this.terminateHook = terminateHookName;
            this.heartbeatTimeout = heartbeat;
        }
        return this;
    }

    /** The next {@code times} calls of {@code operation} are throttled as Auto Scaling does (Throttling). */
    public FakeAutoScaling throttle(String operation, int times) {
        state.failNext(OPERATIONS, operation, times,
                () -> new CloudException.Throttled("Throttling", "Rate exceeded"));
        return this;
    }

    /**
     * DescribeAutoScalingInstances and DescribeAutoScalingGroups answer the group as it was up to {@code changes}
     * lifecycle or health changes ago, as long as those changes are recent (within {@link #CONSISTENCY_WINDOW}): an
     * action just completed still shows its wait state (Auto Scaling's own next state, Pending:Proceed, is not
     * InService either), an instance just marked unhealthy still shows InService and HEALTHY, one just launched is not
     * listed yet. Like {@link FakeEc2#staleReads(int)}; 0 turns it off.
     */
    public FakeAutoScaling staleReads(int changes) {
        return staleReads(changes, null);
    }

    /**
     * Like {@link #staleReads(int)}, each read drawing from {@code seed} which of the generations it may see it sees
     * (not monotonic, as when successive calls reach different endpoints). Fault injection for the model check.
     */
    public FakeAutoScaling staleReads(int changes, long seed) {
        return staleReads(changes, new SplittableRandom(seed));
    }

    private FakeAutoScaling staleReads(int changes, SplittableRandom draws) {
        synchronized (state) {
            this.describeLag = changes;
            this.lagDraws = draws;
            history.clear();
            changed();
        }
        return this;
    }

    /** How many describes answered from an older generation than the latest (see {@link #staleReads(int)}). */
    public long laggedReads() {
        synchronized (state) {
            return laggedReads;
        }
    }

    // ---------------------------------------------------------------- the group's own doings

    /** The group launches an instance in {@code az} (EC2 runs it, the launch hook holds it, its event goes out). */
    public String launch(String az) {
        String id;
        synchronized (state) {
            id = ec2.newInstanceId();
        }
        launch(id, az, null, true);
        return id;
    }

    /**
     * Like {@link #launch(String)} with a chosen instance id and lifecycle token (null: a fresh one, as in a recorded
     * event); {@code emit} false when the caller delivers the event itself.
     */
    public Delivery.Lifecycle launch(String instanceId, String az, String token, boolean emit) {
        Delivery.Lifecycle event;
        synchronized (state) {
            event = beginLaunch(ec2.runInstance(instanceId, az, true), token, emit);
        }
        state.flushNotices();
        return event;
    }

    /**
     * A scale-in or a replacement of this instance (the terminate hook runs when there is one), with a chosen
     * lifecycle token (null: a fresh one); {@code emit} false when the caller delivers the event itself.
     */
    public void terminate(String instanceId, String token, boolean emit) {
        synchronized (state) {
            var instance = state.instances.get(instanceId);
            if (instance == null || instance.terminated()) {
                return;
            }
            beginTermination(instance, token, emit);
        }
        state.flushNotices();
    }

    /** The instance is gone at once, as when its host dies: no hook, EC2 drops its attachments. */
    public void crash(String instanceId) {
        synchronized (state) {
            var instance = state.instances.get(instanceId);
            if (instance != null) {
                finishTermination(instance);
            }
        }
        state.flushNotices();
    }

    // ---------------------------------------------------------------- the group's state, for tests

    /**
     * The instance whose lifecycle action carries {@code token}, if any: Auto Scaling identifies an action by its
     * token or by the instance id (CompleteLifecycleAction, RecordLifecycleActionHeartbeat), and the wire may carry
     * the token alone.
     */
    public Optional<String> instanceOfToken(String token) {
        synchronized (state) {
            return state.actions.values().stream().filter(a -> a.token.equals(token)).map(a -> a.instanceId)
                    .findFirst();
        }
    }

    /** Each completion that Auto Scaling accepted, as {@code instanceId/hook=RESULT}. */
    public List<String> completions() {
        synchronized (state) {
            return List.copyOf(state.completions);
        }
    }

    /** Instances terminated through TerminateInstanceInAutoScalingGroup (desired capacity lowered), in order. */
    public List<String> terminatedInGroup() {
        synchronized (state) {
            return List.copyOf(state.terminatedInGroup);
        }
    }

    /** Instances marked unhealthy through SetInstanceHealth, in order. */
    public List<String> markedUnhealthy() {
        synchronized (state) {
            return List.copyOf(state.markedUnhealthy);
        }
    }

    /** Processes suspended on the group (SuspendProcesses). */
    public Set<String> suspendedProcesses() {
        synchronized (state) {
            return Set.copyOf(state.suspendedProcesses);
        }
    }

    /** Auto Scaling's health status of an instance: HEALTHY or UNHEALTHY. */
    public String healthStatus(String instanceId) {
        synchronized (state) {
            var instance = state.instances.get(instanceId);
            return instance == null ? "unknown" : instance.health;
        }
    }

    /** Lifecycle actions that ran out of time without being completed. */
    public List<String> timedOutActions() {
        synchronized (state) {
            return state.actions.values().stream().filter(a -> a.timedOut).map(a -> a.instanceId + "/" + a.hook)
                    .toList();
        }
    }

    /** The instance's lifecycle state in the group (Pending:Wait, InService, ...); Unknown outside any group. */
    public String lifecycleState(String instanceId) {
        synchronized (state) {
            var instance = state.instances.get(instanceId);
            return instance == null || instance.lifecycle == null ? "Unknown" : instance.lifecycle;
        }
    }

    // ---------------------------------------------------------------- under the lock, for the fakes and the facade

    /** A new instance of the group waits in its launch hook; {@code emit} false keeps the event from the outbox. */
    Delivery.Lifecycle beginLaunch(Instance instance, String token, boolean emit) {
        instance.lifecycle = "Pending:Wait";
        changed();
        return newAction(instance.id, launchHook, LAUNCHING, token, emit).event;
    }

    /** The instance leaves the group: through its terminate hook when there is one, else at once. */
    void beginTermination(Instance instance, String token, boolean emit) {
        if (terminateHook.isEmpty()) {
            finishTermination(instance);
        } else {
            instance.lifecycle = "Terminating:Wait";
            changed();
            newAction(instance.id, terminateHook, TERMINATING, token, emit);
        }
    }

    /** The instance is gone: its actions end and EC2 terminates it. */
    void finishTermination(Instance instance) {
        instance.lifecycle = "Terminated";
        changed();
        state.actions.values().stream().filter(a -> a.instanceId.equals(instance.id)).forEach(a -> a.active = false);
        ec2.terminateInstance(instance);
    }

    /** Lifecycle actions past their deadline time out to their hook's default result. */
    void tick(Instant now) {
        for (var action : List.copyOf(state.actions.values())) {
            if (action.active && !now.isBefore(action.deadline)) {
                action.active = false;
                action.timedOut = true;
                applyResult(action, action.hook.equals(launchHook) ? LifecycleResult.ABANDON
                        : LifecycleResult.CONTINUE);
            }
        }
    }

    private Action newAction(String instanceId, String hook, String transition, String chosenToken, boolean emit) {
        int sequence = state.nextSequence();
        var token = chosenToken != null ? chosenToken : String.format("%08x-0000-4000-8000-%012x", sequence, sequence);
        var now = state.clock.instant();
        var action = new Action(instanceId, hook, token, now.plus(heartbeatTimeout),
                new Delivery.Lifecycle(transition, groupName, hook, instanceId, token, now));
        state.actions.put(instanceId + "/" + hook, action);
        if (emit) {
            state.outbox.add(action.event);
        }
        return action;
    }

    private void applyResult(Action action, LifecycleResult result) {
        var instance = state.instances.get(action.instanceId);
        if (!action.hook.equals(launchHook)) {
            finishTermination(instance);
        } else if (result == LifecycleResult.CONTINUE) {
            instance.lifecycle = "InService";
            changed();
        } else {
            beginTermination(instance, null, true);
        }
    }

    // ---------------------------------------------------------------- AutoScalingPort

    @Override
    public void completeLifecycleAction(LifecycleRef ref, LifecycleResult result) {
        state.enter("CompleteLifecycleAction", true, true);
        synchronized (state) {
            state.fault("CompleteLifecycleAction");
            var action = activeAction(ref);
            action.active = false;
            state.completions.add(ref.instanceId() + "/" + ref.hookName() + "=" + result);
            applyResult(action, result);
        }
        state.flushNotices();
    }

    @Override
    public void recordHeartbeat(LifecycleRef ref) {
        state.enter("RecordLifecycleActionHeartbeat", true, true);
        synchronized (state) {
            state.fault("RecordLifecycleActionHeartbeat");
            var action = activeAction(ref);
            action.deadline = state.clock.instant().plus(heartbeatTimeout);
            action.heartbeats++;
        }
    }

    @Override
    public Map<String, GroupMember> members(Collection<String> instanceIds) {
        state.enter("DescribeAutoScalingInstances", false, !instanceIds.isEmpty());
        synchronized (state) {
            state.fault("DescribeAutoScalingInstances");
            var seen = seenByDescribes();
            var result = new LinkedHashMap<String, GroupMember>();
            for (var id : instanceIds) {
                var member = seen.get(id);
                if (member != null) {
                    result.put(id, member);
                }
            }
            return result;
        }
    }

    /** DescribeAutoScalingGroups of the group: its instances (not yet Terminated or Detached) and their states. */
    @Override
    public List<GroupMember> groupMembers(String group) {
        state.enter("DescribeAutoScalingGroups", false, true);
        synchronized (state) {
            state.fault("DescribeAutoScalingGroups");
            if (!groupName.equals(group)) {
                return List.of();
            }
            return List.copyOf(seenByDescribes().values());
        }
    }

    /**
     * Records the group as describes see it, after a change of an instance's lifecycle state or health. Under the
     * lock; package-private for the facade's own changes.
     */
    void changed() {
        if (describeLag == 0) {
            return;
        }
        history.addLast(new Generation(live(), state.clock.instant()));
        while (history.size() > describeLag + 1) {
            history.removeFirst();
        }
    }

    /** The group's members (not yet Terminated or Detached) as they are now, by instance id. */
    private Map<String, GroupMember> live() {
        var members = new LinkedHashMap<String, GroupMember>();
        state.instances.values().stream().filter(FakeAutoScaling::inGroup).forEach(i -> members.put(i.id, member(i)));
        return members;
    }

    /** What a describe sees: the group up to {@code describeLag} changes ago, none older than the window. */
    private Map<String, GroupMember> seenByDescribes() {
        if (describeLag == 0 || history.isEmpty()) {
            return live();
        }
        var generations = new ArrayList<>(history);
        var horizon = state.clock.instant().minus(CONSISTENCY_WINDOW);
        int newest = generations.size() - 1;
        int pick = newest;
        while (pick > 0 && generations.get(pick).takenAt().isAfter(horizon)) {
            pick--;
        }
        if (lagDraws != null) {
            pick += lagDraws.nextInt(newest - pick + 1);
        }
        if (pick < newest) {
            laggedReads++;
        }
        return generations.get(pick).members();
    }

    private record Generation(Map<String, GroupMember> members, Instant takenAt) {
    }

    private static boolean inGroup(Instance instance) {
        return instance.lifecycle != null && !"Terminated".equals(instance.lifecycle)
                && !"Detached".equals(instance.lifecycle);
    }

    private GroupMember member(Instance instance) {
        return new GroupMember(instance.id, groupName, instance.lifecycle, instance.health);
    }

    /** Like Auto Scaling: the instance is marked UNHEALTHY and, once in service, replaced (its terminate hook runs). */
    @Override
    public void markUnhealthy(String instanceId) {
        state.enter("SetInstanceHealth", true, true);
        synchronized (state) {
            state.fault("SetInstanceHealth");
            var instance = state.instances.get(instanceId);
            if (instance == null || instance.lifecycle == null || "Terminated".equals(instance.lifecycle)) {
                throw new CloudException.NotFound("ValidationError",
                        "Instance Id not found - No managed instance found for instance ID " + instanceId);
            }
            instance.health = "UNHEALTHY";
            changed();
            state.markedUnhealthy.add(instanceId);
            if ("InService".equals(instance.lifecycle)) {
                beginTermination(instance, null, true);
            }
        }
        state.flushNotices();
    }

    /**
     * The group's desired capacity before any decrement of TerminateInstanceInAutoScalingGroup, and its MinSize: a
     * decrement that would take the group below it is refused. Not set (the default), the minimum is not modelled.
     */
    public FakeAutoScaling sizes(int capacity, int minSize) {
        synchronized (state) {
            this.capacity = capacity;
            this.minSize = minSize;
        }
        return this;
    }

    /**
     * TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity: an instance of the group in service
     * begins its termination (the terminate hook) and is not replaced; any other id is a ValidationError, and so is a
     * decrement below the group's minimum size, when {@link #sizes} models it.
     */
    @Override
    public void terminateInGroup(String instanceId) {
        terminate(instanceId, true);
    }

    /** TerminateInstanceInAutoScalingGroup without the decrement: the instance goes, the group replaces it. */
    @Override
    public void replaceInGroup(String instanceId) {
        terminate(instanceId, false);
    }

    private void terminate(String instanceId, boolean decrement) {
        state.enter("TerminateInstanceInAutoScalingGroup", true, true);
        synchronized (state) {
            state.fault("TerminateInstanceInAutoScalingGroup");
            var instance = state.instances.get(instanceId);
            if (instance == null || instance.lifecycle == null || "Terminated".equals(instance.lifecycle)) {
                throw new CloudException.NotFound("ValidationError",
                        "Instance Id not found - No managed instance found for instance ID " + instanceId);
            }
            if (decrement && capacity >= 0
                    && capacity - state.terminatedInGroup.stream().distinct().count() <= minSize) {
                throw new CloudException.NotFound("ValidationError", "Currently, desiredSize equals minSize ("
                        + minSize + "). Terminating instance without replacement will violate group's min size "
                        + "constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min "
                        + "size.");
            }
            if (decrement) {
                state.terminatedInGroup.add(instanceId);
            }
            if ("InService".equals(instance.lifecycle)) {
                beginTermination(instance, null, true);
            }
        }
        state.flushNotices();
    }

    @Override
    public boolean ensureAzRebalanceSuspended(String group) {
        if (describeSuspendedProcesses(group).contains("AZRebalance")) {
            return false;
        }
        suspendProcesses(group, List.of("AZRebalance"));
        return true;
    }

    /** DescribeAutoScalingGroups of one group: the processes suspended on it (what the wire endpoint serves). */
    public Set<String> describeSuspendedProcesses(String group) {
        state.enter("DescribeAutoScalingGroups", false, true);
        synchronized (state) {
            state.fault("DescribeAutoScalingGroups");
            requireGroup(group);
            return Set.copyOf(state.suspendedProcesses);
        }
    }

    /** SuspendProcesses on one group. */
    public void suspendProcesses(String group, Collection<String> processes) {
        state.enter("SuspendProcesses", true, true);
        synchronized (state) {
            state.fault("SuspendProcesses");
            requireGroup(group);
            state.suspendedProcesses.addAll(processes);
        }
    }

    private void requireGroup(String group) {
        if (!groupName.equals(group)) {
            throw new CloudException.NotFound("ValidationError", "Group " + group + " not found");
        }
    }

    private Action activeAction(LifecycleRef ref) {
        var action = state.actions.get(ref.instanceId() + "/" + ref.hookName());
        if (!groupName.equals(ref.groupName()) || action == null || !action.active
                || (ref.token() != null && !ref.token().equals(action.token))) {
            throw new CloudException.NoActiveLifecycleAction("ValidationError",
                    "No active Lifecycle Action found with instance ID " + ref.instanceId());
        }
        return action;
    }
}
