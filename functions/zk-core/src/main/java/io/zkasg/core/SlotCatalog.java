package io.zkasg.core;

import io.zkasg.core.model.EniView;
import io.zkasg.core.model.Slot;
import io.zkasg.core.model.VolumeView;
import io.zkasg.core.port.ClusterTags;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.random.RandomGenerator;

/**
 * The cluster's slots as seen in one read of EC2: every ENI of the cluster (all AZs) and the volumes of one AZ, paired
 * by node id. Pure: no AWS, no clock. Resources whose tags are wrong are left out and reported in {@link #problems()}.
 */
public final class SlotCatalog {

    private static final Pattern NODE_ID = Pattern.compile("[1-9][0-9]{0,2}");

    static final int MAX_NODE_ID = 255;

    private final SortedMap<Integer, EniView> enis = new TreeMap<>();
    private final SortedMap<Integer, VolumeView> volumes = new TreeMap<>();
    private final List<String> problems = new ArrayList<>();

    private SlotCatalog() {
    }

    /** Builds the catalog; {@code volumes} are those of the AZ the caller cares about. */
    public static SlotCatalog of(ClusterTags cluster, List<EniView> enis, List<VolumeView> volumes) {
        var catalog = new SlotCatalog();
        for (var eni : enis) {
            catalog.add(cluster, eni.eniId(), eni.tags(), eni, catalog.enis);
        }
        for (var volume : volumes) {
            catalog.add(cluster, volume.volumeId(), volume.tags(), volume, catalog.volumes);
        }
        return catalog;
    }

    private <T> void add(ClusterTags cluster, String id, Map<String, String> tags, T resource,
                         SortedMap<Integer, T> into) {
        if (!cluster.byLegacyName() && !cluster.clusterName().equals(tags.get(cluster.clusterTagKey()))) {
            problems.add(id + " was returned for the cluster but is not tagged " + cluster.clusterTagKey() + "="
                    + cluster.clusterName() + "; ignored");
            return;
        }
        var nodeId = nodeId(cluster, tags);
        if (nodeId.isEmpty()) {
            problems.add(id + " has no valid node id (tag " + cluster.nodeIdTagKey()
                    + (cluster.byLegacyName() ? " or Name=" + cluster.legacyNamePrefix() + "<n>" : "")
                    + ", 1.." + MAX_NODE_ID + "); ignored");
            return;
        }
        var previous = into.putIfAbsent(nodeId.getAsInt(), resource);
        if (previous != null) {
            problems.add(id + " claims node id " + nodeId.getAsInt() + " which another resource already has; ignored");
        }
    }

    /** The node id from the node-id tag, or from the legacy {@code Name=<prefix><n>} tag. */
    static OptionalInt nodeId(ClusterTags cluster, Map<String, String> tags) {
        var tagged = tags.get(cluster.nodeIdTagKey());
        if (tagged != null) {
            return parseNodeId(tagged);
        }
        var name = tags.get("Name");
        if (cluster.byLegacyName() && name != null && name.startsWith(cluster.legacyNamePrefix())) {
            return parseNodeId(name.substring(cluster.legacyNamePrefix().length()));
        }
        return OptionalInt.empty();
    }

    private static OptionalInt parseNodeId(String raw) {
        if (!NODE_ID.matcher(raw).matches()) {
            return OptionalInt.empty();
        }
        int id = Integer.parseInt(raw);
        return id <= MAX_NODE_ID ? OptionalInt.of(id) : OptionalInt.empty();
    }

    /** Node id to static IP for every slot of the cluster, in every AZ: the ensemble's server list. */
    public SortedMap<Integer, String> servers() {
        var servers = new TreeMap<Integer, String>();
        enis.forEach((id, eni) -> servers.put(id, eni.privateIp()));
        return Collections.unmodifiableSortedMap(servers);
    }

    /** The slot whose ENI is attached to this instance, if any, with its volume when it is in the catalog's AZ. */
    public Optional<Integer> heldBy(String instanceId) {
        return enis.entrySet().stream()
                .filter(e -> e.getValue().holder().filter(instanceId::equals).isPresent())
                .map(Map.Entry::getKey)
                .findFirst();
    }

    public Optional<EniView> eni(int nodeId) {
        return Optional.ofNullable(enis.get(nodeId));
    }

    public Optional<VolumeView> volume(int nodeId) {
        return Optional.ofNullable(volumes.get(nodeId));
    }

    /** The slot of this node id when both its ENI and its volume are known and in the same AZ. */
    public Optional<Slot> slot(int nodeId) {
        var eni = enis.get(nodeId);
        var volume = volumes.get(nodeId);
        if (eni == null || volume == null || !eni.availabilityZone().equals(volume.availabilityZone())) {
            return Optional.empty();
        }
        return Optional.of(new Slot(nodeId, eni, volume));
    }

    /**
     * The slots of one AZ that this instance could claim, in the order to try them: first those whose ENI and volume
     * are both free, then those whose ENI is free but whose volume is still held (a previous node being released),
     * each group shuffled so that concurrent launches in one AZ spread over the slots instead of all racing for the
     * first one.
     */
    public Choice choose(String az, RandomGenerator random) {
        var free = new ArrayList<Slot>();
        var volumeHeld = new ArrayList<Slot>();
        var eniHeld = new ArrayList<Slot>();
        var unpaired = new ArrayList<Integer>();
        for (var id : enis.keySet()) {
            var eni = enis.get(id);
            if (!eni.availabilityZone().equals(az)) {
                continue;
            }
            var slot = slot(id);
            if (slot.isEmpty()) {
                unpaired.add(id);
            } else if (!eni.isAvailable()) {
                eniHeld.add(slot.get());
            } else if (slot.get().volume().isAvailable()) {
                free.add(slot.get());
            } else {
                volumeHeld.add(slot.get());
            }
        }
        shuffle(free, random);
        shuffle(volumeHeld, random);
        return new Choice(List.copyOf(free), List.copyOf(volumeHeld), List.copyOf(eniHeld), List.copyOf(unpaired));
    }

    private static <T> void shuffle(List<T> list, RandomGenerator random) {
        for (int i = list.size() - 1; i > 0; i--) {
            Collections.swap(list, i, random.nextInt(i + 1));
        }
    }

    public List<String> problems() {
        return Collections.unmodifiableList(problems);
    }

    /**
     * The claimable slots of one AZ.
     *
     * @param free ENI and volume both free
     * @param volumeHeld ENI free, volume still attached to some instance
     * @param eniHeld ENI attached to another instance
     * @param unpaired node ids whose ENI has no volume in the same AZ (a configuration problem)
     */
    public record Choice(List<Slot> free, List<Slot> volumeHeld, List<Slot> eniHeld, List<Integer> unpaired) {

        public List<Slot> candidates() {
            var all = new ArrayList<>(free);
            all.addAll(volumeHeld);
            return all;
        }
    }
}
