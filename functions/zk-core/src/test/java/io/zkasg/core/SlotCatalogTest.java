package io.zkasg.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.core.model.EniView;
import io.zkasg.core.model.Slot;
import io.zkasg.core.model.VolumeView;
import io.zkasg.core.port.ClusterTags;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SlotCatalogTest {

    private static final ClusterTags TAGS = new ClusterTags("zkasg:cluster", "zk", "zkasg:node-id", "");

    private static EniView eni(String id, String az, int node, String holder) {
        return new EniView(id, az, "s", "10.0.0." + node, "0a:00:00:00:00:0" + node, holder == null ? "available"
                : "in-use", Map.of("zkasg:cluster", "zk", "zkasg:node-id", Integer.toString(node)),
                holder == null ? Optional.empty()
                        : Optional.of(new EniView.Attachment("a-" + id, holder, 1, "attached", false)));
    }

    private static VolumeView volume(String id, String az, int node, String holder) {
        return new VolumeView(id, az, holder == null ? "available" : "in-use",
                Map.of("zkasg:cluster", "zk", "zkasg:node-id", Integer.toString(node)),
                holder == null ? List.of() : List.of(new VolumeView.Attachment(holder, "/dev/sdf", "attached")));
    }

    @Test
    void choose_shouldOfferFreeSlotsOfTheAzFirst_thenThoseWhoseVolumeIsStillHeld() {
        var catalog = SlotCatalog.of(TAGS,
                List.of(eni("e1", "a", 1, null), eni("e2", "a", 2, null), eni("e3", "a", 3, "i-x"),
                        eni("e4", "b", 4, null)),
                List.of(volume("v1", "a", 1, null), volume("v2", "a", 2, "i-old"), volume("v3", "a", 3, "i-x")));

        var choice = catalog.choose("a", new SplittableRandom(1));

        assertThat(choice.free()).extracting(Slot::nodeId).containsExactly(1);
        assertThat(choice.volumeHeld()).extracting(Slot::nodeId).containsExactly(2);
        assertThat(choice.eniHeld()).extracting(Slot::nodeId).containsExactly(3);
        assertThat(choice.candidates()).extracting(Slot::nodeId).containsExactly(1, 2);
        assertThat(catalog.servers()).containsOnlyKeys(1, 2, 3, 4);
        assertThat(catalog.heldBy("i-x")).contains(3);
    }

    @Test
    void choose_shouldSpreadConcurrentClaims_overTheFreeSlots() {
        var enis = List.of(eni("e1", "a", 1, null), eni("e2", "a", 2, null), eni("e3", "a", 3, null));
        var volumes = List.of(volume("v1", "a", 1, null), volume("v2", "a", 2, null), volume("v3", "a", 3, null));
        var catalog = SlotCatalog.of(TAGS, enis, volumes);
        var random = new SplittableRandom(7);
        var firsts = new int[4];

        for (int i = 0; i < 300; i++) {
            firsts[catalog.choose("a", random).free().get(0).nodeId()]++;
        }

        assertThat(firsts[1]).isBetween(60, 140);
        assertThat(firsts[2]).isBetween(60, 140);
        assertThat(firsts[3]).isBetween(60, 140);
    }

    @Test
    void of_shouldReportAndSkip_resourcesWithBadOrDuplicateTags() {
        var foreign = new EniView("e9", "a", "s", "10.0.0.9", "0a:00:00:00:00:09", "available",
                Map.of("zkasg:cluster", "other", "zkasg:node-id", "9"), Optional.empty());
        var noId = new EniView("e8", "a", "s", "10.0.0.8", "0a:00:00:00:00:08", "available",
                Map.of("zkasg:cluster", "zk", "zkasg:node-id", "0x1"), Optional.empty());

        var catalog = SlotCatalog.of(TAGS, List.of(eni("e1", "a", 1, null), eni("e1b", "a", 1, null), foreign, noId),
                List.of(volume("v1", "a", 1, null)));

        assertThat(catalog.servers()).containsOnlyKeys(1);
        assertThat(catalog.problems()).hasSize(3)
                .anyMatch(p -> p.contains("e1b") && p.contains("already"))
                .anyMatch(p -> p.contains("e9") && p.contains("not tagged"))
                .anyMatch(p -> p.contains("e8") && p.contains("no valid node id"));
    }

    @Test
    void nodeId_shouldReadTheSeedsNamePrefix_whenConfigured() {
        var legacy = new ClusterTags("zkasg:cluster", "zk", "zkasg:node-id", "ZOOKEEPER-");

        assertThat(SlotCatalog.nodeId(legacy, Map.of("Name", "ZOOKEEPER-3"))).hasValue(3);
        assertThat(SlotCatalog.nodeId(legacy, Map.of("Name", "ZOOKEEPER-256"))).isEmpty();
        assertThat(SlotCatalog.nodeId(TAGS, Map.of("Name", "ZOOKEEPER-3"))).isEmpty();
    }
}
