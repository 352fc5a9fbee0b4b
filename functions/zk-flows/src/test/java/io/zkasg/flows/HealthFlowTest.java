package io.zkasg.flows;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zkasg.core.HealthSettings;
import io.zkasg.core.HealthUseCase;
import io.zkasg.core.model.ServerFigures;
import io.zkasg.lambda.Wiring;
import io.zkasg.testkit.CloudState;
import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.FakeZk;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The health function through its handler, on the fake cloud with a running three-node ensemble (brought up by the
 * real launch functions) and FakeZk answering for the servers.
 */
class HealthFlowTest {

    private static final String I1 = "i-0aaaaaaaaaaaaaaa1";
    private static final String I2 = "i-0bbbbbbbbbbbbbbb2";
    private static final String I3 = "i-0ccccccccccccccc3";
    private static final String IP1 = "10.0.1.10";
    private static final String IP2 = "10.0.2.10";
    private static final String IP3 = "10.0.3.10";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ByteArrayOutputStream launchLog = new ByteArrayOutputStream();
    private final CloudDriver driver = CloudDriver.demo(42, new PrintStream(launchLog, true, StandardCharsets.UTF_8));
    private final FakeCloud cloud = driver.cloud();
    private final FakeZk zk = new FakeZk();
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private Functions functions;
    private int runs;
    private int retryResets;

    @BeforeEach
    void ensembleInService() {
        cloud.launch(I1, "us-east-1a");
        cloud.launch(I2, "us-east-1b");
        cloud.launch(I3, "us-east-1c");
        driver.runUntilQuiet(Duration.ofMinutes(5));
        assertThat(List.of(I1, I2, I3)).allSatisfy(i -> assertThat(cloud.lifecycleState(i)).isEqualTo("InService"));
        zk.serving(IP1, "leader").serving(IP2, "follower").serving(IP3, "follower");
        var wiring = Wiring.over(driver.settings(), new Wiring.Ports(cloud.ec2(), cloud.autoScaling(),
                cloud.ssm(), cloud.resumeQueue(), zk, driver.lease()),
                driver.clock(),
                cloud::advance, new SplittableRandom(7), CloudDriver.testBundle(),
                new PrintStream(log, true, StandardCharsets.UTF_8))
                .withHealth(zk, new HealthSettings(3, Duration.ofSeconds(2), 2, Duration.ofSeconds(1)))
                .countingSdkRetries(() -> retryResets++, () -> 4);
        functions = new Functions(wiring);
        cloud.clearCalls();
    }

    private Map<String, Object> check() {
        runs++;
        var event = "{\"id\":\"health-run-" + runs + "\",\"source\":\"aws.events\",\"detail-type\":\"Scheduled Event\","
                + "\"time\":\"2026-11-25T12:30:00Z\",\"detail\":{}}";
        var result = functions.health(event.getBytes(StandardCharsets.UTF_8));
        cloud.advance(Duration.ofMinutes(1));
        return result;
    }

    private List<Map<String, Object>> lines() {
        var out = new ArrayList<Map<String, Object>>();
        for (var line : log.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                try {
                    out.add(JSON.readValue(line, new TypeReference<Map<String, Object>>() { }));
                } catch (Exception e) {
                    throw new AssertionError("not a JSON line: " + line, e);
                }
            }
        }
        return out;
    }

    private List<Map<String, Object>> steps(String step) {
        return lines().stream().filter(l -> step.equals(l.get("step"))).toList();
    }

    private List<Map<String, Object>> emf(String metric) {
        return lines().stream().filter(l -> l.containsKey("_aws") && l.containsKey(metric)).toList();
    }

    private static List<String> problems(Map<String, Object> result) {
        return ((List<?>) result.get("problems")).stream().map(String::valueOf).toList();
    }

    @Test
    void health_shouldMarkAFrozenNode_onlyAfterThreeConsecutiveFailedChecks() {
        // GIVEN node 2's ZooKeeper stopped answering
        zk.down(IP2);

        // WHEN two checks run
        check();
        check();

        // THEN it is counted but not marked
        assertThat(cloud.markedUnhealthy()).isEmpty();
        assertThat(cloud.instanceTags(I2)).containsEntry(HealthUseCase.FAILURES_TAG, "2");
        assertThat(cloud.healthStatus(I2)).isEqualTo("HEALTHY");

        // WHEN the third check fails too
        var third = check();

        // THEN Auto Scaling is told, and replaces it through the terminate hook
        assertThat(third.get("markedUnhealthy")).isEqualTo(I2);
        assertThat(cloud.markedUnhealthy()).containsExactly(I2);
        assertThat(cloud.healthStatus(I2)).isEqualTo("UNHEALTHY");
        assertThat(cloud.lifecycleState(I2)).isEqualTo("Terminating:Wait");
        var marked = steps("marked-unhealthy");
        assertThat(marked).hasSize(1);
        assertThat(marked.get(0)).containsEntry("instanceId", I2).containsEntry("nodeId", 2)
                .containsEntry("az", "us-east-1b").containsEntry("failures", 3)
                .containsEntry("correlationId", "health-run-3");
        assertThat(cloud.calls()).noneMatch(c -> !c.filtered());
    }

    @Test
    void health_shouldNotCountASlowAnswer_whenTheRetryWithinTheCheckSucceeds() {
        // GIVEN node 2 answers late once
        zk.slowOnce(IP2);

        // WHEN
        var result = check();

        // THEN the check passed on its second attempt: nothing counted, nothing written
        assertThat(cloud.instanceTags(I2)).doesNotContainKey(HealthUseCase.FAILURES_TAG);
        assertThat(result.get("serving")).isEqualTo(3);
        assertThat(zk.probed().stream().filter(p -> p.startsWith(IP2)).count()).isEqualTo(2);
        assertThat(cloud.calls()).noneMatch(c -> c.operation().equals("CreateTags"));
    }

    @Test
    void health_shouldStartCountingAgain_whenAGoodCheckComesBetweenFailures() {
        // GIVEN failed, good, failed, failed: never three in a row
        zk.down(IP2);
        check();
        zk.serving(IP2, "follower");
        check();
        assertThat(cloud.instanceTags(I2)).containsEntry(HealthUseCase.FAILURES_TAG, "0");
        zk.down(IP2);
        check();
        check();

        // THEN
        assertThat(cloud.markedUnhealthy()).isEmpty();
        assertThat(cloud.instanceTags(I2)).containsEntry(HealthUseCase.FAILURES_TAG, "2");
    }

    @Test
    void health_shouldNotMarkASecondSickNode_whenAnotherNodeIsAlreadyDown() {
        // GIVEN node 1's host died (its slot is vacant until the replacement comes) and node 2 is sick
        cloud.crash(I1);
        zk.down(IP1).down(IP2);

        // WHEN many checks run
        for (int i = 0; i < 5; i++) {
            check();
        }

        // THEN node 2 is counted but never marked: replacing it would leave one server of three
        assertThat(cloud.markedUnhealthy()).isEmpty();
        assertThat(cloud.instanceTags(I2)).containsEntry(HealthUseCase.FAILURES_TAG, "5");
        assertThat(steps("replace-deferred")).isNotEmpty()
                .allSatisfy(l -> assertThat(String.valueOf(l.get("reason"))).contains("1=VACANT"));
        assertThat(steps("health-problem")).anySatisfy(l -> assertThat(l).containsEntry("problem", "below-quorum"));
    }

    @Test
    void health_shouldNotMarkEither_whenTwoNodesAreSickAtOnce() {
        // GIVEN
        zk.down(IP2).down(IP3);

        // WHEN
        for (int i = 0; i < 4; i++) {
            check();
        }

        // THEN
        assertThat(cloud.markedUnhealthy()).isEmpty();
        assertThat(steps("replace-deferred")).hasSize(2);
    }

    @Test
    void health_shouldReplaceADownNode_whileAServingMemberLeaves() {
        // GIVEN node 3 is leaving (an instance refresh: Terminating:Wait) and still serves, and node 2 is down.
        // Node 3's quorum guard waits for node 2; refusing node 2's replacement because node 3 leaves would wait
        // forever (issue 15, item 3).
        cloud.terminate(I3);
        zk.down(IP2);

        // WHEN
        for (int i = 0; i < 3; i++) {
            check();
        }

        // THEN node 2 is marked: nodes 1 and 3 serve, a majority without it (node 3 stops only under the lease)
        assertThat(cloud.markedUnhealthy()).containsExactly(I2);
    }

    @Test
    void health_shouldNotMark_whenALeavingMemberNoLongerServes() {
        // GIVEN node 3 is leaving and its server already stopped, and node 2 is sick
        cloud.terminate(I3);
        zk.down(IP3).down(IP2);

        // WHEN
        for (int i = 0; i < 3; i++) {
            check();
        }

        // THEN replacing node 2 would leave 1 of 3: a person must look
        assertThat(cloud.markedUnhealthy()).isEmpty();
        assertThat(steps("replace-deferred")).anySatisfy(l ->
                assertThat(String.valueOf(l.get("reason"))).contains("3=STOPPED"));
    }

    @Test
    void health_shouldReportTwoLeaders() {
        // GIVEN
        zk.serving(IP2, "leader");

        // WHEN
        var result = check();

        // THEN
        assertThat(result.get("leaders")).isEqualTo(2);
        assertThat(problems(result)).anySatisfy(p -> assertThat(p).startsWith("split-brain"));
        assertThat(steps("health-problem")).anySatisfy(l -> assertThat(l)
                .containsEntry("problem", "split-brain").containsEntry("leaderNodes", List.of(1, 2)));
        assertThat(cloud.markedUnhealthy()).isEmpty();
    }

    @Test
    void health_shouldReportNoLeader_whenAllFollow() {
        // GIVEN
        zk.serving(IP1, "follower");

        // WHEN / THEN
        assertThat(problems(check())).anySatisfy(p -> assertThat(p).startsWith("no-leader"));
    }

    @Test
    void health_shouldReleaseALeakedSlot_whenItsHolderIsOutsideTheGroupAndNotServing() {
        // GIVEN node 2's instance died, and a stray instance outside the group holds its slot (a half-done launch)
        cloud.crash(I2);
        cloud.strayInstance("i-0dddddddddddddd44", "us-east-1b");
        var eni = cloud.eniIds().get(1);
        var volume = cloud.volumeIds().get(1);
        cloud.ec2().attachEni(eni, "i-0dddddddddddddd44", 1);
        cloud.ec2().attachVolume(volume, "i-0dddddddddddddd44", "/dev/sdf");
        zk.down(IP2);

        // WHEN
        var result = check();

        // THEN released under the stop lease, which stays until a replacement serves in the slot
        assertThat(cloud.eniHolder(eni)).isEmpty();
        assertThat(cloud.volumeHolder(volume)).isEmpty();
        assertThat(problems(result)).anySatisfy(p -> assertThat(p).startsWith("slot-held-outside-group")
                .contains("released"));
        assertThat(driver.lease().grants()).containsExactly("zk-demo/i-0dddddddddddddd44#1");
    }

    @Test
    void health_shouldNotReleaseALeakedSlot_whileAnotherStopHoldsTheStopLease() {
        // GIVEN as above, while node 3's stop holds the stop lease
        cloud.crash(I2);
        cloud.strayInstance("i-0dddddddddddddd44", "us-east-1b");
        var eni = cloud.eniIds().get(1);
        cloud.ec2().attachEni(eni, "i-0dddddddddddddd44", 1);
        zk.down(IP2);
        driver.lease().acquire("zk-demo", I3, 3, Duration.ofMinutes(30));

        // WHEN
        var result = check();

        // THEN the slot stays where it is: detaching it is a stop, and stops never overlap
        assertThat(cloud.eniHolder(eni)).contains("i-0dddddddddddddd44");
        assertThat(problems(result)).anySatisfy(p -> assertThat(p).startsWith("slot-held-outside-group")
                .contains("the stop lease is held by " + I3));
    }

    @Test
    void health_shouldKeepALeakedSlot_whenItsHolderStillServes() {
        // GIVEN as above, but the stray instance's ZooKeeper serves
        cloud.crash(I2);
        cloud.strayInstance("i-0dddddddddddddd44", "us-east-1b");
        var eni = cloud.eniIds().get(1);
        cloud.ec2().attachEni(eni, "i-0dddddddddddddd44", 1);
        cloud.ec2().attachVolume(cloud.volumeIds().get(1), "i-0dddddddddddddd44", "/dev/sdf");

        // WHEN
        var result = check();

        // THEN reported, not taken away from a serving server
        assertThat(cloud.eniHolder(eni)).contains("i-0dddddddddddddd44");
        assertThat(problems(result)).anySatisfy(p -> assertThat(p).startsWith("slot-held-outside-group")
                .contains("none"));
    }

    @Test
    void health_shouldReportANodeIdTagThatDisagreesWithTheSlot_andNotRewriteIt() {
        // GIVEN node 3's holder tagged as node 7 (two instances may believe they hold different slots)
        cloud.ec2().tagInstance(I3, Map.of("zkasg:node-id", "7"));
        cloud.clearCalls();

        // WHEN / THEN
        assertThat(steps("health-problem").isEmpty()).isTrue();
        check();
        assertThat(steps("health-problem")).anySatisfy(l -> assertThat(l).containsEntry("problem", "node-id-mismatch")
                .containsEntry("instanceId", I3).containsEntry("nodeId", 3).containsEntry("taggedNodeId", "7")
                .hasEntrySatisfying("action", a -> assertThat((String) a).startsWith("none")));
        // ... reported only: the health function does not guess which of the two is right
        assertThat(cloud.instanceTags(I3)).containsEntry("zkasg:node-id", "7");
        assertThat(cloud.calls()).noneMatch(c -> c.operation().equals("CreateTags"));
    }

    @Test
    void health_shouldReportAVolumeMissingFromAnInServiceNode() {
        // GIVEN node 3's volume fell off (detached by hand)
        cloud.ec2().detachVolume(cloud.volumeIds().get(2), I3, false);

        // WHEN
        var result = check();

        // THEN
        assertThat(problems(result)).anySatisfy(p -> assertThat(p).startsWith("slot-split"));
        assertThat(steps("health-problem")).anySatisfy(l -> assertThat(l).containsEntry("problem", "slot-split")
                .containsEntry("nodeId", 3).containsEntry("eniHolder", I3).containsEntry("volumeHolder", ""));
    }

    @Test
    void health_shouldRepairDeleteOnTermination_ofAMembersEni() {
        // GIVEN someone set node 1's ENI to die with its instance (the static IP would be lost)
        var eni = cloud.eniIds().get(0);
        cloud.eniDeleteOnTermination(eni, true);

        // WHEN
        var result = check();

        // THEN
        assertThat(cloud.eniDeletedOnTermination(eni)).isFalse();
        assertThat(problems(result)).anySatisfy(p -> assertThat(p).startsWith("eni-delete-on-termination"));
    }

    @Test
    void health_shouldGoOnWithTheRun_whenEc2ThrottlesTheDeleteOnTerminationRepair() {
        // GIVEN node 1's ENI set to die with its instance, and EC2 throttling the repair past the SDK's retries
        var eni = cloud.eniIds().get(0);
        cloud.eniDeleteOnTermination(eni, true);
        cloud.throttle("ModifyNetworkInterfaceAttribute", 1);

        // WHEN
        var result = check();

        // THEN the run checked every node all the same and said what was not repaired; the next run repairs it
        assertThat(steps("health-checked")).hasSize(1);
        assertThat(steps("health-problem")).anySatisfy(l -> assertThat(l)
                .containsEntry("problem", "eni-delete-on-termination")
                .containsEntry("action", "not set: RequestLimitExceeded"));
        assertThat(problems(result)).anySatisfy(p -> assertThat(p).startsWith("eni-delete-on-termination"));
        check();
        assertThat(cloud.eniDeletedOnTermination(eni)).isFalse();
    }

    @Test
    void health_shouldReportAServerWhoseMyidIsNotItsSlot() {
        // GIVEN node 2's server says it is server 3 (conf), node 1's says 1
        zk.serverId(IP2, 3).serverId(IP1, 1);

        // WHEN
        var result = check();

        // THEN
        assertThat(problems(result)).singleElement().satisfies(p -> assertThat(p).startsWith("myid-mismatch"));
        assertThat(steps("health-problem")).singleElement().satisfies(l -> assertThat(l)
                .containsEntry("problem", "myid-mismatch").containsEntry("nodeId", 2).containsEntry("myid", 3)
                .containsEntry("instanceId", I2));
    }

    @Test
    void health_shouldSuspendAzRebalanceOnce_andCheckItEveryRun() {
        // GIVEN / WHEN
        check();
        check();

        // THEN
        assertThat(cloud.suspendedProcesses()).containsExactly("AZRebalance");
        assertThat(cloud.calls().stream().filter(c -> c.operation().equals("SuspendProcesses"))).hasSize(1);
        // Two per run: the suspended processes, and the waiting actions for the reconciler.
        assertThat(cloud.calls().stream().filter(c -> c.operation().equals("DescribeAutoScalingGroups"))).hasSize(4);
        assertThat(steps("az-rebalance-suspended")).hasSize(1);
    }

    @Test
    void health_shouldWriteNothing_whenTheEnsembleIsHealthy() {
        // GIVEN / WHEN
        check();
        check();

        // THEN only describes (and the one AZRebalance suspension)
        assertThat(cloud.calls()).filteredOn(CloudState.Call::mutating)
                .extracting(CloudState.Call::operation).containsExactly("SuspendProcesses");
    }

    @Test
    void health_shouldPublishPerNodeAndClusterMetrics_inEmbeddedMetricFormat() {
        // GIVEN
        zk.figures(new ServerFigures(IP1, "leader", 1234, 5, 0.75, 2, 2));
        zk.down(IP3);

        // WHEN
        check();

        // THEN one EMF line per node, dimensions Cluster + NodeId
        var node1 = emf("ZnodeCount").stream().filter(l -> "1".equals(l.get("NodeId"))).findFirst().orElseThrow();
        assertThat(node1).containsEntry("Cluster", "zk-demo").containsEntry("ZnodeCount", 1234.0)
                .containsEntry("OutstandingRequests", 5.0).containsEntry("AvgLatency", 0.75)
                .containsEntry("Followers", 2.0).containsEntry("SyncedFollowers", 2.0)
                .containsEntry("Serving", 1.0).containsEntry("Leader", 1.0)
                .containsEntry("correlationId", "health-run-1").containsEntry("instanceId", I1);
        var aws = map(node1.get("_aws"));
        assertThat(aws.get("Timestamp")).isInstanceOf(Number.class);
        var directive = map(((List<?>) aws.get("CloudWatchMetrics")).get(0));
        assertThat(directive).containsEntry("Namespace", "zkasg")
                .containsEntry("Dimensions", List.of(List.of("Cluster", "NodeId")));
        assertThat(((List<?>) directive.get("Metrics")).stream().map(m -> (Object) m).toList()).contains(
                Map.of("Name", "AvgLatency", "Unit", "Milliseconds"), Map.of("Name", "ZnodeCount", "Unit", "Count"));

        var node3 = emf("Serving").stream().filter(l -> "3".equals(l.get("NodeId"))).findFirst().orElseThrow();
        assertThat(node3).containsEntry("Serving", 0.0).containsEntry("ConsecutiveFailures", 1.0)
                .containsEntry("state", "FAILING");

        var cluster = emf("ServingNodes").get(0);
        assertThat(cluster).containsEntry("ServingNodes", 2.0).containsEntry("BelowQuorum", 0.0)
                .containsEntry("FailingNodes", 1.0).containsEntry("Leaders", 1.0).containsEntry("QuorumSize", 2.0);
        assertThat(map(((List<?>) map(cluster.get("_aws")).get("CloudWatchMetrics")).get(0)))
                .containsEntry("Dimensions", List.of(List.of("Cluster")));
        var health = emf("AwsCalls").stream().filter(l -> "health".equals(l.get("Action"))).findFirst().orElseThrow();
        assertThat((Double) health.get("AwsCalls")).isGreaterThanOrEqualTo(7.0);
        assertThat(health).containsEntry("SdkRetries", 4.0);
        assertThat(retryResets).isEqualTo(1);
    }

    @Test
    void launchFunctions_shouldPublishHookResultsCallsAndDurations() throws Exception {
        // GIVEN the three launches of the set-up, logged by the driver's functions
        var lines = new ArrayList<Map<String, Object>>();
        for (var line : launchLog.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.contains("\"_aws\"")) {
                lines.add(JSON.readValue(line, new TypeReference<Map<String, Object>>() { }));
            }
        }

        // THEN three CONTINUEs, and per-action durations and call counts
        assertThat(lines.stream().filter(l -> l.containsKey("HookContinued"))).hasSize(3)
                .allSatisfy(l -> assertThat(l).containsEntry("HookContinued", 1.0).containsEntry("Cluster", "zk-demo"));
        assertThat(lines.stream().filter(l -> l.containsKey("HookAbandoned"))).isEmpty();
        var launch = lines.stream().filter(l -> "launch".equals(l.get("Action"))).toList();
        assertThat(launch).hasSize(3).allSatisfy(l -> {
            assertThat((Double) l.get("AwsCalls")).isGreaterThan(5.0);
            assertThat((Double) l.get("Duration")).isGreaterThanOrEqualTo(0.0);
            assertThat(l).containsEntry("Throttles", 0.0);
            assertThat(map(((List<?>) map(l.get("_aws")).get("CloudWatchMetrics")).get(0)))
                    .containsEntry("Dimensions", List.of(List.of("Cluster", "Action")));
        });
    }

    @Test
    void health_shouldEndNormally_whenAwsThrottlesPastTheSdkRetries() {
        // GIVEN
        cloud.throttle("DescribeNetworkInterfaces", 1);

        // WHEN
        var result = check();

        // THEN the next scheduled run checks again; nothing was marked
        assertThat(result).containsEntry("outcome", "Ignored");
        assertThat(steps("health-check-failed")).singleElement()
                .satisfies(l -> assertThat(l).containsEntry("level", "ERROR").containsEntry("code",
                        "RequestLimitExceeded"));
        assertThat(emf("Throttles").stream().filter(l -> "health".equals(l.get("Action"))))
                .singleElement().satisfies(l -> assertThat(l).containsEntry("Throttles", 1.0));
        assertThat(cloud.markedUnhealthy()).isEmpty();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }
}
