package io.zkasg.flows;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.core.InstanceTags;
import io.zkasg.core.model.EniView;
import io.zkasg.core.model.InstanceView;
import io.zkasg.core.model.VolumeView;
import io.zkasg.lambda.Wiring;
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
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Five slots whose ensemble's current configuration (ZooKeeper's dynamic membership, FakeZk) is not all five: every
 * decision counts a majority of the configuration's voters, not of the slots. ZooKeeper follows the commands as on a
 * real instance: a bootstrap makes the node serve (a node outside the configuration as a non-voting learner), a stop
 * ends it.
 */
class ResizeFlowTest {


    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final Map<Integer, String> members = new HashMap<>();
    private final Map<String, String> env = new HashMap<>();
    private final List<String> reconfigs = new ArrayList<>();
    private final java.util.Set<String> seen = new java.util.HashSet<>();
    private boolean reconfigRuns;
    private int reconfigsToFail;
    private CloudDriver driver;
    private FakeCloud cloud;
    private FakeZk zk;
    private int launched;

    @BeforeEach
    void threeMembers() {
        env.putAll(CloudDriver.DEMO_ENV);
        env.put("TERMINATE_MAX_WAIT_SECONDS", "1800");
        env.put("RECONFIG_DOCUMENT", "zk-demo-reconfig");
        env.put("ENSEMBLE_MEMBERS", "3");
        driver = CloudDriver.ensemble(29, new PrintStream(log, true, StandardCharsets.UTF_8), env, 3);
        cloud = driver.cloud();
        zk = driver.zk();
        cloud.commandOutcome(c -> {
            if (c.documentName().equals("zk-demo-bootstrap")) {
                zk.serving(c.parameters().get("EniIp"), "follower");
            } else if (c.documentName().equals("zk-demo-stop")) {
                zk.down(ip(Integer.parseInt(cloud.instanceTags(c.instanceId()).get("zkasg:node-id"))));
            } else if (c.documentName().equals("zk-demo-reconfig")) {
                return reconfig(c.commandId(), c.parameters());
            }
            return "Success";
        });
        for (int node = 1; node <= 3; node++) {
            launch(CloudDriver.demoAz(node));
        }
        driver.runUntilQuiet(Duration.ofMinutes(5));
        recordMembers();
        zk.serving(ip(1), "leader");
    }

    /** What zk-reconfig does on a serving member: the change, if the configuration is still the version read. */
    private String reconfig(String commandId, Map<String, String> p) {
        if (seen.add(commandId)) {
            reconfigs.add((p.get("Add").isEmpty() ? "remove " + p.get("Remove") : "add " + p.get("Add"))
                    + " from " + p.get("FromVersion") + " at " + driver.clock().instant());
        }
        if (reconfigRuns) {
            return null; // still running
        }
        if (reconfigsToFail > 0) {
            reconfigsToFail--;
            return "Failed"; // zk-reconfig exit 2: the new majority was not synced, try again
        }
        long from = Long.parseLong(p.get("FromVersion"), 16);
        if (!p.get("Add").isEmpty()) {
            var add = p.get("Add").split("=");
            return zk.reconfigAdd(Integer.parseInt(add[0]), add[1], from) ? "Success" : "Failed";
        }
        return zk.reconfigRemove(Integer.parseInt(p.get("Remove")), from) ? "Success" : "Failed";
    }

    private void recordMembers() {
        for (var id : cloud.instanceIds()) {
            if (cloud.lifecycleState(id).equals("InService")) {
                members.put(Integer.parseInt(cloud.instanceTags(id).get("zkasg:node-id")), id);
            }
        }
    }

    /**
     * The stack update to five: slots 4 and 5 created, the functions' ENSEMBLE_MEMBERS {@code members}, the group
     * raised to five (two launches, in the AZs of the new slots), run until both bootstraps ended; without
     * {@code reconfig}, the functions make no membership change (no reconfig document).
     */
    private void fiveSlots(int members, boolean reconfig) {
        var settings = driver.settings();
        for (int node = 4; node <= 5; node++) {
            cloud.addSlot(settings.cluster().clusterTagKey(), settings.cluster().clusterName(),
                    settings.nodeIdTagKey(), node, CloudDriver.demoAz(node), ip(node));
        }
        env.put("ENSEMBLE_MEMBERS", Integer.toString(members));
        if (!reconfig) {
            env.remove("RECONFIG_DOCUMENT");
        }
        driver = driver.withEnv(env, 31, new PrintStream(log, true, StandardCharsets.UTF_8));
        launch(CloudDriver.demoAz(4));
        launch(CloudDriver.demoAz(5));
        driver.runUntilQuiet(Duration.ofMinutes(5));
        recordMembers();
    }

    /** Five voters, grown online from three: slots 4 and 5, ENSEMBLE_MEMBERS 5, both added by the health function. */
    private void grownToFive() {
        configuration(1, 2, 3);
        fiveSlots(5, true);
        driver.runWithHealth(Duration.ofMinutes(6), d -> false);
        assertThat(zk.configuration().orElseThrow().voters()).containsExactly(1, 2, 3, 4, 5);
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

    /** The values the health function published for {@code metric}, oldest first. */
    private List<Integer> published(String metric) {
        return EmfLines.published(log, metric);
    }

    @Test
    void quorumGuard_shouldCountAMajorityOfTheConfiguration_notOfTheSlots() {
        // GIVEN the configuration is nodes 1-3 (4 and 5 serve as learners, not added yet) and node 2 is down
        // (no reconfig document: no reconfiguration adds them meanwhile)
        fiveSlots(5, false);
        configuration(1, 2, 3);
        zk.down(ip(2));

        // WHEN node 1 (a voter) is terminated by a refresh
        cloud.terminate(members.get(1));
        driver.runWithHealth(Duration.ofMinutes(5), d -> false);

        // THEN it is not stopped: without it only node 3 of the three voters serves (4 and 5 would make three of five
        // slots, but they have no vote)
        assertThat(driver.stops(members.get(1))).isZero();
        assertThat(cloud.lifecycleState(members.get(1))).isEqualTo("Terminating:Wait");
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("would leave 1 of 3 serving (a majority is 2)");
    }

    @Test
    void quorumGuard_shouldLetANodeOutsideTheConfigurationGo_whateverTheVotersDo() {
        // GIVEN the configuration is nodes 1-3, and nodes 2 and 3 are down (the voters are below quorum)
        // (no reconfig document: no reconfiguration adds them meanwhile)
        fiveSlots(5, false);
        configuration(1, 2, 3);
        zk.down(ip(2)).down(ip(3));

        // WHEN node 4, a learner outside the configuration, is terminated
        cloud.terminate(members.get(4));
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN its stop costs no vote: it goes at once (counting slots, only 2 of 5 would keep serving)
        assertThat(driver.stops(members.get(4))).isEqualTo(1);
        assertThat(cloud.completions()).contains(members.get(4) + "/zk-demo-terminate=CONTINUE");
        assertThat(log.toString(StandardCharsets.UTF_8))
                .contains("\"nodeId\":4,\"verdict\":\"safe\",\"stillServing\":1,\"majority\":2");
    }

    @Test
    void health_shouldNotMark_whenTheVotersLeftAreNoMajority_andSayBelowQuorum() {
        // GIVEN the configuration is nodes 1-3; nodes 2 and 3 are down, 1, 4 and 5 serve (three of five slots)
        // (no reconfig document: no reconfiguration adds them meanwhile)
        fiveSlots(5, false);
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
        // (no reconfig document: no reconfiguration adds them meanwhile)
        fiveSlots(5, false);
        configuration(1, 2, 3);
        zk.down(ip(3)).down(ip(4)).down(ip(5));

        // WHEN the health function runs for five minutes
        driver.runWithHealth(Duration.ofMinutes(5), d -> false);

        // THEN node 3 is replaced: 1 and 2 are a majority of the voters (two of five slots would not be)
        assertThat(cloud.markedUnhealthy()).contains(members.get(3));
        assertThat(published("QuorumSize")).isNotEmpty().allSatisfy(q -> assertThat(q).isEqualTo(2));
    }

    // ------------------------------------------------------------------------------------------------------ grow

    @Test
    void grow_shouldBootstrapNewMembersAsObservers_thenAddThemOneAtATime() {
        // GIVEN three members whose configuration is nodes 1-3
        configuration(1, 2, 3);

        // WHEN the stack is updated to five: slots 4 and 5, ENSEMBLE_MEMBERS 5, two launches; the health function
        // runs every minute
        fiveSlots(5, true);
        driver.runWithHealth(Duration.ofMinutes(6), d -> false);

        // THEN both new members bootstrapped as observers seeded with the configuration and themselves
        var boots = cloud.commandsSent().stream().filter(c -> c.documentName().equals("zk-demo-bootstrap"))
                .filter(c -> c.parameters().get("NodeId").matches("[45]")).toList();
        assertThat(boots).hasSize(2).allSatisfy(c -> assertThat(c.parameters()).containsEntry("Join", "observer"));
        assertThat(boots).anySatisfy(c -> assertThat(c.parameters()).containsEntry("Servers",
                "1=10.0.1.10,2=10.0.2.10,3=10.0.3.10,4=10.0.1.11"));
        assertThat(cloud.commandsSent().stream().filter(c -> c.parameters().get("NodeId") != null
                && c.parameters().get("NodeId").matches("[123]"))).allSatisfy(c -> assertThat(c.parameters())
                .containsEntry("Join", "participant"));
        // ... and were added one at a time, 4 then 5, each from the version before it: five voters now
        assertThat(reconfigs).hasSize(2);
        assertThat(reconfigs.get(0)).startsWith("add 4=10.0.1.11 from 100000000 ");
        assertThat(reconfigs.get(1)).startsWith("add 5=10.0.2.11 from 100000001 ");
        assertThat(zk.configuration().orElseThrow().voters()).containsExactly(1, 2, 3, 4, 5);
        // the lease went back once the configuration showed each change, and nothing was stopped
        assertThat(driver.lease().current("zk-demo")).isEmpty();
        assertThat(cloud.commandsSent()).noneMatch(c -> c.documentName().equals("zk-demo-stop"));
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("\"step\":\"reconfig-committed\"");
        assertThat(published("QuorumSize")).last().isEqualTo(3);
    }

    @Test
    void grow_shouldNotStartAReconfig_whileAMemberIsBeingStopped_norStopOneWhileAReconfigRuns() {
        // GIVEN three voters, slots 4 and 5 serving as learners (no reconfig document yet), and node 2 leaving (a
        // refresh) whose stop holds the stop lease until its replacement serves
        configuration(1, 2, 3);
        fiveSlots(5, false);
        var leaving = members.get(2);
        cloud.terminate(leaving);
        driver.runUntilQuiet(Duration.ofMinutes(2));
        assertThat(driver.lease().current("zk-demo")).hasValueSatisfying(h -> assertThat(h.nodeId()).isEqualTo(2));

        // WHEN the reconfig document comes (ENSEMBLE_MEMBERS 5) while the stop still holds the lease
        env.put("RECONFIG_DOCUMENT", "zk-demo-reconfig");
        driver = driver.withEnv(env, 37, new PrintStream(log, true, StandardCharsets.UTF_8));
        driver.health();

        // THEN no reconfiguration starts beside the stop
        assertThat(reconfigs).isEmpty();
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("is being stopped");

        // WHEN the replacement of node 2 serves (the lease goes back), and a reconfiguration starts and runs long
        reconfigRuns = true;
        launch(CloudDriver.demoAz(2));
        driver.runWithHealth(Duration.ofMinutes(3), d -> false);
        assertThat(reconfigs).hasSize(1).first().asString().startsWith("add 4=");
        recordMembers();
        cloud.terminate(members.get(3));
        driver.runWithHealth(Duration.ofMinutes(5), d -> false);

        // THEN node 3 is not stopped while it runs: the reconfiguration holds the lease
        assertThat(cloud.commandsSent()).noneMatch(c -> c.documentName().equals("zk-demo-stop")
                && c.instanceId().equals(members.get(3)));
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("the stop lease is held by reconfig:add:4=");
    }

    @Test
    void launch_shouldSeedANewMemberWithTheNewestConfiguration_notTheFirstThatAnswers() {
        // GIVEN nodes 1-3 voting, 4 and 5 serving as learners; node 4 was added (version 100000001), and node 1 (the
        // first member asked) has not learned that commit yet
        configuration(1, 2, 3);
        fiveSlots(5, false);
        zk.lagging(ip(1));
        assertThat(zk.reconfigAdd(4, ip(4), FakeZk.FIRST_VERSION)).isTrue();

        // WHEN node 5's instance is replaced
        cloud.terminate(members.get(5));
        driver.runUntilQuiet(Duration.ofMinutes(5));
        launch(CloudDriver.demoAz(5));
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN its bootstrap joins it as an observer seeded with the newest configuration, node 4 included
        var boot = cloud.commandsSent().stream().filter(c -> c.documentName().equals("zk-demo-bootstrap"))
                .filter(c -> "5".equals(c.parameters().get("NodeId"))).reduce((a, b) -> b).orElseThrow();
        assertThat(boot.instanceId()).isNotEqualTo(members.get(5));
        assertThat(boot.parameters()).containsEntry("Join", "observer")
                .containsEntry("Servers", "1=10.0.1.10,2=10.0.2.10,3=10.0.3.10,4=10.0.1.11,5=10.0.2.11");
    }

    @Test
    void grow_shouldRetryAFailedReconfig_atTheNextRun_notAfterTheLeasesExpiry() {
        // GIVEN three voters, and the first reconfig command will end Failed
        configuration(1, 2, 3);
        reconfigsToFail = 1;

        // WHEN the stack is updated to five and the health function runs every minute for four minutes
        fiveSlots(5, true);
        driver.runWithHealth(Duration.ofMinutes(4), d -> false);

        // THEN the next run read the command's end from SSM, gave the lease back and sent it again: node 4 was added
        // within minutes, not after the lease's ten
        assertThat(reconfigs).hasSizeGreaterThanOrEqualTo(2);
        assertThat(reconfigs.get(0)).startsWith("add 4=10.0.1.11 from 100000000 ");
        assertThat(reconfigs.get(1)).startsWith("add 4=10.0.1.11 from 100000000 ");
        assertThat(zk.configuration().orElseThrow().voters()).contains(4);
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("\"step\":\"reconfig-failed\"")
                .contains("\"status\":\"Failed\"");
        assertThat(driver.lease().expiredTakeovers()).isEmpty();
    }

    @Test
    void reconfig_shouldKeepTheLease_whileItsCommandRuns() {
        // GIVEN three voters, and reconfig commands that run long
        configuration(1, 2, 3);
        reconfigRuns = true;

        // WHEN the stack is updated to five and the health function runs every minute for eight minutes
        fiveSlots(5, true);
        driver.runWithHealth(Duration.ofMinutes(8), d -> false);

        // THEN the one command sent holds the lease, noted with its id, and nothing else was sent
        assertThat(reconfigs).hasSize(1);
        var sent = cloud.commandsSent().stream().filter(c -> c.documentName().equals("zk-demo-reconfig")).toList();
        assertThat(sent).hasSize(1);
        assertThat(driver.lease().current("zk-demo")).hasValueSatisfying(h -> assertThat(h.instanceId())
                .isEqualTo("reconfig:add:4=10.0.1.11@" + sent.get(0).instanceId() + "/" + sent.get(0).commandId()));
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("is InProgress");
    }

    @Test
    void grow_shouldAddTheNextMember_onlyOnceTheLastAddedServesWithTheNewVersion() {
        // GIVEN three voters, and node 4 that will not learn the commits after it joins (its conf lags)
        configuration(1, 2, 3);
        zk.lagging(ip(4));

        // WHEN the stack is updated to five and the health function runs every minute for six minutes
        fiveSlots(5, true);
        driver.runWithHealth(Duration.ofMinutes(6), d -> false);

        // THEN node 4 was added, but node 5 waits: node 4 does not report the configuration that added it
        assertThat(reconfigs).hasSize(1).first().asString().startsWith("add 4=");
        assertThat(zk.configuration().orElseThrow().voters()).containsExactly(1, 2, 3, 4);
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("\"step\":\"reconfig-confirming\"")
                .contains("node 4 reports version 100000000");

        // WHEN node 4 catches up
        zk.caughtUp(ip(4));
        driver.runWithHealth(Duration.ofMinutes(3), d -> false);

        // THEN node 5 is added from the version that added 4
        assertThat(reconfigs).hasSize(2);
        assertThat(reconfigs.get(1)).startsWith("add 5=10.0.2.11 from 100000001 ");
        assertThat(zk.configuration().orElseThrow().voters()).containsExactly(1, 2, 3, 4, 5);
        assertThat(driver.lease().current("zk-demo")).isEmpty();
    }

    // ----------------------------------------------------------------------------------------------------- shrink

    @Test
    void shrink_shouldRemoveTheHighestFirst_thenLetTheirInstancesGo_andReleaseTheirSlots() {
        // GIVEN five voters (grown online from three)
        grownToFive();
        reconfigs.clear();

        // WHEN step 1 of a shrink to three: ENSEMBLE_MEMBERS 3; the health function runs every minute
        env.put("ENSEMBLE_MEMBERS", "3");
        driver = driver.withEnv(env, 41, new PrintStream(log, true, StandardCharsets.UTF_8));
        driver.runWithHealth(Duration.ofMinutes(15), d -> false);

        // THEN 5 then 4 were removed, one at a time, each from the version before it; three voters serve
        assertThat(reconfigs).hasSize(2);
        assertThat(reconfigs.get(0)).startsWith("remove 5 from 100000002 ");
        assertThat(reconfigs.get(1)).startsWith("remove 4 from 100000003 ");
        assertThat(zk.configuration().orElseThrow().voters()).containsExactly(1, 2, 3);
        // ... their instances were let go without a replacement (desired capacity lowered), stopped at no cost and
        // their slots released (kept for the second update to delete); nothing else was stopped or marked
        assertThat(cloud.terminatedInGroup()).containsExactlyInAnyOrder(members.get(4), members.get(5));
        assertThat(cloud.completions()).contains(members.get(4) + "/zk-demo-terminate=CONTINUE",
                members.get(5) + "/zk-demo-terminate=CONTINUE");
        for (int node = 4; node <= 5; node++) {
            assertThat(cloud.eniHolder(cloud.eniIds().get(node - 1))).as("slot " + node).isEmpty();
            assertThat(cloud.volumeHolder(cloud.volumeIds().get(node - 1))).as("slot " + node).isEmpty();
        }
        assertThat(cloud.commandsSent()).filteredOn(c -> c.documentName().equals("zk-demo-stop"))
                .extracting(c -> c.instanceId()).containsExactlyInAnyOrder(members.get(4), members.get(5));
        assertThat(cloud.markedUnhealthy()).isEmpty();
        assertThat(cloud.timedOutActions()).isEmpty();
        assertThat(driver.lease().current("zk-demo")).isEmpty();
        for (int node = 1; node <= 3; node++) {
            assertThat(zk.probe(ip(node), 2181, Duration.ofSeconds(1)).serving()).as("node " + node).isTrue();
        }
        assertThat(published("QuorumSize")).last().isEqualTo(2);
    }

    @Test
    void stopAboveTheSize_shouldGiveTheLeaseBackWithItsSlot_sinceNoReplacementWillServeThere() {
        // GIVEN five voters (grown online from three), then step 1 of a shrink to three whose removals have not run
        // (no reconfig document here; in model check seed 20806848 other stops held the lease and the ensemble was
        // below quorum): node 5 is above the size and still a voter
        grownToFive();
        env.put("ENSEMBLE_MEMBERS", "3");
        env.remove("RECONFIG_DOCUMENT");
        driver = driver.withEnv(env, 59, new PrintStream(log, true, StandardCharsets.UTF_8));

        // WHEN node 5's instance is terminated
        cloud.terminate(members.get(5));
        driver.runWithHealth(Duration.ofMinutes(5), d -> false);

        // THEN it stopped (4 of 5 voters serve without it), its slot is released, and the stop lease went back with
        // the slot: no launch claims a slot above the size, so no replacement would ever release it
        assertThat(driver.stops(members.get(5))).isEqualTo(1);
        assertThat(cloud.eniHolder(cloud.eniIds().get(4))).as("slot 5").isEmpty();
        assertThat(driver.lease().current("zk-demo")).isEmpty();

        // WHEN node 4's instance is terminated next
        cloud.terminate(members.get(4));
        driver.runWithHealth(Duration.ofMinutes(5), d -> false);

        // THEN it stops within minutes (3 of 5 voters serve without it), not after node 5's lease expired (30 min)
        assertThat(driver.stops(members.get(4))).isEqualTo(1);
        assertThat(driver.lease().current("zk-demo")).isEmpty();
        assertThat(cloud.timedOutActions()).isEmpty();
    }

    @Test
    void shrink_shouldRemoveTheNext_onlyOnceAMajorityOfTheNewConfigurationServesWithIt() {
        // GIVEN five voters (grown online from three); nodes 3 and 4 will not learn the next commit
        grownToFive();
        reconfigs.clear();
        zk.lagging(ip(3)).lagging(ip(4));

        // WHEN step 1 of a shrink to three; the health function runs every minute for six minutes
        env.put("ENSEMBLE_MEMBERS", "3");
        driver = driver.withEnv(env, 47, new PrintStream(log, true, StandardCharsets.UTF_8));
        driver.runWithHealth(Duration.ofMinutes(6), d -> false);

        // THEN 5 was removed, but 4 waits: only 1 and 2 of the four voters left serve with the new version
        assertThat(reconfigs).hasSize(1).first().asString().startsWith("remove 5 from 100000002 ");
        assertThat(log.toString(StandardCharsets.UTF_8))
                .contains("2 of the 4 voters serve with this version, fewer than 3");

        // WHEN node 3 catches up
        zk.caughtUp(ip(3));
        driver.runWithHealth(Duration.ofMinutes(3), d -> false);

        // THEN node 4 is removed from the version that removed 5
        assertThat(reconfigs).hasSize(2);
        assertThat(reconfigs.get(1)).startsWith("remove 4 from 100000003 ");
    }

    @Test
    void replacementAfterAShrink_shouldClaimItsMembersSlot_notAReleasedOneAbove() {
        // GIVEN a shrink from five to three done: slots 4 and 5 released and kept (the next stack update deletes
        // them), free in AZs a and b beside slots 1 and 2
        grownToFive();
        env.put("ENSEMBLE_MEMBERS", "3");
        driver = driver.withEnv(env, 43, new PrintStream(log, true, StandardCharsets.UTF_8));
        driver.runWithHealth(Duration.ofMinutes(15), d -> false);
        var letGo = cloud.terminatedInGroup();
        assertThat(letGo).hasSize(2);

        // WHEN nodes 1 and 2 are replaced, twice each (a refresh), Auto Scaling launching in their AZs
        for (int node : new int[] {1, 2, 1, 2}) {
            recordMembers();
            cloud.terminate(members.get(node));
            launch(CloudDriver.demoAz(node));
            driver.runWithHealth(Duration.ofMinutes(10), d -> false);

            // THEN each replacement claims the slot of the member it replaces, never 4 or 5 (the reconciler would
            // let it go with the desired capacity lowered: the ensemble would stay a member short)
            var holder = cloud.eniHolder(cloud.eniIds().get(node - 1));
            assertThat(holder).as("slot " + node).isPresent();
            assertThat(cloud.lifecycleState(holder.get())).isEqualTo("InService");
            assertThat(cloud.terminatedInGroup()).isEqualTo(letGo);
            assertThat(cloud.eniHolder(cloud.eniIds().get(3))).as("slot 4").isEmpty();
            assertThat(cloud.eniHolder(cloud.eniIds().get(4))).as("slot 5").isEmpty();
        }
        assertThat(zk.configuration().orElseThrow().voters()).containsExactly(1, 2, 3);
        assertThat(cloud.timedOutActions()).isEmpty();
    }

    @Test
    void shrink_shouldRemoveAVacantVoter_whileTwoMembersLeave_countingTheirServersThatStillServe() {
        // GIVEN a shrink to three under way: voters 1-4, node 4's slot vacant (its instance gone)
        var settings = driver.settings();
        cloud.addSlot(settings.cluster().clusterTagKey(), settings.cluster().clusterName(), settings.nodeIdTagKey(),
                4, CloudDriver.demoAz(4), ip(4));
        configuration(1, 2, 3, 4);

        // WHEN nodes 1 and 3 are terminated together (an instance refresh) and the health function runs
        cloud.terminate(members.get(1));
        cloud.terminate(members.get(3));
        driver.runWithHealth(Duration.ofMinutes(10), d -> false);

        // THEN node 4 is removed (1 and 3 still serve: they stop only under the lease the reconfiguration holds),
        // after which one of them may go: 2 of 3 voters serve without it (before, the guards waited for node 4's
        // removal and the removal for them: neither ever came, seed 20509841)
        assertThat(reconfigs).hasSize(1).first().asString().startsWith("remove 4 ");
        assertThat(zk.configuration().orElseThrow().voters()).containsExactly(1, 2, 3);
        assertThat(driver.stops(members.get(1)) + driver.stops(members.get(3))).isEqualTo(1);
        assertThat(cloud.timedOutActions()).isEmpty();
    }

    @Test
    void extraInstanceAtTheMinimumSize_shouldBeLetGoWithoutLoweringTheGroup_soThatItIsReplaced() {
        // GIVEN a shrink from five to three done, the group's MinSize lowered to three by step 1 (as the template
        // does), so that its two decrements took it to three: at its minimum size
        grownToFive();
        env.put("ENSEMBLE_MEMBERS", "3");
        cloud.autoScaling().sizes(5, 3);
        driver = driver.withEnv(env, 53, new PrintStream(log, true, StandardCharsets.UTF_8));
        driver.runWithHealth(Duration.ofMinutes(15), d -> false);
        var letGo = cloud.terminatedInGroup();
        assertThat(letGo).hasSize(2);

        // WHEN an instance takes the released slot 4 in AZ a although the group is not one too big (its read of
        // slot 1's member lagged: that member was leaving; the model check with size changes, seed 20390753), and the
        // health function runs
        var extra = launch(CloudDriver.demoAz(1));
        driver.runWithHealth(Duration.ofMinutes(3), d -> false);

        // THEN Auto Scaling refused to lower the group below its MinSize, and the instance went without the
        // decrement: the group replaces it (before, each such instance lowered the group by one, down to nothing)
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("member-replaced")
                .contains("desiredSize equals minSize (3)");
        assertThat(cloud.terminatedInGroup()).isEqualTo(letGo);
        assertThat(cloud.lifecycleState(extra)).isIn("Terminating:Wait", "Terminated");
        driver.runWithHealth(Duration.ofMinutes(10), d -> false);
        assertThat(cloud.lifecycleState(extra)).isEqualTo("Terminated");
        assertThat(cloud.eniHolder(cloud.eniIds().get(3))).as("slot 4").isEmpty();
        assertThat(cloud.timedOutActions()).isEmpty();
    }

    @Test
    void extraLaunchAfterAShrink_shouldNotBeAbandonedByItsDuplicate_thatLostTheReleasedSlotToIt() {
        // GIVEN a shrink from five to three done (slots 4 and 5 released and kept), the functions' reads able to lag
        // behind an attach
        grownToFive();
        env.put("ENSEMBLE_MEMBERS", "3");
        var lag = new AtomicBoolean();
        var eni4 = cloud.eniIds().get(3);
        var volume4 = cloud.volumeIds().get(3);
        driver = driver.withEnv(env, 47, new PrintStream(log, true, StandardCharsets.UTF_8), p -> new Wiring.Ports(
                FaultsFlowTest.lagging(p.ec2(), method -> lag.get(),
                        i -> new InstanceView(i.instanceId(), i.availabilityZone(), i.subnetId(), i.state(),
                                withoutBootstrapTag(i.tags()), List.of(), List.of()),
                        e -> e.eniId().equals(eni4) ? new EniView(e.eniId(), e.availabilityZone(), e.subnetId(),
                                e.privateIp(), e.macAddress(), "available", e.tags(), Optional.empty()) : e,
                        v -> v.volumeId().equals(volume4) ? new VolumeView(v.volumeId(), v.availabilityZone(),
                                "available", v.tags(), List.of()) : v),
                p.autoScaling(), p.ssm(), p.scheduler(), p.zk(), p.lease()));
        driver.runWithHealth(Duration.ofMinutes(15), d -> false);
        assertThat(cloud.eniHolder(eni4)).isEmpty();

        // WHEN one instance too many launches in AZ a (every member slot there held: it takes the released slot 4,
        // for the reconciler to let it go), and the resume that attached slot 4 and sent the bootstrap comes twice,
        // the duplicate's reads not showing that attach yet (the model check with size changes, seed 20350204)
        var id = launch(CloudDriver.demoAz(1));
        cloud.registerAgent(id);
        var sending = FaultsFlowTest.untilBootstrapSent(driver, cloud);
        assertThat(cloud.eniHolder(eni4)).hasValue(id);
        lag.set(true);
        driver.deliver(sending);
        lag.set(false);

        // THEN the duplicate neither abandons the launch nor detaches slot 4 under its bootstrap
        assertThat(cloud.completions()).doesNotContain(id + "/zk-demo-launch=ABANDON");
        assertThat(cloud.eniHolder(eni4)).hasValue(id);
        assertThat(cloud.volumeHolder(volume4)).hasValue(id);
    }

    private static Map<String, String> withoutBootstrapTag(Map<String, String> tags) {
        var without = new HashMap<>(tags);
        without.remove(InstanceTags.BOOTSTRAP_COMMAND);
        return without;
    }
}
