package io.zkasg.flows;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.FakeZk;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The terminate path and its quorum guard, on the fake cloud with ZooKeeper answers set by the test. */
class TerminateFlowTest {

    private static final String IP1 = "10.0.1.10";
    private static final String IP2 = "10.0.2.10";
    private static final String IP3 = "10.0.3.10";

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private CloudDriver driver;
    private FakeCloud cloud;
    private FakeZk zk;

    @BeforeEach
    void threeMembers() {
        var env = new HashMap<>(CloudDriver.DEMO_ENV);
        env.put("TERMINATE_MAX_WAIT_SECONDS", "1800");
        driver = CloudDriver.demo(11, new PrintStream(log, true, StandardCharsets.UTF_8), env, 1);
        cloud = driver.cloud();
        zk = driver.zk();
        // ZooKeeper follows the commands, as on a real instance: a bootstrap makes the node serve, a stop ends it.
        var ips = List.of(IP1, IP2, IP3);
        cloud.commandOutcome(c -> {
            if (c.documentName().equals("zk-demo-bootstrap")) {
                zk.serving(c.parameters().get("EniIp"), "follower");
            } else {
                zk.down(ips.get(Integer.parseInt(cloud.instanceTags(c.instanceId()).get("zkasg:node-id")) - 1));
            }
            return "Success";
        });
        cloud.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");
        cloud.launch("i-0bbbbbbbbbbbbbbb2", "us-east-1b");
        cloud.launch("i-0ccccccccccccccc3", "us-east-1c");
        driver.runUntilQuiet(Duration.ofMinutes(5));
        zk.serving(IP1, "leader").serving(IP2, "follower").serving(IP3, "follower");
    }

    private long stops(String instanceId) {
        return cloud.commandsSent().stream()
                .filter(c -> c.documentName().equals("zk-demo-stop") && c.instanceId().equals(instanceId)).count();
    }

    @Test
    void terminate_shouldHoldWithHeartbeats_whileAnotherNodeIsDown_thenStopOnceItServesAgain() {
        // GIVEN node 1 does not answer (crashed JVM, host alive)
        zk.down(IP1);

        // WHEN node 2 is terminated and 20 minutes pass
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        driver.runUntilQuiet(Duration.ofMinutes(20));

        // THEN node 2 was not stopped: stopping it would leave 1 of 3 serving; the hook is kept alive
        assertThat(stops("i-0bbbbbbbbbbbbbbb2")).isZero();
        assertThat(cloud.eniHolder(cloud.eniIds().get(1))).contains("i-0bbbbbbbbbbbbbbb2");
        assertThat(cloud.calls()).anyMatch(c -> c.operation().equals("RecordLifecycleActionHeartbeat"));
        assertThat(cloud.timedOutActions()).isEmpty();
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("would leave 1 of 3 serving");

        // WHEN node 1 serves again
        zk.serving(IP1, "follower");
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN node 2 is stopped cleanly, its slot released, the hook continued
        assertThat(stops("i-0bbbbbbbbbbbbbbb2")).isEqualTo(1);
        assertThat(cloud.completions()).contains("i-0bbbbbbbbbbbbbbb2/zk-demo-terminate=CONTINUE");
        assertThat(cloud.eniHolder(cloud.eniIds().get(1))).isEmpty();
    }

    @Test
    void scaleIn_shouldNeverStopTwoNodesAtOnce_whenTwoMembersAreTerminatedTogether() {
        // GIVEN nodes 2 and 3 are terminated in the same instant (a scale-in of two, or two replacements)
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        cloud.terminate("i-0ccccccccccccccc3");

        // WHEN both events and whatever follows are handled for a few minutes
        driver.runUntilQuiet(Duration.ofMinutes(3));

        // THEN only the lower node id was stopped; node 3 waits
        assertThat(stops("i-0bbbbbbbbbbbbbbb2")).isEqualTo(1);
        assertThat(stops("i-0ccccccccccccccc3")).isZero();

        // WHEN node 2 is gone (its server no longer answers) and its replacement has not rejoined yet
        zk.down(IP2);
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN node 3 still waits
        assertThat(stops("i-0ccccccccccccccc3")).isZero();

        // WHEN the replacement of node 2 takes slot 2 and serves
        cloud.launch("i-0bbbbbbbbbbbbbbb5", "us-east-1b");
        driver.runUntilQuiet(Duration.ofMinutes(2));
        zk.serving(IP2, "follower");
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN node 3 goes, and there was never a moment with two nodes stopped
        assertThat(cloud.instanceTags("i-0bbbbbbbbbbbbbbb5")).containsEntry("zkasg:node-id", "2");
        assertThat(stops("i-0ccccccccccccccc3")).isEqualTo(1);
        assertThat(cloud.completions()).contains("i-0ccccccccccccccc3/zk-demo-terminate=CONTINUE");
    }

    @Test
    void terminate_shouldStopAtOnce_whenTheLeavingNodeIsNotServingAnyway() {
        // GIVEN node 2's ZooKeeper is dead and node 1 too: its stop changes nothing for the quorum
        zk.down(IP2).down(IP1);

        // WHEN node 2 is terminated
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        driver.runUntilQuiet(Duration.ofMinutes(2));

        // THEN it is stopped and released without waiting
        assertThat(stops("i-0bbbbbbbbbbbbbbb2")).isEqualTo(1);
        assertThat(cloud.completions()).contains("i-0bbbbbbbbbbbbbbb2/zk-demo-terminate=CONTINUE");
    }

    @Test
    void rollingReplacement_shouldReplaceOneNodeAtATime_eachReplacementTakingTheSameSlot() {
        // GIVEN an instance refresh with min healthy 66 % and max healthy 100 %: terminate one, launch one
        var old = List.of("i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb2", "i-0ccccccccccccccc3");
        var fresh = List.of("i-0aaaaaaaaaaaaaa11", "i-0bbbbbbbbbbbbbb12", "i-0ccccccccccccc13");
        var ips = List.of(IP1, IP2, IP3);
        for (int i = 0; i < 3; i++) {
            // WHEN node i+1 is replaced
            cloud.terminate(old.get(i));
            driver.runUntilQuiet(Duration.ofMinutes(3));
            zk.down(ips.get(i));
            cloud.launch(fresh.get(i), CloudDriver.DEMO_AZS.get(i));
            driver.runUntilQuiet(Duration.ofMinutes(3));
            zk.serving(ips.get(i), "follower");

            // THEN the old one stopped cleanly and the new one holds the same node id, before the next step
            assertThat(stops(old.get(i))).isEqualTo(1);
            assertThat(cloud.instanceTags(fresh.get(i))).containsEntry("zkasg:node-id", Integer.toString(i + 1));
            assertThat(cloud.lifecycleState(fresh.get(i))).isEqualTo("InService");
        }
        assertThat(cloud.timedOutActions()).isEmpty();
    }

    @Test
    void terminate_shouldNotLetANodeGo_whenTheProberReachesNoMember() {
        // GIVEN a prober that reaches no ZooKeeper at all (no network path to the members)
        zk.unreachable(IP1).unreachable(IP2).unreachable(IP3);

        // WHEN node 2 is terminated
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        driver.runUntilQuiet(Duration.ofMinutes(10));

        // THEN it waits: not knowing is not a reason to stop a member
        assertThat(stops("i-0bbbbbbbbbbbbbbb2")).isZero();
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("would leave 0 of 3 serving");
    }

    @Test
    void terminate_shouldCompleteOnlyOnceTheSlotIsDetached_whenDetachingTakesTime() {
        // GIVEN detaches that take 40 s
        cloud.latencies(Duration.ZERO, Duration.ofSeconds(40));

        // WHEN node 2 is terminated
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        driver.runUntilQuiet(Duration.ofSeconds(20));

        // THEN after 20 s the hook is still waiting for the detach
        assertThat(cloud.completions()).doesNotContain("i-0bbbbbbbbbbbbbbb2/zk-demo-terminate=CONTINUE");

        // WHEN the detach finishes
        driver.runUntilQuiet(Duration.ofMinutes(2));

        // THEN the hook continued, after the slot came free, without forcing anything
        assertThat(cloud.completions()).contains("i-0bbbbbbbbbbbbbbb2/zk-demo-terminate=CONTINUE");
        assertThat(cloud.eniHolder(cloud.eniIds().get(1))).isEmpty();
        assertThat(cloud.volumeHolder(cloud.volumeIds().get(1))).isEmpty();
        assertThat(log.toString(StandardCharsets.UTF_8)).doesNotContain("force-detach");
    }

    @Test
    void terminate_shouldForceTheDetach_onlyAsTheLastResort_whenItStaysStuck() {
        // GIVEN detaches that never finish unless forced
        cloud.stuckDetaches(true);

        // WHEN node 2 is terminated and five minutes pass
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN after RELEASE_FORCE_AFTER_SECONDS (120) the detach was forced, logged, and the hook continued
        assertThat(cloud.completions()).contains("i-0bbbbbbbbbbbbbbb2/zk-demo-terminate=CONTINUE");
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("\"step\":\"force-detach\"")
                .contains("volume-force-detached").contains("eni-force-detached");
        assertThat(cloud.volumeHolder(cloud.volumeIds().get(1))).isEmpty();
    }

    @Test
    void launches_shouldNumberTheNodes_oneSlotPerAz() {
        // THEN (three launches in us-east-1a/b/c in setUp)
        assertThat(cloud.instanceTags("i-0aaaaaaaaaaaaaaa1")).containsEntry("zkasg:node-id", "1");
        assertThat(cloud.instanceTags("i-0bbbbbbbbbbbbbbb2")).containsEntry("zkasg:node-id", "2");
        assertThat(cloud.instanceTags("i-0ccccccccccccccc3")).containsEntry("zkasg:node-id", "3");
    }
}
