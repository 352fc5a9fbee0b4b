package io.zkasg.testkit;

import io.zkasg.core.HookTicket;
import io.zkasg.core.model.AgentStatus;
import io.zkasg.core.model.EniView;
import io.zkasg.core.model.GroupMember;
import io.zkasg.core.model.InstanceView;
import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.model.LifecycleResult;
import io.zkasg.core.model.VolumeView;
import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.ClusterTags;
import io.zkasg.core.port.Ec2Port;
import io.zkasg.core.port.ResumeScheduler;
import io.zkasg.core.port.SsmPort;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * An in-memory EC2, Auto Scaling and SSM behind the core's ports, faithful to the rules this project depends on:
 * resources are AZ-bound; attaching an ENI or volume that is in use, or at a device index/name the instance already
 * uses, fails with the real error codes; attaches and detaches take time; describes can lag behind mutations;
 * lifecycle actions complete once and time out; SSM knows an instance only once its agent registered; any call can be
 * made to fail or be throttled. Every call is logged. All methods are thread-safe.
 */
public final class FakeCloud implements Ec2Port, AutoScalingPort, SsmPort, ResumeScheduler {

    /** One logged call. {@code filtered} is false only for a describe without any filter or id. */
    public record Call(String operation, boolean mutating, boolean filtered) {
    }

    /**
     * Told about state changes that a real cloud would turn into side effects on the machines (a local cloud makes
     * namespaces, moves interfaces, shows block devices). Called outside the fake's lock, in the order the changes
     * happened. Every method defaults to doing nothing.
     */
    public interface Listener {
        default void onLaunched(String instanceId, String az) {
        }

        default void onEniAttached(String eniId, String mac, String ip, String instanceId) {
        }

        default void onEniDetached(String eniId, String instanceId) {
        }

        default void onVolumeAttached(String volumeId, String instanceId, String device) {
        }

        default void onVolumeDetached(String volumeId, String instanceId) {
        }

        default void onTerminated(String instanceId) {
        }

        /** A command was accepted; with an outcome function that answers null, it runs until the function answers. */
        default void onCommandSent(CommandInfo command) {
        }
    }

    /** SQS delays a message by at most 15 minutes (SendMessage's DelaySeconds). */
    public static final Duration MAX_RESUME_DELAY = Duration.ofMinutes(15);

    /** How long a mutation may stay invisible to describes when {@link #staleReads(int)} is on. */
    public static final Duration CONSISTENCY_WINDOW = Duration.ofSeconds(5);

    private final FakeClock clock;
    private final Map<String, Instance> instances = new LinkedHashMap<>();
    private final Map<String, Eni> enis = new LinkedHashMap<>();
    private final Map<String, Volume> volumes = new LinkedHashMap<>();
    private final Map<String, Action> actions = new LinkedHashMap<>();
    private final Map<String, Command> commands = new LinkedHashMap<>();
    private final Map<String, EbsSnapshot> snapshots = new LinkedHashMap<>();
    private final Map<String, String> restoredFrom = new HashMap<>();
    private final List<Call> calls = new ArrayList<>();
    private final List<Delivery> outbox = new ArrayList<>();
    private final Map<String, ArrayDeque<RuntimeException>> faults = new HashMap<>();
    private final ArrayDeque<Generation> history = new ArrayDeque<>();
    private final List<String> completions = new ArrayList<>();
    private final List<String> markedUnhealthy = new ArrayList<>();
    private final Set<String> suspendedProcesses = new LinkedHashSet<>();
    private volatile Consumer<String> beforeCall = op -> { };
    private volatile Listener listener = new Listener() { };
    private final ArrayDeque<Runnable> notices = new ArrayDeque<>();
    private final Object noticeLock = new Object();

    private String groupName = "zk-demo-asg";
    private String launchHook = "zk-demo-launch";
    private String terminateHook = "";
    private Duration heartbeatTimeout = Duration.ofSeconds(900);
    private Function<String, Duration> attachLatency = id -> Duration.ZERO;
    private Duration detachLatency = Duration.ZERO;
    private Function<String, Duration> agentDelay = id -> Duration.ZERO;
    private Function<String, Duration> bootDelay = id -> Duration.ZERO;
    private int describeLag;
    private Duration unknownAfterLaunch = Duration.ZERO;
    private boolean eniDeleteOnTerminationDefault;
    private boolean stuckDetaches;
    private Function<CommandInfo, String> commandOutcome = c -> "Success";
    private int sequence;

    public FakeCloud(FakeClock clock) {
        this.clock = clock;
    }

    // ---------------------------------------------------------------- configuration

    /** Names of the group and its hooks (an empty terminate hook means instances terminate at once). */
    public synchronized FakeCloud group(String name, String launchHookName, String terminateHookName,
                                        Duration heartbeat) {
        this.groupName = name;
        this.launchHook = launchHookName;
        this.terminateHook = terminateHookName;
        this.heartbeatTimeout = heartbeat;
        return this;
    }

    /** How long an attach stays "attaching" and a detach "detaching". */
    public synchronized FakeCloud latencies(Duration attach, Duration detach) {
        this.attachLatency = id -> attach;
        this.detachLatency = detach;
        return this;
    }

    /** How long each attach stays "attaching", drawn per attachment from the ENI or volume id. */
    public synchronized FakeCloud attachLatency(Function<String, Duration> perResource) {
        this.attachLatency = perResource;
        return this;
    }

    /** How long after it runs an instance's SSM agent registers; how long a pending instance takes to run. */
    public synchronized FakeCloud boot(Duration pendingToRunning, Duration agentRegistration) {
        return boot(id -> pendingToRunning, id -> agentRegistration);
    }

    /** Like {@link #boot(Duration, Duration)}, drawn per instance (by id) when it launches. */
    public synchronized FakeCloud boot(Function<String, Duration> pendingToRunning,
                                       Function<String, Duration> agentRegistration) {
        this.bootDelay = pendingToRunning;
        this.agentDelay = agentRegistration;
        return this;
    }

    /**
     * Describes of ENIs and volumes return the state as it was up to {@code mutations} mutations ago, as long as those
     * mutations are recent (within {@link #CONSISTENCY_WINDOW}): like EC2, reads lag but converge.
     */
    public synchronized FakeCloud staleReads(int mutations) {
        this.describeLag = mutations;
        return this;
    }

    /**
     * For this long after its launch, EC2 does not know an instance yet: DescribeInstances shows nothing and
     * CreateTags fails with InvalidInstanceID.NotFound (EC2's eventual consistency right after RunInstances).
     */
    public synchronized FakeCloud unknownAfterLaunch(Duration value) {
        this.unknownAfterLaunch = value;
        return this;
    }

    /** Whether a detach without force stays "detaching"/"busy" for ever (as with a volume still in use). */
    public synchronized FakeCloud stuckDetaches(boolean value) {
        this.stuckDetaches = value;
        return this;
    }

    /** Whether an ENI attached by AttachNetworkInterface gets DeleteOnTermination=true (EC2's default is false). */
    public synchronized FakeCloud eniDeleteOnTerminationByDefault(boolean value) {
        this.eniDeleteOnTerminationDefault = value;
        return this;
    }

    /** Receives the state changes (see {@link Listener}). */
    public FakeCloud listener(Listener value) {
        this.listener = value;
        return this;
    }

    /**
     * Decides the final status of each command (Success, Failed, TimedOut...); null means "still running", asked
     * again at each {@link #tick()}.
     */
    public synchronized FakeCloud commandOutcome(Function<CommandInfo, String> outcome) {
        this.commandOutcome = outcome;
        return this;
    }

    /** Called (outside the lock) before every port call with the operation name: lets a test interleave threads. */
    public FakeCloud beforeCall(Consumer<String> hook) {
        this.beforeCall = hook;
        return this;
    }

    /** The next call of {@code operation} throws {@code error} (queue several to fail several calls). */
    public synchronized FakeCloud failNext(String operation, RuntimeException error) {
        faults.computeIfAbsent(operation, k -> new ArrayDeque<>()).add(error);
        return this;
    }

    /**
     * The next {@code times} calls of {@code operation} are throttled (as after the SDK's retries ran out), with the
     * code its service sends: RequestLimitExceeded (EC2), Throttling (Auto Scaling), ThrottlingException (SSM, SQS).
     */
    public synchronized FakeCloud throttle(String operation, int times) {
        for (int i = 0; i < times; i++) {
            failNext(operation, EC2_OPERATIONS.contains(operation)
                    ? new CloudException.Throttled("RequestLimitExceeded", "Request limit exceeded.")
                    : AUTO_SCALING_OPERATIONS.contains(operation)
                    ? new CloudException.Throttled("Throttling", "Rate exceeded")
                    : new CloudException.Throttled("ThrottlingException", "Rate exceeded"));
        }
        return this;
    }

    private static final Set<String> EC2_OPERATIONS = Set.of("DescribeInstances", "DescribeNetworkInterfaces",
            "DescribeVolumes", "AttachNetworkInterface", "AttachVolume", "ModifyNetworkInterfaceAttribute",
            "DetachNetworkInterface", "DetachVolume", "CreateTags");
    private static final Set<String> AUTO_SCALING_OPERATIONS = Set.of("CompleteLifecycleAction",
            "RecordLifecycleActionHeartbeat", "DescribeAutoScalingInstances", "SetInstanceHealth",
            "DescribeAutoScalingGroups", "SuspendProcesses");

    // ---------------------------------------------------------------- seeding

    /** Creates a slot: an ENI and a volume in one AZ, tagged for the cluster. Returns the ENI id. */
    public synchronized String addSlot(String clusterTagKey, String cluster, String nodeIdTagKey, int nodeId,
                                       String az, String ip) {
        var tags = new LinkedHashMap<String, String>();
        tags.put(clusterTagKey, cluster);
        tags.put(nodeIdTagKey, Integer.toString(nodeId));
        tags.put("Name", cluster + "-zk-" + nodeId);
        return addSlot(az, ip, tags, tags, nodeId);
    }

    /** Creates an ENI and a volume with exactly these tags. */
    public synchronized String addSlot(String az, String ip, Map<String, String> eniTags,
                                       Map<String, String> volumeTags, int seed) {
        var eniId = String.format("eni-%017x", 0xe000L + ++sequence);
        var mac = String.format("0a:00:00:00:%02x:%02x", (seed >> 8) & 0xff, seed & 0xff);
        enis.put(eniId, new Eni(eniId, az, "subnet-" + az, ip, mac, new LinkedHashMap<>(eniTags)));
        var volumeId = String.format("vol-%017x", 0xd000L + ++sequence);
        volumes.put(volumeId, new Volume(volumeId, az, new LinkedHashMap<>(volumeTags)));
        mutated();
        return eniId;
    }

    /** A new instance in the group, in {@code az}, with its launch lifecycle action and its event. */
    public String launch(String az) {
        String id;
        synchronized (this) {
            id = String.format("i-%017x", 0x1000L + ++sequence);
        }
        launch(id, az);
        return id;
    }

    /** Like {@link #launch(String)} with a chosen instance id. */
    public synchronized Delivery.Lifecycle launch(String instanceId, String az) {
        return launch(instanceId, az, null, true);
    }

    /**
     * A new instance with a chosen id and lifecycle token (as in a recorded event); {@code emit} false when the caller
     * delivers the event itself.
     */
    public Delivery.Lifecycle launch(String instanceId, String az, String token, boolean emit) {
        Delivery.Lifecycle event;
        synchronized (this) {
            var instance = new Instance(instanceId, az, "subnet-" + az, clock.instant());
            instance.pending = bootDelay.apply(instanceId);
            instance.agentAfter = agentDelay.apply(instanceId);
            instances.put(instanceId, instance);
            instance.lifecycle = "Pending:Wait";
            notice(l -> l.onLaunched(instanceId, az));
            var action = newAction(instanceId, launchHook, "autoscaling:EC2_INSTANCE_LAUNCHING", token);
            if (!emit) {
                outbox.remove(action.event);
            }
            mutated();
            event = action.event;
        }
        flushNotices();
        return event;
    }

    /**
     * A running instance that is in no group (for example detached from it by an operator): Auto Scaling does not
     * describe it, EC2 does. Its agent is registered.
     */
    public synchronized void strayInstance(String instanceId, String az) {
        var instance = new Instance(instanceId, az, "subnet-" + az, clock.instant());
        instance.state = "running";
        instance.lifecycle = "Detached";
        instance.agentRegistered = true;
        instances.put(instanceId, instance);
        mutated();
    }

    /** Starts a scale-in or a replacement of this instance (the terminate hook runs when configured). */
    public void terminate(String instanceId) {
        terminate(instanceId, null, true);
    }

    /**
     * Like {@link #terminate(String)} with a chosen lifecycle token (as in a recorded event); {@code emit} false when
     * the caller delivers the event itself.
     */
    public void terminate(String instanceId, String token, boolean emit) {
        synchronized (this) {
            var instance = instances.get(instanceId);
            if (instance == null || instance.terminated()) {
                return;
            }
            if (terminateHook.isEmpty()) {
                finishTermination(instance);
            } else {
                instance.lifecycle = "Terminating:Wait";
                var action = newAction(instance.id, terminateHook, "autoscaling:EC2_INSTANCE_TERMINATING", token);
                if (!emit) {
                    outbox.remove(action.event);
                }
            }
        }
        flushNotices();
    }

    /** Kills an instance at once, as when its host dies: no hook, attachments fall off. */
    public void crash(String instanceId) {
        synchronized (this) {
            var instance = instances.get(instanceId);
            if (instance != null) {
                finishTermination(instance);
            }
        }
        flushNotices();
    }

    private Action newAction(String instanceId, String hook, String transition, String chosenToken) {
        ++sequence;
        var token = chosenToken != null ? chosenToken : String.format("%08x-0000-4000-8000-%012x", sequence, sequence);
        var action = new Action(instanceId, hook, token, clock.instant().plus(heartbeatTimeout),
                new Delivery.Lifecycle(transition, groupName, hook, instanceId, token, clock.instant()));
        actions.put(instanceId + "/" + hook, action);
        outbox.add(action.event);
        return action;
    }

    // ---------------------------------------------------------------- time and deliveries

    /** Moves time on: boots instances, registers agents, ends commands, times hooks out. */
    public void advance(Duration duration) {
        clock.advance(duration);
        tick();
    }

    /** Applies everything that is due at the current time. */
    public void tick() {
        tickLocked();
        flushNotices();
    }

    private synchronized void tickLocked() {
        var now = clock.instant();
        for (var instance : List.copyOf(instances.values())) {
            if ("pending".equals(instance.state) && !now.isBefore(instance.launchedAt.plus(instance.pending))) {
                instance.state = "running";
            }
        }
        for (var command : commands.values()) {
            if (command.finalStatus == null && !now.isBefore(command.sentAt)) {
                var instance = instances.get(command.info.instanceId());
                command.finalStatus = instance == null || instance.terminated() ? "Terminated"
                        : commandOutcome.apply(command.info);
                if (command.finalStatus == null) {
                    continue; // still running
                }
                outbox.add(new Delivery.CommandStatus(command.info.commandId(), command.info.instanceId(),
                        command.info.documentName(), "InProgress", now));
                outbox.add(new Delivery.CommandStatus(command.info.commandId(), command.info.instanceId(),
                        command.info.documentName(), command.finalStatus, now));
            }
        }
        for (var action : List.copyOf(actions.values())) {
            if (action.active && !now.isBefore(action.deadline)) {
                action.active = false;
                action.timedOut = true;
                var defaultResult = action.hook.equals(launchHook) ? LifecycleResult.ABANDON : LifecycleResult.CONTINUE;
                applyResult(action, defaultResult);
            }
        }
        for (var eni : enis.values()) {
            if (eni.attachment != null && eni.attachment.detachingSince != null && !eni.attachment.stuck
                    && !now.isBefore(eni.attachment.detachingSince.plus(detachLatency))) {
                noticeEniDetached(eni);
                eni.attachment = null;
                mutated();
            }
        }
        for (var volume : volumes.values()) {
            if (volume.attachment != null && volume.attachment.detachingSince != null && !volume.attachment.stuck
                    && !now.isBefore(volume.attachment.detachingSince.plus(detachLatency))) {
                noticeVolumeDetached(volume);
                volume.attachment = null;
                mutated();
            }
        }
    }

    /** Takes every delivery that is due now, oldest first. */
    public List<Delivery> takeDue() {
        tick();
        synchronized (this) {
            var now = clock.instant();
            var due = outbox.stream().filter(d -> !d.due().isAfter(now))
                    .sorted(Comparator.comparing(Delivery::due)).toList();
            outbox.removeAll(due);
            return due;
        }
    }

    /** When the next delivery falls due, if any is waiting. */
    public synchronized Optional<Instant> nextDue() {
        return outbox.stream().map(Delivery::due).min(Comparator.naturalOrder());
    }

    /** Every delivery still waiting, due or not. */
    public synchronized List<Delivery> pending() {
        return List.copyOf(outbox);
    }

    // ---------------------------------------------------------------- observations for tests

    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    public synchronized void clearCalls() {
        calls.clear();
    }

    /** Each completion that Auto Scaling accepted, as {@code instanceId/hook=RESULT}. */
    public synchronized List<String> completions() {
        return List.copyOf(completions);
    }

    /** Instances marked unhealthy through SetInstanceHealth, in order. */
    public synchronized List<String> markedUnhealthy() {
        return List.copyOf(markedUnhealthy);
    }

    /** Processes suspended on the group (SuspendProcesses). */
    public synchronized Set<String> suspendedProcesses() {
        return Set.copyOf(suspendedProcesses);
    }

    /** Auto Scaling's health status of an instance: HEALTHY or UNHEALTHY. */
    public synchronized String healthStatus(String instanceId) {
        var instance = instances.get(instanceId);
        return instance == null ? "unknown" : instance.health;
    }

    /** The instance whose lifecycle action of {@code hook} has this token (a call may name the token alone). */
    public synchronized Optional<String> actionInstance(String hook, String token) {
        return actions.values().stream().filter(a -> a.hook.equals(hook) && a.token.equals(token))
                .map(a -> a.instanceId).findFirst();
    }

    /** Lifecycle actions that ran out of time without being completed. */
    public synchronized List<String> timedOutActions() {
        return actions.values().stream().filter(a -> a.timedOut).map(a -> a.instanceId + "/" + a.hook).toList();
    }

    public synchronized Optional<String> eniHolder(String eniId) {
        var eni = enis.get(eniId);
        return eni == null || eni.attachment == null ? Optional.empty() : Optional.of(eni.attachment.instanceId);
    }

    public synchronized Optional<String> volumeHolder(String volumeId) {
        var volume = volumes.get(volumeId);
        return volume == null || volume.attachment == null ? Optional.empty()
                : Optional.of(volume.attachment.instanceId);
    }

    public synchronized List<String> eniIds() {
        return List.copyOf(enis.keySet());
    }

    public synchronized List<String> volumeIds() {
        return List.copyOf(volumes.keySet());
    }

    public synchronized String lifecycleState(String instanceId) {
        var instance = instances.get(instanceId);
        return instance == null ? "Unknown" : instance.lifecycle;
    }

    /** The AZ an instance was launched in. */
    public synchronized String instanceAz(String instanceId) {
        return instances.get(instanceId).az;
    }

    public synchronized String ec2State(String instanceId) {
        var instance = instances.get(instanceId);
        return instance == null ? "unknown" : instance.state;
    }

    public synchronized Map<String, String> instanceTags(String instanceId) {
        return Map.copyOf(instances.get(instanceId).tags);
    }

    public synchronized List<CommandInfo> commandsSent() {
        return commands.values().stream().map(c -> c.info).toList();
    }

    public synchronized boolean hasInstance(String instanceId) {
        return instances.containsKey(instanceId);
    }

    public synchronized List<String> instanceIds() {
        return List.copyOf(instances.keySet());
    }

    public synchronized void registerAgent(String instanceId) {
        instances.get(instanceId).agentRegistered = true;
    }

    /** Sets the DeleteOnTermination flag of an attached ENI, as a console or CLI change would. */
    public synchronized void eniDeleteOnTermination(String eniId, boolean value) {
        enis.get(eniId).attachment.deleteOnTermination = value;
        mutated();
    }

    /** Whether an attached ENI goes with its instance. */
    public synchronized boolean eniDeletedOnTermination(String eniId) {
        var eni = enis.get(eniId);
        return eni != null && eni.attachment != null && eni.attachment.deleteOnTermination;
    }

    /** The instance's agent stops answering (SSM shows ConnectionLost). */
    public synchronized void agentLost(String instanceId) {
        instances.get(instanceId).agentLost = true;
    }

    // ---------------------------------------------------------------- Ec2Port

    @Override
    public Optional<InstanceView> describeInstance(String instanceId) {
        enter("DescribeInstances", false, true);
        synchronized (this) {
            fault("DescribeInstances");
            var instance = instances.get(instanceId);
            if (instance != null && unknownYet(instance)) {
                return Optional.empty();
            }
            return Optional.ofNullable(instance).map(this::view);
        }
    }

    @Override
    public List<EniView> clusterEnis(ClusterTags cluster) {
        enter("DescribeNetworkInterfaces", false, true);
        synchronized (this) {
            fault("DescribeNetworkInterfaces");
            var seen = snapshot();
            return enis.values().stream()
                    .filter(e -> matches(cluster, e.tags))
                    .map(e -> e.view(seen.get(e.id), clock.instant()))
                    .toList();
        }
    }

    @Override
    public List<VolumeView> clusterVolumes(ClusterTags cluster, String availabilityZone) {
        enter("DescribeVolumes", false, true);
        synchronized (this) {
            fault("DescribeVolumes");
            var seen = snapshot();
            return volumes.values().stream()
                    .filter(v -> matches(cluster, v.tags) && v.az.equals(availabilityZone))
                    .map(v -> v.view(seen.get(v.id), clock.instant()))
                    .toList();
        }
    }

    @Override
    public void attachEni(String eniId, String instanceId, int deviceIndex) {
        enter("AttachNetworkInterface", true, true);
        synchronized (this) {
            fault("AttachNetworkInterface");
            var eni = enis.get(eniId);
            if (eni == null) {
                throw new CloudException.NotFound("InvalidNetworkInterfaceID.NotFound",
                        "The networkInterface ID '" + eniId + "' does not exist");
            }
            var instance = liveInstance(instanceId);
            if (!"running".equals(instance.state) && !"stopped".equals(instance.state)) {
                throw new CloudException.IncorrectState("IncorrectInstanceState",
                        "The instance '" + instanceId + "' is not in a valid state for this operation.");
            }
            if (eni.attachment != null) {
                throw new CloudException.ResourceInUse("InvalidNetworkInterface.InUse",
                        "Interface: [" + eniId + "] in use.");
            }
            if (!eni.az.equals(instance.az)) {
                throw new CloudException.ZoneMismatch("InvalidParameterCombination",
                        "You may not attach a network interface to an instance if they are not in the same "
                                + "availability zone");
            }
            if (enis.values().stream().anyMatch(e -> e.attachment != null
                    && e.attachment.instanceId.equals(instanceId) && e.attachment.deviceIndex == deviceIndex)) {
                throw new CloudException.ResourceInUse("InvalidParameterValue",
                        "Instance '" + instanceId + "' already has an interface attached at device index '"
                                + deviceIndex + "'.");
            }
            eni.attachment = new Attachment(instanceId, "eni-attach-" + String.format("%017x", ++sequence),
                    deviceIndex, null, clock.instant().plus(attachLatency.apply(eniId)),
                    eniDeleteOnTerminationDefault);
            notice(l -> l.onEniAttached(eni.id, eni.mac, eni.ip, instanceId));
            mutated();
        }
        flushNotices();
    }

    @Override
    public void attachVolume(String volumeId, String instanceId, String device) {
        enter("AttachVolume", true, true);
        synchronized (this) {
            fault("AttachVolume");
            var volume = volumes.get(volumeId);
            if (volume == null) {
                throw new CloudException.NotFound("InvalidVolume.NotFound",
                        "The volume '" + volumeId + "' does not exist.");
            }
            var instance = liveInstance(instanceId);
            if (!volume.az.equals(instance.az)) {
                throw new CloudException.ZoneMismatch("InvalidVolume.ZoneMismatch",
                        "The volume '" + volumeId + "' is not in the same availability zone as instance '"
                                + instanceId + "'");
            }
            if (volume.attachment != null) {
                throw new CloudException.ResourceInUse("VolumeInUse",
                        "vol '" + volumeId + "' is already attached to an instance");
            }
            if (!"running".equals(instance.state) && !"stopped".equals(instance.state)) {
                throw new CloudException.IncorrectState("IncorrectState",
                        "Instance '" + instanceId + "' is not 'running'.");
            }
            if (volumes.values().stream().anyMatch(v -> v.attachment != null
                    && v.attachment.instanceId.equals(instanceId) && device.equals(v.attachment.device))) {
                throw new CloudException.ResourceInUse("InvalidParameterValue",
                        "Attachment point " + device + " is already in use");
            }
            volume.attachment = new Attachment(instanceId, null, -1, device,
                    clock.instant().plus(attachLatency.apply(volumeId)), false);
            notice(l -> l.onVolumeAttached(volumeId, instanceId, device));
            mutated();
        }
        flushNotices();
    }

    @Override
    public void keepEniOnTermination(String eniId, String attachmentId) {
        enter("ModifyNetworkInterfaceAttribute", true, true);
        synchronized (this) {
            fault("ModifyNetworkInterfaceAttribute");
            var eni = enis.get(eniId);
            if (eni == null || eni.attachment == null || !eni.attachment.attachmentId.equals(attachmentId)) {
                throw new CloudException.NotFound("InvalidAttachmentID.NotFound",
                        "Attachment '" + attachmentId + "' does not exist");
            }
            eni.attachment.deleteOnTermination = false;
            mutated();
        }
    }

    @Override
    public void detachEni(String attachmentId, boolean force) {
        enter("DetachNetworkInterface", true, true);
        synchronized (this) {
            fault("DetachNetworkInterface");
            var eni = enis.values().stream()
                    .filter(e -> e.attachment != null && e.attachment.attachmentId.equals(attachmentId))
                    .findFirst()
                    .orElseThrow(() -> new CloudException.NotFound("InvalidAttachmentID.NotFound",
                            "Attachment '" + attachmentId + "' does not exist"));
            if (eni.attachment.detachingSince == null) {
                eni.attachment.detachingSince = clock.instant();
            }
            eni.attachment.stuck = stuckDetaches && !force;
            if (force || (detachLatency.isZero() && !eni.attachment.stuck)) {
                noticeEniDetached(eni);
                eni.attachment = null;
            }
            mutated();
        }
        flushNotices();
    }

    @Override
    public void detachVolume(String volumeId, String instanceId, boolean force) {
        enter("DetachVolume", true, true);
        synchronized (this) {
            fault("DetachVolume");
            var volume = volumes.get(volumeId);
            if (volume == null || volume.attachment == null || !volume.attachment.instanceId.equals(instanceId)) {
                throw new CloudException.NotFound("InvalidAttachment.NotFound",
                        "The volume '" + volumeId + "' is not attached to '" + instanceId + "'");
            }
            if (volume.attachment.detachingSince == null) {
                volume.attachment.detachingSince = clock.instant();
            }
            volume.attachment.stuck = stuckDetaches && !force;
            if (force || (detachLatency.isZero() && !volume.attachment.stuck)) {
                noticeVolumeDetached(volume);
                volume.attachment = null;
            }
            mutated();
        }
        flushNotices();
    }

    @Override
    public void tagInstance(String instanceId, Map<String, String> tags) {
        enter("CreateTags", true, true);
        synchronized (this) {
            fault("CreateTags");
            var instance = instances.get(instanceId);
            if (instance == null || unknownYet(instance)) {
                throw new CloudException.NotFound("InvalidInstanceID.NotFound",
                        "The instance ID '" + instanceId + "' does not exist");
            }
            instance.tags.putAll(tags);
        }
    }

    // ---------------------------------------------------------------- AutoScalingPort

    @Override
    public void completeLifecycleAction(LifecycleRef ref, LifecycleResult result) {
        enter("CompleteLifecycleAction", true, true);
        synchronized (this) {
            fault("CompleteLifecycleAction");
            var action = activeAction(ref);
            action.active = false;
            completions.add(ref.instanceId() + "/" + ref.hookName() + "=" + result);
            applyResult(action, result);
        }
        flushNotices();
    }

    @Override
    public void recordHeartbeat(LifecycleRef ref) {
        enter("RecordLifecycleActionHeartbeat", true, true);
        synchronized (this) {
            fault("RecordLifecycleActionHeartbeat");
            var action = activeAction(ref);
            action.deadline = clock.instant().plus(heartbeatTimeout);
            action.heartbeats++;
        }
    }

    @Override
    public Map<String, GroupMember> members(Collection<String> instanceIds) {
        enter("DescribeAutoScalingInstances", false, !instanceIds.isEmpty());
        synchronized (this) {
            fault("DescribeAutoScalingInstances");
            var result = new LinkedHashMap<String, GroupMember>();
            for (var id : instanceIds) {
                var instance = instances.get(id);
                if (instance != null && !"Terminated".equals(instance.lifecycle)
                        && !"Detached".equals(instance.lifecycle)) {
                    result.put(id, new GroupMember(id, groupName, instance.lifecycle, instance.health));
                }
            }
            return result;
        }
    }

    /** DescribeAutoScalingGroups of the group: its instances (not yet Terminated or Detached) and their states. */
    @Override
    public List<GroupMember> groupMembers(String group) {
        enter("DescribeAutoScalingGroups", false, true);
        synchronized (this) {
            fault("DescribeAutoScalingGroups");
            if (!groupName.equals(group)) {
                return List.of();
            }
            return instances.values().stream()
                    .filter(i -> !"Terminated".equals(i.lifecycle) && !"Detached".equals(i.lifecycle))
                    .map(i -> new GroupMember(i.id, groupName, i.lifecycle, i.health))
                    .toList();
        }
    }

    /** Like Auto Scaling: the instance is marked UNHEALTHY and, once in service, replaced (its terminate hook runs). */
    @Override
    public void markUnhealthy(String instanceId) {
        enter("SetInstanceHealth", true, true);
        synchronized (this) {
            fault("SetInstanceHealth");
            var instance = instances.get(instanceId);
            if (instance == null || "Terminated".equals(instance.lifecycle)) {
                throw new CloudException.NotFound("ValidationError",
                        "Instance Id not found - No managed instance found for instance ID " + instanceId);
            }
            instance.health = "UNHEALTHY";
            markedUnhealthy.add(instanceId);
            if ("InService".equals(instance.lifecycle)) {
                beginTermination(instance);
            }
        }
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
        enter("DescribeAutoScalingGroups", false, true);
        synchronized (this) {
            fault("DescribeAutoScalingGroups");
            requireGroup(group);
            return Set.copyOf(suspendedProcesses);
        }
    }

    /** SuspendProcesses on one group. */
    public void suspendProcesses(String group, Collection<String> processes) {
        enter("SuspendProcesses", true, true);
        synchronized (this) {
            fault("SuspendProcesses");
            requireGroup(group);
            suspendedProcesses.addAll(processes);
        }
    }

    private void requireGroup(String group) {
        if (!groupName.equals(group)) {
            throw new CloudException.NotFound("ValidationError", "Group " + group + " not found");
        }
    }

    private Action activeAction(LifecycleRef ref) {
        var action = actions.get(ref.instanceId() + "/" + ref.hookName());
        if (!groupName.equals(ref.groupName()) || action == null || !action.active
                || (ref.token() != null && !ref.token().equals(action.token))) {
            throw new CloudException.NoActiveLifecycleAction("ValidationError",
                    "No active Lifecycle Action found with instance ID " + ref.instanceId());
        }
        return action;
    }

    private void applyResult(Action action, LifecycleResult result) {
        var instance = instances.get(action.instanceId);
        if (action.hook.equals(launchHook)) {
            if (result == LifecycleResult.CONTINUE) {
                instance.lifecycle = "InService";
            } else {
                beginTermination(instance);
            }
        } else {
            finishTermination(instance);
        }
    }

    private void beginTermination(Instance instance) {
        if (terminateHook.isEmpty()) {
            finishTermination(instance);
        } else {
            instance.lifecycle = "Terminating:Wait";
            newAction(instance.id, terminateHook, "autoscaling:EC2_INSTANCE_TERMINATING", null);
        }
    }

    /** The instance is gone: EC2 detaches its ENIs (deleting those marked DeleteOnTermination) and volumes. */
    private void finishTermination(Instance instance) {
        instance.state = "terminated";
        instance.lifecycle = "Terminated";
        actions.values().stream().filter(a -> a.instanceId.equals(instance.id)).forEach(a -> a.active = false);
        for (var eni : List.copyOf(enis.values())) {
            if (eni.attachment != null && eni.attachment.instanceId.equals(instance.id)) {
                noticeEniDetached(eni);
                if (eni.attachment.deleteOnTermination) {
                    enis.remove(eni.id);
                } else {
                    eni.attachment = null;
                }
            }
        }
        for (var volume : volumes.values()) {
            if (volume.attachment != null && volume.attachment.instanceId.equals(instance.id)) {
                noticeVolumeDetached(volume);
                volume.attachment = null;
            }
        }
        var id = instance.id;
        notice(l -> l.onTerminated(id));
        mutated();
    }

    // ---------------------------------------------------------------- SsmPort

    @Override
    public AgentStatus agentStatus(String instanceId) {
        enter("DescribeInstanceInformation", false, true);
        synchronized (this) {
            fault("DescribeInstanceInformation");
            var instance = instances.get(instanceId);
            if (instance == null || !agentOnline(instance)) {
                return AgentStatus.NOT_REGISTERED;
            }
            return instance.terminated() || instance.agentLost ? AgentStatus.UNREACHABLE : AgentStatus.ONLINE;
        }
    }

    @Override
    public String sendCommand(String instanceId, String documentName, Map<String, String> parameters,
                              String comment, Duration timeout) {
        enter("SendCommand", true, true);
        String id;
        synchronized (this) {
            fault("SendCommand");
            var instance = instances.get(instanceId);
            if (instance == null || !agentOnline(instance)) {
                throw new CloudException.AgentNotReady("InvalidInstanceId",
                        "Instances [[" + instanceId + "]] not in a valid state for account");
            }
            id = String.format("%08x-1111-4222-8333-%012x", ++sequence, sequence);
            var info = new CommandInfo(id, instanceId, documentName, Map.copyOf(parameters), comment);
            commands.put(id, new Command(info, clock.instant()));
            notice(l -> l.onCommandSent(info));
        }
        flushNotices();
        return id;
    }

    /** GetCommandInvocation: the invocation's status, InProgress until it ended; empty for an unknown command. */
    @Override
    public Optional<String> commandStatus(String commandId, String instanceId) {
        enter("GetCommandInvocation", false, true);
        synchronized (this) {
            fault("GetCommandInvocation");
            var command = commands.get(commandId);
            if (command == null || !command.info.instanceId().equals(instanceId)) {
                return Optional.empty();
            }
            return Optional.of(command.finalStatus == null ? "InProgress" : command.finalStatus);
        }
    }

    private boolean agentOnline(Instance instance) {
        return instance.agentRegistered || ("running".equals(instance.state)
                && !clock.instant().isBefore(instance.launchedAt.plus(instance.pending).plus(instance.agentAfter)));
    }

    // ---------------------------------------------------------------- ResumeScheduler

    @Override
    public void resumeLater(HookTicket ticket, Duration delay) {
        enter("SendMessage", true, true);
        synchronized (this) {
            fault("SendMessage");
            // Like SQS: DelaySeconds is at most 15 minutes.
            outbox.add(new Delivery.Resume(ticket, clock.instant().plus(delay.compareTo(MAX_RESUME_DELAY) > 0
                    ? MAX_RESUME_DELAY : delay)));
        }
    }

    // ---------------------------------------------------------------- snapshots and volume tags (operator restore)

    /** A completed EBS snapshot of a volume, with the tags it was given (DLM's CopyTags: the volume's tags). */
    public record EbsSnapshot(String snapshotId, String volumeId, Instant startTime, Map<String, String> tags) {
    }

    /** Snapshots the volume now, copying its tags (what the stack's DLM policy does); returns the snapshot id. */
    public synchronized String snapshotVolume(String volumeId) {
        var volume = volumes.get(volumeId);
        if (volume == null) {
            throw new CloudException.NotFound("InvalidVolume.NotFound", "The volume '" + volumeId
                    + "' does not exist.");
        }
        var id = String.format("snap-%017x", 0x5000L + ++sequence);
        snapshots.put(id, new EbsSnapshot(id, volumeId, clock.instant(), Map.copyOf(volume.tags)));
        return id;
    }

    public synchronized List<EbsSnapshot> snapshots() {
        return List.copyOf(snapshots.values());
    }

    /** CreateVolume from a snapshot, in {@code az}, with these tags: available at once. Returns the volume id. */
    public synchronized String createVolume(String snapshotId, String az, Map<String, String> tags) {
        var snapshot = snapshots.get(snapshotId);
        if (snapshot == null) {
            throw new CloudException.NotFound("InvalidSnapshot.NotFound", "The snapshot '" + snapshotId
                    + "' does not exist.");
        }
        var id = String.format("vol-%017x", 0xd000L + ++sequence);
        volumes.put(id, new Volume(id, az, new LinkedHashMap<>(tags)));
        restoredFrom.put(id, snapshotId);
        mutated();
        return id;
    }

    /** The snapshot a volume was created from, if any. */
    public synchronized Optional<String> restoredFrom(String volumeId) {
        return Optional.ofNullable(restoredFrom.get(volumeId));
    }

    /** Every volume, whatever its tags. */
    public synchronized List<VolumeView> allVolumes() {
        var seen = snapshot();
        return volumes.values().stream().map(v -> v.view(seen.get(v.id), clock.instant())).toList();
    }

    /** CreateTags / DeleteTags on a volume. */
    public synchronized void retagVolume(String volumeId, Map<String, String> add, Collection<String> remove) {
        var volume = volumes.get(volumeId);
        if (volume == null) {
            throw new CloudException.NotFound("InvalidVolume.NotFound", "The volume '" + volumeId
                    + "' does not exist.");
        }
        remove.forEach(volume.tags::remove);
        volume.tags.putAll(add);
        mutated();
    }

    // ---------------------------------------------------------------- internals

    private void enter(String operation, boolean mutating, boolean filtered) {
        beforeCall.accept(operation);
        synchronized (this) {
            calls.add(new Call(operation, mutating, filtered));
        }
    }

    /** Queues a notice for the listener (under the lock, so notices keep the order of the changes). */
    private void notice(Consumer<Listener> notice) {
        var target = listener;
        notices.add(() -> notice.accept(target));
    }

    private void noticeEniDetached(Eni eni) {
        var eniId = eni.id;
        var instanceId = eni.attachment.instanceId;
        notice(l -> l.onEniDetached(eniId, instanceId));
    }

    private void noticeVolumeDetached(Volume volume) {
        var volumeId = volume.id;
        var instanceId = volume.attachment.instanceId;
        notice(l -> l.onVolumeDetached(volumeId, instanceId));
    }

    /** Runs the queued notices outside the fake's lock, one thread at a time, in order. */
    private void flushNotices() {
        if (Thread.holdsLock(this)) {
            return;
        }
        synchronized (noticeLock) {
            while (true) {
                Runnable next;
                synchronized (this) {
                    next = notices.poll();
                }
                if (next == null) {
                    return;
                }
                next.run();
            }
        }
    }

    private void fault(String operation) {
        var queue = faults.get(operation);
        if (queue != null && !queue.isEmpty()) {
            throw queue.poll();
        }
    }

    private boolean unknownYet(Instance instance) {
        return clock.instant().isBefore(instance.launchedAt.plus(unknownAfterLaunch));
    }

    private Instance liveInstance(String instanceId) {
        var instance = instances.get(instanceId);
        if (instance == null || instance.terminated() || unknownYet(instance)) {
            throw new CloudException.NotFound("InvalidInstanceID.NotFound",
                    "The instance ID '" + instanceId + "' does not exist");
        }
        return instance;
    }

    private static boolean matches(ClusterTags cluster, Map<String, String> tags) {
        if (cluster.byLegacyName()) {
            return tags.getOrDefault("Name", "").startsWith(cluster.legacyNamePrefix());
        }
        return cluster.clusterName().equals(tags.get(cluster.clusterTagKey()));
    }

    private void mutated() {
        var snapshot = new HashMap<String, Snapshot>();
        enis.values().forEach(e -> snapshot.put(e.id, new Snapshot(e.attachment == null ? null : e.attachment.copy())));
        volumes.values().forEach(v -> snapshot.put(v.id,
                new Snapshot(v.attachment == null ? null : v.attachment.copy())));
        history.addLast(new Generation(snapshot, clock.instant()));
        while (history.size() > describeLag + 1) {
            history.removeFirst();
        }
    }

    /** What describes see: the state up to {@code describeLag} mutations ago, none older than the window. */
    private Map<String, Snapshot> snapshot() {
        if (history.isEmpty()) {
            return Map.of();
        }
        var generations = new ArrayList<>(history);
        var horizon = clock.instant().minus(CONSISTENCY_WINDOW);
        int pick = generations.size() - 1;
        while (pick > 0 && generations.size() - pick <= describeLag
                && generations.get(pick).takenAt().isAfter(horizon)) {
            pick--;
        }
        return generations.get(pick).attachments();
    }

    private record Generation(Map<String, Snapshot> attachments, Instant takenAt) {
    }

    private InstanceView view(Instance instance) {
        var now = clock.instant();
        var nics = new ArrayList<InstanceView.NicAttachment>();
        for (var eni : enis.values()) {
            if (eni.attachment != null && eni.attachment.instanceId.equals(instance.id)) {
                nics.add(new InstanceView.NicAttachment(eni.id, eni.attachment.attachmentId,
                        eni.attachment.deviceIndex, eni.attachment.status(now),
                        eni.attachment.deleteOnTermination));
            }
        }
        var vols = new ArrayList<InstanceView.VolumeAttachment>();
        for (var volume : volumes.values()) {
            if (volume.attachment != null && volume.attachment.instanceId.equals(instance.id)) {
                vols.add(new InstanceView.VolumeAttachment(volume.id, volume.attachment.device,
                        volume.attachment.status(now)));
            }
        }
        return new InstanceView(instance.id, instance.az, instance.subnet, instance.state, instance.tags, nics, vols);
    }

    /** A command as it was sent. */
    public record CommandInfo(String commandId, String instanceId, String documentName,
                              Map<String, String> parameters, String comment) {
    }

    private record Snapshot(Attachment attachment) {
    }

    private static final class Command {
        final CommandInfo info;
        final Instant sentAt;
        String finalStatus;

        Command(CommandInfo info, Instant sentAt) {
            this.info = info;
            this.sentAt = sentAt;
        }
    }

    private static final class Attachment {
        final String instanceId;
        final String attachmentId;
        final int deviceIndex;
        final String device;
        /** When the attach completes ("attaching" until then). */
        final Instant settlesAt;
        boolean deleteOnTermination;
        Instant detachingSince;
        boolean stuck;

        Attachment(String instanceId, String attachmentId, int deviceIndex, String device, Instant settlesAt,
                   boolean deleteOnTermination) {
            this.instanceId = instanceId;
            this.attachmentId = attachmentId;
            this.deviceIndex = deviceIndex;
            this.device = device;
            this.settlesAt = settlesAt;
            this.deleteOnTermination = deleteOnTermination;
        }

        Attachment copy() {
            var copy = new Attachment(instanceId, attachmentId, deviceIndex, device, settlesAt, deleteOnTermination);
            copy.detachingSince = detachingSince;
            copy.stuck = stuck;
            return copy;
        }

        String status(Instant now) {
            if (detachingSince != null) {
                return "detaching";
            }
            return now.isBefore(settlesAt) ? "attaching" : "attached";
        }
    }

    private static final class Instance {
        final String id;
        final String az;
        final String subnet;
        final Instant launchedAt;
        final Map<String, String> tags = new LinkedHashMap<>();
        String state = "pending";
        String lifecycle = "Pending";
        boolean agentRegistered;
        boolean agentLost;
        /** How long it stays pending, and how long after running its SSM agent registers. */
        Duration pending = Duration.ZERO;
        Duration agentAfter = Duration.ZERO;
        /** Auto Scaling's health status, as DescribeAutoScalingInstances spells it. */
        String health = "HEALTHY";

        Instance(String id, String az, String subnet, Instant launchedAt) {
            this.id = id;
            this.az = az;
            this.subnet = subnet;
            this.launchedAt = launchedAt;
        }

        boolean terminated() {
            return "terminated".equals(state);
        }
    }

    private static final class Eni {
        final String id;
        final String az;
        final String subnet;
        final String ip;
        final String mac;
        final Map<String, String> tags;
        Attachment attachment;

        Eni(String id, String az, String subnet, String ip, String mac, Map<String, String> tags) {
            this.id = id;
            this.az = az;
            this.subnet = subnet;
            this.ip = ip;
            this.mac = mac;
            this.tags = tags;
        }

        EniView view(Snapshot seen, Instant now) {
            var a = seen == null ? attachment : seen.attachment();
            if (a == null) {
                return new EniView(id, az, subnet, ip, mac, "available", tags, Optional.empty());
            }
            var status = a.status(now);
            return new EniView(id, az, subnet, ip, mac, "attaching".equals(status) ? "attaching" : "in-use", tags,
                    Optional.of(new EniView.Attachment(a.attachmentId, a.instanceId, a.deviceIndex, status,
                            a.deleteOnTermination)));
        }
    }

    private static final class Volume {
        final String id;
        final String az;
        final Map<String, String> tags;
        Attachment attachment;

        Volume(String id, String az, Map<String, String> tags) {
            this.id = id;
            this.az = az;
            this.tags = tags;
        }

        VolumeView view(Snapshot seen, Instant now) {
            var a = seen == null ? attachment : seen.attachment();
            if (a == null) {
                return new VolumeView(id, az, "available", tags, List.of());
            }
            return new VolumeView(id, az, "in-use", tags,
                    List.of(new VolumeView.Attachment(a.instanceId, a.device, a.status(now))));
        }
    }

    private static final class Action {
        final String instanceId;
        final String hook;
        final String token;
        final Delivery.Lifecycle event;
        Instant deadline;
        boolean active = true;
        boolean timedOut;
        int heartbeats;

        Action(String instanceId, String hook, String token, Instant deadline, Delivery.Lifecycle event) {
            this.instanceId = instanceId;
            this.hook = hook;
            this.token = token;
            this.deadline = deadline;
            this.event = event;
        }
    }
}
