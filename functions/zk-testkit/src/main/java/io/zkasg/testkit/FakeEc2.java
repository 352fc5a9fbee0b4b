package io.zkasg.testkit;

import io.zkasg.core.model.EniView;
import io.zkasg.core.model.InstanceView;
import io.zkasg.core.model.VolumeView;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.ClusterTags;
import io.zkasg.core.port.Ec2Port;
import io.zkasg.testkit.CloudState.Attachment;
import io.zkasg.testkit.CloudState.EbsSnapshot;
import io.zkasg.testkit.CloudState.Eni;
import io.zkasg.testkit.CloudState.Instance;
import io.zkasg.testkit.CloudState.Volume;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * EC2 in memory, over the shared {@link CloudState}, with the rules this project depends on (held to them by
 * {@code Ec2PortContract}): resources are AZ-bound; attaching an ENI or volume that is in use, or at a device
 * index/name the instance already uses, fails with the real error codes; attaches and detaches take time; describes of
 * ENIs and volumes can lag behind mutations; an instance is unknown for a while after its launch; a terminated
 * instance drops its attachments. Thread-safe.
 */
public final class FakeEc2 implements Ec2Port {

    /** How long a mutation may stay invisible to describes when {@link #staleReads(int)} is on. */
    public static final Duration CONSISTENCY_WINDOW = Duration.ofSeconds(5);

    /** The operations this fake serves (their faults and throttling are EC2's). */
    public static final Set<String> OPERATIONS = Set.of("DescribeInstances", "DescribeNetworkInterfaces",
            "DescribeVolumes", "AttachNetworkInterface", "AttachVolume", "ModifyNetworkInterfaceAttribute",
            "DetachNetworkInterface", "DetachVolume", "CreateTags");

    private final CloudState state;
    private final ArrayDeque<Generation> history = new ArrayDeque<>();
    private Function<String, Duration> attachLatency = id -> Duration.ZERO;
    private Duration detachLatency = Duration.ZERO;
    private Function<String, Duration> bootDelay = id -> Duration.ZERO;
    private int describeLag;
    /** Set when instance describes lag too; each lagging read then draws its generation from it. */
    private SplittableRandom lagDraws;
    private long laggedReads;
    private Duration unknownAfterLaunch = Duration.ZERO;
    private boolean eniDeleteOnTerminationDefault;
    private boolean stuckDetaches;
    private Duration snapshotCompletion = Duration.ZERO;

    public FakeEc2(CloudState state) {
        this.state = state;
    }

    // ---------------------------------------------------------------- configuration

    /** How long an attach stays "attaching" and a detach "detaching". */
    public FakeEc2 latencies(Duration attach, Duration detach) {
        synchronized (state) {
            this.attachLatency = id -> attach;
            this.detachLatency = detach;
        }
        return this;
    }

    /** How long a pending instance takes to run. */
    public FakeEc2 bootDelay(Duration pendingToRunning) {
        synchronized (state) {
            this.bootDelay = id -> pendingToRunning;
        }
        return this;
    }

    /** Like {@link #bootDelay(Duration)}, per instance id (the function must answer the same for one id). */
    public FakeEc2 bootDelay(Function<String, Duration> pendingToRunning) {
        synchronized (state) {
            this.bootDelay = pendingToRunning;
        }
        return this;
    }

    /** How long each attach stays "attaching", per ENI or volume id (the same answer for one id). */
    public FakeEc2 attachLatency(Function<String, Duration> perResource) {
        synchronized (state) {
            this.attachLatency = perResource;
        }
        return this;
    }

    /**
     * Describes of ENIs and volumes return the state as it was up to {@code mutations} mutations ago, as long as those
     * mutations are recent (within {@link #CONSISTENCY_WINDOW}): like EC2, reads lag but converge.
     */
    public FakeEc2 staleReads(int mutations) {
        synchronized (state) {
            this.describeLag = mutations;
            this.lagDraws = null;
        }
        return this;
    }

    /**
     * Like {@link #staleReads(int)}, and DescribeInstances lags as well (the instance's state, its tags, its
     * attachments; an instance launched within the lag is not found), and each read draws, from {@code seed}, which
     * of the generations it may see it sees: reads are not monotonic, as when successive calls reach different EC2
     * endpoints. Opt-in fault injection for the model check.
     */
    public FakeEc2 staleReads(int mutations, long seed) {
        synchronized (state) {
            this.describeLag = mutations;
            this.lagDraws = new SplittableRandom(seed);
        }
        return this;
    }

    /** How many describes answered from an older generation than the latest (see {@link #staleReads(int, long)}). */
    public long laggedReads() {
        synchronized (state) {
            return laggedReads;
        }
    }

    /**
     * For this long after its launch, EC2 does not know an instance yet: DescribeInstances shows nothing and
     * CreateTags fails with InvalidInstanceID.NotFound (EC2's eventual consistency right after RunInstances).
     */
    public FakeEc2 unknownAfterLaunch(Duration value) {
        synchronized (state) {
            this.unknownAfterLaunch = value;
        }
        return this;
    }

    /** Whether a detach without force stays "detaching"/"busy" for ever (as with a volume still in use). */
    public FakeEc2 stuckDetaches(boolean value) {
        synchronized (state) {
            this.stuckDetaches = value;
        }
        return this;
    }

    /**
     * How long a new snapshot stays {@code pending} before it is {@code completed} (EBS: creation is asynchronous, the
     * snapshot is pending until all its data is stored). 0: completed at the first describe.
     */
    public FakeEc2 snapshotCompletion(Duration value) {
        synchronized (state) {
            this.snapshotCompletion = value;
        }
        return this;
    }

    /** A snapshot's state as DescribeSnapshots shows it: pending, then completed. */
    public String snapshotState(String snapshotId) {
        synchronized (state) {
            var snapshot = state.snapshots.get(snapshotId);
            if (snapshot == null) {
                throw new CloudException.NotFound("InvalidSnapshot.NotFound", "The snapshot '" + snapshotId
                        + "' does not exist.");
            }
            return state.clock.instant().isBefore(snapshot.startTime().plus(snapshotCompletion)) ? "pending"
                    : "completed";
        }
    }

    /** Whether an ENI attached by AttachNetworkInterface gets DeleteOnTermination=true (EC2's default is false). */
    public FakeEc2 eniDeleteOnTerminationByDefault(boolean value) {
        synchronized (state) {
            this.eniDeleteOnTerminationDefault = value;
        }
        return this;
    }

    /** The next {@code times} calls of {@code operation} are throttled as EC2 does (RequestLimitExceeded). */
    public FakeEc2 throttle(String operation, int times) {
        state.failNext(OPERATIONS, operation, times,
                () -> new CloudException.Throttled("RequestLimitExceeded", "Request limit exceeded."));
        return this;
    }

    // ---------------------------------------------------------------- seeding and EC2's own doings

    /** Creates a slot: an ENI and a volume in one AZ, tagged for the cluster. Returns the ENI id. */
    public String addSlot(String clusterTagKey, String cluster, String nodeIdTagKey, int nodeId, String az,
                          String ip) {
        var tags = new LinkedHashMap<String, String>();
        tags.put(clusterTagKey, cluster);
        tags.put(nodeIdTagKey, Integer.toString(nodeId));
        tags.put("Name", cluster + "-zk-" + nodeId);
        return addSlot(az, ip, tags, tags, nodeId);
    }

    /** Creates an ENI and a volume with exactly these tags. Returns the ENI id. */
    public String addSlot(String az, String ip, Map<String, String> eniTags, Map<String, String> volumeTags,
                          int seed) {
        synchronized (state) {
            var eniId = String.format("eni-%017x", 0xe000L + state.nextSequence());
            var mac = String.format("0a:00:00:00:%02x:%02x", (seed >> 8) & 0xff, seed & 0xff);
            state.enis.put(eniId, new Eni(eniId, az, "subnet-" + az, ip, mac, new LinkedHashMap<>(eniTags)));
            var volumeId = String.format("vol-%017x", 0xd000L + state.nextSequence());
            state.volumes.put(volumeId, new Volume(volumeId, az, new LinkedHashMap<>(volumeTags)));
            mutated();
            return eniId;
        }
    }

    /** RunInstances of one instance outside any group: pending in {@code az} (see {@link #tick()}). Its id. */
    public String runInstance(String az) {
        String id;
        synchronized (state) {
            id = newInstanceId();
            runInstance(id, az, true);
        }
        state.flushNotices();
        return id;
    }

    /** A fresh instance id. The caller holds the lock. */
    String newInstanceId() {
        return String.format("i-%017x", 0x1000L + state.nextSequence());
    }

    /** RunInstances: the instance is pending in {@code az}; {@code announce} tells the listener. Under the lock. */
    Instance runInstance(String instanceId, String az, boolean announce) {
        var instance = new Instance(instanceId, az, "subnet-" + az, state.clock.instant());
        state.instances.put(instanceId, instance);
        if (announce) {
            state.notice(l -> l.onLaunched(instanceId, az));
        }
        mutated();
        return instance;
    }

    /** Applies what is due now in EC2 alone: pending instances run, detaches end. */
    public void tick() {
        synchronized (state) {
            var now = state.clock.instant();
            boot(now);
            endDetaches(now);
        }
        state.flushNotices();
    }

    /**
     * The instance is gone: EC2 detaches its ENIs (deleting those marked DeleteOnTermination) and volumes. The caller
     * holds the lock.
     */
    void terminateInstance(Instance instance) {
        instance.state = "terminated";
        for (var eni : List.copyOf(state.enis.values())) {
            if (eni.attachment != null && eni.attachment.heldBy(instance.id)) {
                noticeDetached(eni);
                if (eni.attachment.deleteOnTermination) {
                    state.enis.remove(eni.id);
                } else {
                    eni.attachment = null;
                }
            }
        }
        for (var volume : state.volumes.values()) {
            if (volume.attachment != null && volume.attachment.heldBy(instance.id)) {
                noticeDetached(volume);
                volume.attachment = null;
            }
        }
        var id = instance.id;
        state.notice(l -> l.onTerminated(id));
        mutated();
    }

    /** Pending instances whose boot time passed run. The caller holds the lock. */
    void boot(Instant now) {
        for (var instance : List.copyOf(state.instances.values())) {
            if ("pending".equals(instance.state)
                    && !now.isBefore(instance.launchedAt.plus(bootDelay.apply(instance.id)))) {
                instance.state = "running";
                mutated();
            }
        }
    }

    /** Detaches whose time passed end (not stuck ones). The caller holds the lock. */
    void endDetaches(Instant now) {
        for (var eni : state.enis.values()) {
            if (detachEnded(eni.attachment, now)) {
                noticeDetached(eni);
                eni.attachment = null;
                mutated();
            }
        }
        for (var volume : state.volumes.values()) {
            if (detachEnded(volume.attachment, now)) {
                noticeDetached(volume);
                volume.attachment = null;
                mutated();
            }
        }
    }

    private boolean detachEnded(Attachment a, Instant now) {
        return a != null && a.detachingSince != null && !a.stuck && !now.isBefore(a.detachingSince.plus(detachLatency));
    }

    /** Whether the instance is running and past {@code delay} after its boot (for SSM's agent registration). */
    boolean runningFor(Instance instance, Duration delay) {
        return "running".equals(instance.state)
                && !state.clock.instant().isBefore(instance.launchedAt.plus(bootDelay.apply(instance.id)).plus(delay));
    }

    /** Sets the DeleteOnTermination flag of an attached ENI, as a console or CLI change would. */
    public void eniDeleteOnTermination(String eniId, boolean value) {
        synchronized (state) {
            state.enis.get(eniId).attachment.deleteOnTermination = value;
            mutated();
        }
    }

    // ---------------------------------------------------------------- what EC2 holds, for tests

    public Optional<String> eniHolder(String eniId) {
        synchronized (state) {
            var eni = state.enis.get(eniId);
            return eni == null || eni.attachment == null ? Optional.empty() : Optional.of(eni.attachment.instanceId);
        }
    }

    public Optional<String> volumeHolder(String volumeId) {
        synchronized (state) {
            var volume = state.volumes.get(volumeId);
            return volume == null || volume.attachment == null ? Optional.empty()
                    : Optional.of(volume.attachment.instanceId);
        }
    }

    public List<String> eniIds() {
        synchronized (state) {
            return List.copyOf(state.enis.keySet());
        }
    }

    public List<String> volumeIds() {
        synchronized (state) {
            return List.copyOf(state.volumes.keySet());
        }
    }

    /** Whether an attached ENI goes with its instance. */
    public boolean eniDeletedOnTermination(String eniId) {
        synchronized (state) {
            var eni = state.enis.get(eniId);
            return eni != null && eni.attachment != null && eni.attachment.deleteOnTermination;
        }
    }

    public boolean hasInstance(String instanceId) {
        synchronized (state) {
            return state.instances.containsKey(instanceId);
        }
    }

    public List<String> instanceIds() {
        synchronized (state) {
            return List.copyOf(state.instances.keySet());
        }
    }

    /** The AZ an instance was launched in. */
    public String instanceAz(String instanceId) {
        synchronized (state) {
            return state.instances.get(instanceId).az;
        }
    }

    /** EC2's state of an instance (pending, running, terminated), "unknown" for none. */
    public String instanceState(String instanceId) {
        synchronized (state) {
            var instance = state.instances.get(instanceId);
            return instance == null ? "unknown" : instance.state;
        }
    }

    public Map<String, String> instanceTags(String instanceId) {
        synchronized (state) {
            return Map.copyOf(state.instances.get(instanceId).tags);
        }
    }

    public List<EbsSnapshot> snapshots() {
        synchronized (state) {
            return List.copyOf(state.snapshots.values());
        }
    }

    /** The snapshot a volume was created from, if any. */
    public Optional<String> restoredFrom(String volumeId) {
        synchronized (state) {
            return Optional.ofNullable(state.restoredFrom.get(volumeId));
        }
    }

    // ---------------------------------------------------------------- Ec2Port

    @Override
    public Optional<InstanceView> describeInstance(String instanceId) {
        state.enter("DescribeInstances", false, true);
        synchronized (state) {
            state.fault("DescribeInstances");
            var instance = state.instances.get(instanceId);
            if (instance == null || unknownYet(instance)) {
                return Optional.empty();
            }
            var seen = lagDraws == null ? null : seenGeneration();
            if (seen == null) {
                return Optional.of(view(instance));
            }
            var then = seen.instances().get(instanceId);
            return then == null ? Optional.empty() : Optional.of(view(instance, then, seen.attachments()));
        }
    }

    @Override
    public List<EniView> clusterEnis(ClusterTags cluster) {
        state.enter("DescribeNetworkInterfaces", false, true);
        synchronized (state) {
            state.fault("DescribeNetworkInterfaces");
            var seen = seenByDescribes();
            return state.enis.values().stream()
                    .filter(e -> matches(cluster, e.tags))
                    .map(e -> view(e, seen))
                    .toList();
        }
    }

    @Override
    public List<VolumeView> clusterVolumes(ClusterTags cluster, String availabilityZone) {
        state.enter("DescribeVolumes", false, true);
        synchronized (state) {
            state.fault("DescribeVolumes");
            var seen = seenByDescribes();
            return state.volumes.values().stream()
                    .filter(v -> matches(cluster, v.tags) && v.az.equals(availabilityZone))
                    .map(v -> view(v, seen))
                    .toList();
        }
    }

    @Override
    public void attachEni(String eniId, String instanceId, int deviceIndex) {
        state.enter("AttachNetworkInterface", true, true);
        synchronized (state) {
            state.fault("AttachNetworkInterface");
            var eni = state.enis.get(eniId);
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
            if (state.enis.values().stream().anyMatch(e -> e.attachment != null
                    && e.attachment.heldBy(instanceId) && e.attachment.deviceIndex == deviceIndex)) {
                throw new CloudException.ResourceInUse("InvalidParameterValue",
                        "Instance '" + instanceId + "' already has an interface attached at device index '"
                                + deviceIndex + "'.");
            }
            eni.attachment = new Attachment(instanceId, "eni-attach-" + String.format("%017x", state.nextSequence()),
                    deviceIndex, null, state.clock.instant(), eniDeleteOnTerminationDefault);
            state.notice(l -> l.onEniAttached(eni.id, eni.mac, eni.ip, instanceId));
            mutated();
        }
        state.flushNotices();
    }

    @Override
    public void attachVolume(String volumeId, String instanceId, String device) {
        state.enter("AttachVolume", true, true);
        synchronized (state) {
            state.fault("AttachVolume");
            var volume = state.volumes.get(volumeId);
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
            if (state.volumes.values().stream().anyMatch(v -> v.attachment != null
                    && v.attachment.heldBy(instanceId) && device.equals(v.attachment.device))) {
                throw new CloudException.ResourceInUse("InvalidParameterValue",
                        "Attachment point " + device + " is already in use");
            }
            volume.attachment = new Attachment(instanceId, null, -1, device, state.clock.instant(), false);
            state.notice(l -> l.onVolumeAttached(volumeId, instanceId, device));
            mutated();
        }
        state.flushNotices();
    }

    @Override
    public void keepEniOnTermination(String eniId, String attachmentId) {
        state.enter("ModifyNetworkInterfaceAttribute", true, true);
        synchronized (state) {
            state.fault("ModifyNetworkInterfaceAttribute");
            var eni = state.enis.get(eniId);
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
        state.enter("DetachNetworkInterface", true, true);
        synchronized (state) {
            state.fault("DetachNetworkInterface");
            var eni = state.enis.values().stream()
                    .filter(e -> e.attachment != null && e.attachment.attachmentId.equals(attachmentId))
                    .findFirst()
                    .orElseThrow(() -> new CloudException.NotFound("InvalidAttachmentID.NotFound",
                            "Attachment '" + attachmentId + "' does not exist"));
            if (startDetach(eni.attachment, force)) {
                noticeDetached(eni);
                eni.attachment = null;
            }
            mutated();
        }
        state.flushNotices();
    }

    @Override
    public void detachVolume(String volumeId, String instanceId, boolean force) {
        state.enter("DetachVolume", true, true);
        synchronized (state) {
            state.fault("DetachVolume");
            var volume = state.volumes.get(volumeId);
            if (volume == null || volume.attachment == null || !volume.attachment.heldBy(instanceId)) {
                throw new CloudException.NotFound("InvalidAttachment.NotFound",
                        "The volume '" + volumeId + "' is not attached to '" + instanceId + "'");
            }
            if (startDetach(volume.attachment, force)) {
                noticeDetached(volume);
                volume.attachment = null;
            }
            mutated();
        }
        state.flushNotices();
    }

    /** Marks the attachment detaching; true when the detach ends at once (forced, or no latency and not stuck). */
    private boolean startDetach(Attachment attachment, boolean force) {
        if (attachment.detachingSince == null) {
            attachment.detachingSince = state.clock.instant();
        }
        attachment.stuck = stuckDetaches && !force;
        return force || (detachLatency.isZero() && !attachment.stuck);
    }

    @Override
    public void tagInstance(String instanceId, Map<String, String> tags) {
        state.enter("CreateTags", true, true);
        synchronized (state) {
            state.fault("CreateTags");
            var instance = state.instances.get(instanceId);
            if (instance == null || unknownYet(instance)) {
                throw new CloudException.NotFound("InvalidInstanceID.NotFound",
                        "The instance ID '" + instanceId + "' does not exist");
            }
            instance.tags.putAll(tags);
            mutated();
        }
    }

    // ---------------------------------------------------------------- snapshots and volume tags (operator restore)

    /** Snapshots the volume now, copying its tags (what the stack's DLM policy does); returns the snapshot id. */
    public String snapshotVolume(String volumeId) {
        return snapshotVolume(volumeId, null);
    }

    /** CreateSnapshot of the volume now with these tags (null: the volume's, as DLM copies them). */
    public String snapshotVolume(String volumeId, Map<String, String> tags) {
        String id;
        synchronized (state) {
            var volume = existingVolume(volumeId);
            id = String.format("snap-%017x", 0x5000L + state.nextSequence());
            state.snapshots.put(id, new EbsSnapshot(id, volumeId, state.clock.instant(),
                    Map.copyOf(tags == null ? volume.tags : tags)));
            var snapshotId = id;
            state.notice(l -> l.onSnapshotCreated(snapshotId, volumeId));
        }
        state.flushNotices();
        return id;
    }

    /** CreateVolume from a snapshot, in {@code az}, with these tags: available at once. Returns the volume id. */
    public String createVolume(String snapshotId, String az, Map<String, String> tags) {
        String id;
        synchronized (state) {
            if (!state.snapshots.containsKey(snapshotId)) {
                throw new CloudException.NotFound("InvalidSnapshot.NotFound", "The snapshot '" + snapshotId
                        + "' does not exist.");
            }
            id = String.format("vol-%017x", 0xd000L + state.nextSequence());
            state.volumes.put(id, new Volume(id, az, new LinkedHashMap<>(tags)));
            state.restoredFrom.put(id, snapshotId);
            mutated();
            var volumeId = id;
            state.notice(l -> l.onVolumeCreated(volumeId, snapshotId));
        }
        state.flushNotices();
        return id;
    }

    /** CreateTags / DeleteTags on a volume. */
    public void retagVolume(String volumeId, Map<String, String> add, Collection<String> remove) {
        synchronized (state) {
            var volume = existingVolume(volumeId);
            remove.forEach(volume.tags::remove);
            volume.tags.putAll(add);
            mutated();
        }
    }

    /** Every volume, whatever its tags, as describes see them. */
    public List<VolumeView> allVolumes() {
        synchronized (state) {
            var seen = seenByDescribes();
            return state.volumes.values().stream().map(v -> view(v, seen)).toList();
        }
    }

    private Volume existingVolume(String volumeId) {
        var volume = state.volumes.get(volumeId);
        if (volume == null) {
            throw new CloudException.NotFound("InvalidVolume.NotFound", "The volume '" + volumeId
                    + "' does not exist.");
        }
        return volume;
    }

    // ---------------------------------------------------------------- internals

    private void noticeDetached(Eni eni) {
        var eniId = eni.id;
        var instanceId = eni.attachment.instanceId;
        state.notice(l -> l.onEniDetached(eniId, instanceId));
    }

    private void noticeDetached(Volume volume) {
        var volumeId = volume.id;
        var instanceId = volume.attachment.instanceId;
        state.notice(l -> l.onVolumeDetached(volumeId, instanceId));
    }

    private boolean unknownYet(Instance instance) {
        return state.clock.instant().isBefore(instance.launchedAt.plus(unknownAfterLaunch));
    }

    private Instance liveInstance(String instanceId) {
        var instance = state.instances.get(instanceId);
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

    /** Records a generation of the attachments (and instances) for lagging describes. The caller holds the lock. */
    void mutated() {
        var attachments = new HashMap<String, Seen>();
        state.enis.values().forEach(e -> attachments.put(e.id, new Seen(copy(e.attachment))));
        state.volumes.values().forEach(v -> attachments.put(v.id, new Seen(copy(v.attachment))));
        var instances = new HashMap<String, InstanceSeen>();
        if (lagDraws != null) {
            state.instances.values().forEach(i -> instances.put(i.id, new InstanceSeen(i.state, Map.copyOf(i.tags))));
        }
        history.addLast(new Generation(attachments, instances, state.clock.instant()));
        while (history.size() > describeLag + 1) {
            history.removeFirst();
        }
    }

    private static Attachment copy(Attachment a) {
        return a == null ? null : a.copy();
    }

    /**
     * What describes see: the attachments up to {@code describeLag} mutations ago, none older than the window. The one
     * place EC2's eventually consistent reads are made: another kind of lag hooks in here.
     */
    private Map<String, Seen> seenByDescribes() {
        var seen = seenGeneration();
        return seen == null ? Map.of() : seen.attachments();
    }

    /** The generation a describe sees (the oldest it may, or a drawn one); null: the live state. */
    private Generation seenGeneration() {
        if (history.isEmpty()) {
            return null;
        }
        var generations = new ArrayList<>(history);
        var horizon = state.clock.instant().minus(CONSISTENCY_WINDOW);
        int newest = generations.size() - 1;
        int pick = newest;
        while (pick > 0 && generations.size() - pick <= describeLag
                && generations.get(pick).takenAt().isAfter(horizon)) {
            pick--;
        }
        if (lagDraws != null) {
            pick += lagDraws.nextInt(newest - pick + 1);
        }
        if (pick < newest) {
            laggedReads++;
        }
        return generations.get(pick);
    }

    private record Generation(Map<String, Seen> attachments, Map<String, InstanceSeen> instances, Instant takenAt) {
    }

    /** An instance as describes saw it at one generation. */
    private record InstanceSeen(String state, Map<String, String> tags) {
    }

    /** An attachment as describes saw it at one generation (null: none). */
    private record Seen(Attachment attachment) {
    }

    private InstanceView view(Instance instance) {
        var now = state.clock.instant();
        var nics = new ArrayList<InstanceView.NicAttachment>();
        for (var eni : state.enis.values()) {
            if (eni.attachment != null && eni.attachment.heldBy(instance.id)) {
                nics.add(new InstanceView.NicAttachment(eni.id, eni.attachment.attachmentId,
                        eni.attachment.deviceIndex, eni.attachment.status(now, attachLatency.apply(eni.id)),
                        eni.attachment.deleteOnTermination));
            }
        }
        var vols = new ArrayList<InstanceView.VolumeAttachment>();
        for (var volume : state.volumes.values()) {
            if (volume.attachment != null && volume.attachment.heldBy(instance.id)) {
                vols.add(new InstanceView.VolumeAttachment(volume.id, volume.attachment.device,
                        volume.attachment.status(now, attachLatency.apply(volume.id))));
            }
        }
        return new InstanceView(instance.id, instance.az, instance.subnet, instance.state, instance.tags, nics, vols);
    }

    /** The instance as it was at a generation: its state, tags and attachments then. */
    private InstanceView view(Instance instance, InstanceSeen then, Map<String, Seen> seen) {
        var now = state.clock.instant();
        var nics = new ArrayList<InstanceView.NicAttachment>();
        for (var eni : state.enis.values()) {
            var s = seen.get(eni.id);
            var a = s == null ? eni.attachment : s.attachment();
            if (a != null && a.heldBy(instance.id)) {
                nics.add(new InstanceView.NicAttachment(eni.id, a.attachmentId, a.deviceIndex,
                        a.status(now, attachLatency.apply(eni.id)), a.deleteOnTermination));
            }
        }
        var vols = new ArrayList<InstanceView.VolumeAttachment>();
        for (var volume : state.volumes.values()) {
            var s = seen.get(volume.id);
            var a = s == null ? volume.attachment : s.attachment();
            if (a != null && a.heldBy(instance.id)) {
                vols.add(new InstanceView.VolumeAttachment(volume.id, a.device,
                        a.status(now, attachLatency.apply(volume.id))));
            }
        }
        return new InstanceView(instance.id, instance.az, instance.subnet, then.state(), then.tags(), nics, vols);
    }

    private EniView view(Eni eni, Map<String, Seen> seen) {
        var s = seen.get(eni.id);
        var a = s == null ? eni.attachment : s.attachment();
        if (a == null) {
            return new EniView(eni.id, eni.az, eni.subnet, eni.ip, eni.mac, "available", eni.tags, Optional.empty());
        }
        var status = a.status(state.clock.instant(), attachLatency.apply(eni.id));
        return new EniView(eni.id, eni.az, eni.subnet, eni.ip, eni.mac,
                "attaching".equals(status) ? "attaching" : "in-use", eni.tags,
                Optional.of(new EniView.Attachment(a.attachmentId, a.instanceId, a.deviceIndex, status,
                        a.deleteOnTermination)));
    }

    private VolumeView view(Volume volume, Map<String, Seen> seen) {
        var s = seen.get(volume.id);
        var a = s == null ? volume.attachment : s.attachment();
        if (a == null) {
            return new VolumeView(volume.id, volume.az, "available", volume.tags, List.of());
        }
        return new VolumeView(volume.id, volume.az, "in-use", volume.tags,
                List.of(new VolumeView.Attachment(a.instanceId, a.device, a.status(state.clock.instant(),
                        attachLatency.apply(volume.id)))));
    }
}
