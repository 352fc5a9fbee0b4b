package io.zkasg.testkit;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What the per-service fakes share: the resources (instances, ENIs, volumes, snapshots, tags, lifecycle actions,
 * commands), the messages waiting for delivery (events and queue messages), the clock, the call log and the faults
 * queued per operation. It holds no service's rules: {@link FakeEc2}, {@link FakeAutoScaling}, {@link FakeSsm} and
 * {@link FakeResumeQueue} do, each for its service. Every fake locks this object, so one change that spans services
 * (an instance terminating drops its attachments and its lifecycle actions) is atomic; listener notices run outside
 * that lock, in the order of the changes.
 */
public final class CloudState {

    /** One logged call. {@code filtered} is false only for a describe without any filter or id. */
    public record Call(String operation, boolean mutating, boolean filtered) {
    }

    /**
     * Told about state changes that a real cloud would turn into side effects on the machines (a local cloud makes
     * namespaces, moves interfaces, shows block devices). Called outside the state's lock, in the order the changes
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

        /** A snapshot of the volume was taken (its point in time is now). */
        default void onSnapshotCreated(String snapshotId, String volumeId) {
        }

        /** A volume was created from the snapshot. */
        default void onVolumeCreated(String volumeId, String snapshotId) {
        }
    }

    /** A command as it was sent. */
    public record CommandInfo(String commandId, String instanceId, String documentName,
                              Map<String, String> parameters, String comment) {
    }

    /** A completed EBS snapshot of a volume, with the tags it was given (DLM's CopyTags: the volume's tags). */
    public record EbsSnapshot(String snapshotId, String volumeId, Instant startTime, Map<String, String> tags) {
    }

    final FakeClock clock;
    final Map<String, Instance> instances = new LinkedHashMap<>();
    final Map<String, Eni> enis = new LinkedHashMap<>();
    final Map<String, Volume> volumes = new LinkedHashMap<>();
    final Map<String, EbsSnapshot> snapshots = new LinkedHashMap<>();
    final Map<String, String> restoredFrom = new HashMap<>();
    final Map<String, Action> actions = new LinkedHashMap<>();
    final List<String> completions = new ArrayList<>();
    final List<String> markedUnhealthy = new ArrayList<>();
    final List<String> terminatedInGroup = new ArrayList<>();
    final Set<String> suspendedProcesses = new LinkedHashSet<>();
    final Map<String, Command> commands = new LinkedHashMap<>();
    /** Events and queue messages not delivered yet. */
    final List<Delivery> outbox = new ArrayList<>();
    private final List<Call> calls = new ArrayList<>();
    private final Map<String, ArrayDeque<RuntimeException>> faults = new HashMap<>();
    private final ArrayDeque<Runnable> notices = new ArrayDeque<>();
    private final Object noticeLock = new Object();
    private volatile Consumer<String> beforeCall = op -> { };
    private volatile Listener listener = new Listener() { };
    private int sequence;

    public CloudState(FakeClock clock) {
        this.clock = clock;
    }

    public FakeClock clock() {
        return clock;
    }

    /** Receives the state changes (see {@link Listener}). */
    public void listener(Listener value) {
        this.listener = value;
    }

    /** Called (outside the lock) before every port call with the operation name: lets a test interleave threads. */
    public void beforeCall(Consumer<String> hook) {
        this.beforeCall = hook;
    }

    /** The next call of {@code operation} throws {@code error} (queue several to fail several calls). */
    public synchronized void failNext(String operation, RuntimeException error) {
        faults.computeIfAbsent(operation, k -> new ArrayDeque<>()).add(error);
    }

    /**
     * The next {@code times} calls of {@code operation}, one of {@code operations} (the calling fake's), fail with
     * {@code error}: how each fake throttles in its service's dialect.
     */
    synchronized void failNext(Set<String> operations, String operation, int times,
                               Supplier<RuntimeException> error) {
        if (!operations.contains(operation)) {
            throw new IllegalArgumentException("not an operation of this service: " + operation);
        }
        for (int i = 0; i < times; i++) {
            failNext(operation, error.get());
        }
    }

    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    public synchronized void clearCalls() {
        calls.clear();
    }

    // ---------------------------------------------------------------- for the fakes (callers hold the lock)

    /** The next number of the cloud's one id sequence. */
    int nextSequence() {
        return ++sequence;
    }

    /**
     * The one point every port call passes, before it takes the lock: the interleaving hook, then the call log.
     * A per-call cost (latency, token buckets) belongs here.
     */
    void enter(String operation, boolean mutating, boolean filtered) {
        beforeCall.accept(operation);
        synchronized (this) {
            calls.add(new Call(operation, mutating, filtered));
        }
    }

    /** Throws the fault queued for {@code operation}, if any (under the lock, first thing in the call). */
    void fault(String operation) {
        var queue = faults.get(operation);
        if (queue != null && !queue.isEmpty()) {
            throw queue.poll();
        }
    }

    /** Queues a notice for the listener (under the lock, so notices keep the order of the changes). */
    void notice(Consumer<Listener> notice) {
        var target = listener;
        notices.add(() -> notice.accept(target));
    }

    /** Runs the queued notices outside the lock, one thread at a time, in order; does nothing under the lock. */
    void flushNotices() {
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

    // ---------------------------------------------------------------- the resources

    static final class Instance {
        final String id;
        final String az;
        final String subnet;
        final Instant launchedAt;
        final Map<String, String> tags = new LinkedHashMap<>();
        String state = "pending";
        /** Auto Scaling's lifecycle state; null while no group ever held the instance. */
        String lifecycle;
        boolean agentRegistered;
        boolean agentLost;
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

    /** An ENI's or a volume's attachment (an ENI's has an attachment id and index, a volume's a device). */
    static final class Attachment {
        final String instanceId;
        final String attachmentId;
        final int deviceIndex;
        final String device;
        final Instant attachedAt;
        boolean deleteOnTermination;
        Instant detachingSince;
        boolean stuck;

        Attachment(String instanceId, String attachmentId, int deviceIndex, String device, Instant attachedAt,
                   boolean deleteOnTermination) {
            this.instanceId = instanceId;
            this.attachmentId = attachmentId;
            this.deviceIndex = deviceIndex;
            this.device = device;
            this.attachedAt = attachedAt;
            this.deleteOnTermination = deleteOnTermination;
        }

        Attachment copy() {
            var copy = new Attachment(instanceId, attachmentId, deviceIndex, device, attachedAt, deleteOnTermination);
            copy.detachingSince = detachingSince;
            copy.stuck = stuck;
            return copy;
        }

        boolean heldBy(String instance) {
            return instanceId.equals(instance);
        }

        String status(Instant now, Duration attachLatency) {
            if (detachingSince != null) {
                return "detaching";
            }
            return now.isBefore(attachedAt.plus(attachLatency)) ? "attaching" : "attached";
        }
    }

    static final class Eni {
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
    }

    static final class Volume {
        final String id;
        final String az;
        final Map<String, String> tags;
        Attachment attachment;

        Volume(String id, String az, Map<String, String> tags) {
            this.id = id;
            this.az = az;
            this.tags = tags;
        }
    }

    /** A lifecycle action of Auto Scaling, waiting for its completion or its timeout. */
    static final class Action {
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

    static final class Command {
        final CommandInfo info;
        final Instant sentAt;
        String finalStatus;

        Command(CommandInfo info, Instant sentAt) {
            this.info = info;
            this.sentAt = sentAt;
        }
    }
}
