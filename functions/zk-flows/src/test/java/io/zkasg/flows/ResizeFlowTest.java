package io.zkasg.flows;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.FakeZk;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Five slots whose ensemble's current configuration (ZooKeeper's dynamic membership, FakeZk) is not all five: every
 * decision counts a majority of the configuration's voters, not of the slots. ZooKeeper follows the commands as on a
 * real instance: a bootstrap makes the node serve (a node outside the configuration as a non-voting learner), a stop
 * ends it.
 */
class ResizeFlowTest {

    private static final int SLOTS = 5;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final Map<Integer, String> members = new HashMap<>();
    private CloudDriver driver;
    private FakeCloud cloud;
    private FakeZk zk;
    private int launched;

    @BeforeEach
    void fiveInstances() {
        var env = new HashMap<>(CloudDriver.DEMO_ENV);
        env.put("TERMINATE_MAX_WAIT_SECONDS", "1800");
        driver = CloudDriver.ensemble(29, new PrintStream(log, true, StandardCharsets.UTF_8), env, SLOTS);
        cloud = driver.cloud();
        zk = driver.zk();
        cloud.commandOutcome(c -> {
            if (c.documentName().equals("zk-demo-bootstrap")) {
                zk.serving(c.parameters().get("EniIp"), "follower");
            } else if (c.documentName().equals("zk-demo-stop")) {
                zk.down(ip(Integer.parseInt(cloud.instanceTags(c.instanceId()).get("zkasg:node-id"))));
            }
            return "Success";
        });
        for (int node = 1; node <= SLOTS; node++) {
            launch(CloudDriver.demoAz(node));
        }
        driver.runUntilQuiet(Duration.ofMinutes(5));
        for (var id : cloud.instanceIds()) {
            members.put(Integer.parseInt(cloud.instanceTags(id).get("zkasg:node-id")), id);
        }
        zk.serving(ip(1), "leader");
    }

    private String launch(String az) {
        var id = String.format("i-0%016x", ++launched);
        cloud.launch(id, az);
        return id;
    }

    private static String ip(int node) {
        return CloudDriver.demoIp(node);
    }

    /** The configuration: these nodes vote, at their slot's address. */
    private void configuration(int... voters) {
        var servers = new TreeMap<Integer, String>();
        for (int node : voters) {
            servers.put(node, ip(node));
        }
        zk.configuration(servers);
    }

    private long stops(String instanceId) {
        return cloud.commandsSent().stream()
                .filter(c -> c.documentName().equals("zk-demo-stop") && c.instanceId().equals(instanceId)).count();
    }

    /** The values the health function published for {@code metric}, oldest first. */
    private List<Integer> published(String metric) {
        var out = new ArrayList<Integer>();
        for (var line : log.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("{") && line.contains("\"_aws\"") && line.contains("\"" + metric + "\"")) {
                try {
                    var value = JSON.readValue(line, new TypeReference<Map<String, Object>>() { }).get(metric);
                    out.add(((Number) value).intValue());
                } catch (Exception e) {
                    throw new AssertionError("not a JSON line: " + line, e);
                }
            }
        }
        return out;
    }

    @Test
    void quorumGuard_shouldCountAMajorityOfTheConfiguration_notOfTheSlots() {
        // GIVEN the configuration is nodes 1-3 (4 and 5 serve as learners, not added yet) and node 2 is down
        configuration(1, 2, 3);
        zk.down(ip(2));

        // WHEN node 1 (a voter) is terminated by a refresh
        cloud.terminate(members.get(1));
        driver.runWithHealth(Duration.ofMinutes(5), d -> false);

        // THEN it is not stopped: without it only node 3 of the three voters serves (4 and 5 would make three of five
        // slots, but they have no vote)
        assertThat(stops(members.get(1))).isZero();
        assertThat(cloud.lifecycleState(members.get(1))).isEqualTo("Terminating:Wait");
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("would leave 1 of 3 serving (a majority is 2)");
    }

    @Test
    void quorumGuard_shouldLetANodeOutsideTheConfigurationGo_whateverTheVotersDo() {
        // GIVEN the configuration is nodes 1-3, and nodes 2 and 3 are down (the voters are below quorum)
        configuration(1, 2, 3);
        zk.down(ip(2)).down(ip(3));

        // WHEN node 4, a learner outside the configuration, is terminated
        cloud.terminate(members.get(4));
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN its stop costs no vote: it goes at once (counting slots, only 2 of 5 would keep serving)
        assertThat(stops(members.get(4))).isEqualTo(1);
        assertThat(cloud.completions()).contains(members.get(4) + "/zk-demo-terminate=CONTINUE");
        assertThat(log.toString(StandardCharsets.UTF_8))
                .contains("\"nodeId\":4,\"verdict\":\"safe\",\"stillServing\":1,\"majority\":2");
    }

    @Test
    void health_shouldNotMark_whenTheVotersLeftAreNoMajority_andSayBelowQuorum() {
        // GIVEN the configuration is nodes 1-3; nodes 2 and 3 are down, 1, 4 and 5 serve (three of five slots)
        configuration(1, 2, 3);
        zk.down(ip(2)).down(ip(3));

        // WHEN the health function runs for ten minutes
        driver.runWithHealth(Duration.ofMinutes(10), d -> false);

        // THEN nothing is marked (replacing 2 or 3 cannot bring a majority of 1-3 back), and the ensemble is below
        // its quorum of two
        assertThat(cloud.markedUnhealthy()).isEmpty();
        assertThat(published("QuorumSize")).isNotEmpty().allSatisfy(q -> assertThat(q).isEqualTo(2));
        assertThat(published("BelowQuorum")).isNotEmpty().allSatisfy(b -> assertThat(b).isEqualTo(1));
    }

    @Test
    void health_shouldMarkAFailedVoter_whenTheOtherVotersAreAMajority_withFewSlotsServing() {
        // GIVEN the configuration is nodes 1-3 (as before a grow); node 3 is down, and so are the learners 4 and 5
        configuration(1, 2, 3);
        zk.down(ip(3)).down(ip(4)).down(ip(5));

        // WHEN the health function runs for five minutes
        driver.runWithHealth(Duration.ofMinutes(5), d -> false);

        // THEN node 3 is replaced: 1 and 2 are a majority of the voters (two of five slots would not be)
        assertThat(cloud.markedUnhealthy()).contains(members.get(3));
        assertThat(published("QuorumSize")).isNotEmpty().allSatisfy(q -> assertThat(q).isEqualTo(2));
    }
}
