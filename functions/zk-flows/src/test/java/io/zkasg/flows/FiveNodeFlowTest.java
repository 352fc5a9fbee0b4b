package io.zkasg.flows;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.FakeZk;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A five-node ensemble (EnsembleSize 5: slots 1 and 4 in us-east-1a, 2 and 5 in us-east-1b, 3 in us-east-1c) through
 * the real functions on the fake cloud: every decision counts a majority of five (three), not of three. ZooKeeper
 * follows the commands as on a real instance: a bootstrap makes the node serve, a stop ends it; the invariant that
 * the orchestrator's own stop never leaves fewer than three serving is checked on every stop.
 */
class FiveNodeFlowTest {

    private static final int NODES = 5;

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final List<String> belowMajority = new CopyOnWriteArrayList<>();
    private final Map<Integer, String> members = new HashMap<>();
    private CloudDriver driver;
    private FakeCloud cloud;
    private FakeZk zk;
    private int launched;

    @BeforeEach
    void fiveMembers() {
        var env = new HashMap<>(CloudDriver.DEMO_ENV);
        env.put("TERMINATE_MAX_WAIT_SECONDS", "1800");
        driver = CloudDriver.ensemble(23, new PrintStream(log, true, StandardCharsets.UTF_8), env, NODES);
        cloud = driver.cloud();
        zk = driver.zk();
        cloud.commandOutcome(c -> {
            if (c.documentName().equals("zk-demo-bootstrap")) {
                zk.serving(c.parameters().get("EniIp"), "follower");
            } else {
                var ip = CloudDriver.demoIp(Integer.parseInt(cloud.instanceTags(c.instanceId()).get("zkasg:node-id")));
                if (serving(ip) && servingCount() - 1 < 3) {
                    belowMajority.add("stopping " + c.instanceId() + " left " + (servingCount() - 1) + " of 5");
                }
                zk.down(ip);
            }
            return "Success";
        });
        // The group launches five instances at once, two of them in us-east-1a and two in us-east-1b.
        for (int node = 1; node <= NODES; node++) {
            launch(CloudDriver.demoAz(node));
        }
        driver.runUntilQuiet(Duration.ofMinutes(5));
        for (var id : cloud.instanceIds()) {
            members.put(Integer.parseInt(cloud.instanceTags(id).get("zkasg:node-id")), id);
        }
        zk.serving(CloudDriver.demoIp(1), "leader");
    }

    private String launch(String az) {
        var id = String.format("i-0%016x", ++launched);
        cloud.launch(id, az);
        return id;
    }

    /** What Auto Scaling does for desired capacity 5: an instance that went is replaced in the AZ that lacks one. */
    private void keepDesiredCapacity() {
        CloudDriver.missingAzs(cloud, NODES).forEach(this::launch);
    }

    /** The health function every minute and the group keeping its capacity, for {@code minutes}. */
    private void runWithCapacity(int minutes) {
        for (int minute = 0; minute < minutes; minute++) {
            driver.runWithHealth(Duration.ofMinutes(1), d -> false);
            keepDesiredCapacity();
        }
        driver.runUntilQuiet(Duration.ofMinutes(5));
    }

    private boolean serving(String ip) {
        return zk.probe(ip, 2181, Duration.ofSeconds(1)).serving();
    }

    private long servingCount() {
        int count = 0;
        for (int node = 1; node <= NODES; node++) {
            count += serving(CloudDriver.demoIp(node)) ? 1 : 0;
        }
        return count;
    }

    /** The values the health function published for {@code metric}, oldest first. */
    private List<Integer> published(String metric) {
        return EmfLines.published(log, metric);
    }

    @Test
    void launch_shouldGiveEachInstanceItsOwnSlotOfItsZone_whenAZoneHasTwoFreeSlots() {
        // THEN five members, one slot each, each in its instance's AZ, every bootstrap naming all five servers
        assertThat(members).hasSize(NODES);
        assertThat(new HashSet<>(members.values())).hasSize(NODES);
        members.forEach((node, id) -> {
            assertThat(cloud.lifecycleState(id)).as("node " + node).isEqualTo("InService");
            assertThat(cloud.instanceAz(id)).as("node " + node).isEqualTo(CloudDriver.demoAz(node));
            assertThat(cloud.eniHolder(cloud.eniIds().get(node - 1))).contains(id);
            assertThat(cloud.volumeHolder(cloud.volumeIds().get(node - 1))).contains(id);
        });
        var servers = "1=10.0.1.10,2=10.0.2.10,3=10.0.3.10,4=10.0.1.11,5=10.0.2.11";
        assertThat(cloud.commandsSent()).hasSize(NODES)
                .allSatisfy(c -> assertThat(c.parameters()).containsEntry("Servers", servers));
    }

    @Test
    void twoCrashesAtOnce_shouldBothBeReplacedOnTheirKeptSlots_whileThreeServe() {
        // GIVEN nodes 1 and 4 (both of us-east-1a) die at the same moment, the other three serve
        var volumes = List.of(cloud.volumeIds().get(0), cloud.volumeIds().get(3));
        cloud.crash(members.get(1));
        cloud.crash(members.get(4));
        zk.down(CloudDriver.demoIp(1)).down(CloudDriver.demoIp(4)).serving(CloudDriver.demoIp(2), "leader");

        // WHEN the health function runs, and Auto Scaling launches both replacements in us-east-1a at once
        driver.runWithHealth(Duration.ofMinutes(2), d -> false);
        var first = launch("us-east-1a");
        var second = launch("us-east-1a");
        driver.runWithHealth(Duration.ofMinutes(5), d -> false);

        // THEN each replacement holds one of the two slots with its kept volume, and all five serve again
        var claimed = List.of(cloud.instanceTags(first).get("zkasg:node-id"),
                cloud.instanceTags(second).get("zkasg:node-id"));
        assertThat(claimed).containsExactlyInAnyOrder("1", "4");
        assertThat(List.of(first, second)).allSatisfy(id -> assertThat(cloud.lifecycleState(id))
                .isEqualTo("InService"));
        assertThat(volumes.stream().map(v -> cloud.volumeHolder(v).orElseThrow()).toList())
                .containsExactlyInAnyOrder(first, second);
        assertThat(servingCount()).isEqualTo(NODES);
        // Three of five served throughout: the ensemble never was below quorum, whatever was away.
        assertThat(published("QuorumSize")).isNotEmpty().allSatisfy(q -> assertThat(q).isEqualTo(3));
        assertThat(published("BelowQuorum")).isNotEmpty().allSatisfy(b -> assertThat(b).isEqualTo(0));
        assertThat(cloud.markedUnhealthy()).isEmpty();
        assertThat(belowMajority).isEmpty();
    }

    @Test
    void twoFrozenAtOnce_shouldBothBeMarked_sinceThreeOfFiveStillServe() {
        // GIVEN the ZooKeeper of nodes 2 and 5 stops answering at the same moment (their instances still run)
        zk.down(CloudDriver.demoIp(2)).down(CloudDriver.demoIp(5));

        // WHEN the health function runs every minute and the group replaces what goes, for fifteen minutes
        runWithCapacity(15);

        // THEN both are marked for replacement (each leaves three serving), both are let go (one at a time, under
        // the stop lease), and their replacements make five again
        assertThat(cloud.markedUnhealthy()).containsExactlyInAnyOrder(members.get(2), members.get(5));
        assertThat(cloud.completions()).contains(members.get(2) + "/zk-demo-terminate=CONTINUE",
                members.get(5) + "/zk-demo-terminate=CONTINUE");
        assertThat(servingCount()).isEqualTo(NODES);
        assertThat(cloud.timedOutActions()).isEmpty();
        assertThat(belowMajority).isEmpty();
    }

    @Test
    void thirdFailure_whileTwoAreAway_shouldNotBeFixedByStoppingOrMarkingAServingNode() {
        // GIVEN nodes 1 and 4 crashed (their replacements are not there yet), and node 2's ZooKeeper goes down too:
        // two of five serve, below quorum
        cloud.crash(members.get(1));
        cloud.crash(members.get(4));
        zk.down(CloudDriver.demoIp(1)).down(CloudDriver.demoIp(4)).down(CloudDriver.demoIp(2))
                .serving(CloudDriver.demoIp(3), "leader");

        // WHEN the health function runs for ten minutes, and meanwhile node 3 (serving) is terminated by a refresh
        driver.runWithHealth(Duration.ofMinutes(3), d -> false);
        cloud.terminate(members.get(3));
        driver.runWithHealth(Duration.ofMinutes(10), d -> false);

        // THEN nothing is marked (a replacement of node 2 cannot bring quorum back: a person must look), node 3 is
        // never stopped, and the ensemble says it is below quorum (fewer than 3 of 5)
        assertThat(cloud.markedUnhealthy()).isEmpty();
        assertThat(driver.stops(members.get(3))).isZero();
        assertThat(cloud.lifecycleState(members.get(3))).isEqualTo("Terminating:Wait");
        assertThat(published("BelowQuorum")).contains(1);
        assertThat(published("QuorumSize")).allSatisfy(q -> assertThat(q).isEqualTo(3));
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("of 5 serving (a majority is 3)");

        // WHEN the group launches what is missing: first the two replacements, which rejoin from their kept volumes
        runWithCapacity(20);

        // THEN with quorum back node 3 may go (three keep serving), node 2 is replaced, and all five serve again
        assertThat(driver.stops(members.get(3))).isEqualTo(1);
        assertThat(cloud.completions()).contains(members.get(3) + "/zk-demo-terminate=CONTINUE");
        assertThat(cloud.markedUnhealthy()).contains(members.get(2));
        assertThat(servingCount()).isEqualTo(NODES);
        assertThat(cloud.timedOutActions()).isEmpty();
        assertThat(belowMajority).isEmpty();
    }
}
