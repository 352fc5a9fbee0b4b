package io.zkasg.flows;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.core.InstanceTags;
import io.zkasg.core.port.CloudException;
import io.zkasg.testkit.Delivery;
import io.zkasg.testkit.EventJson;
import io.zkasg.testkit.CloudState;
import io.zkasg.testkit.FakeCloud;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LaunchFlowTest {

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final CloudDriver driver = CloudDriver.demo(42, new PrintStream(log, true, StandardCharsets.UTF_8));
    private final FakeCloud cloud = driver.cloud();

    private String eniOf(int node) {
        return cloud.eniIds().get(node - 1);
    }

    private String volumeOf(int node) {
        return cloud.volumeIds().get(node - 1);
    }


    @Test
    void launch_shouldAttachTheSlotOfItsAz_andContinue_whenTheBootstrapSucceeds() {
        // GIVEN three slots in us-east-1a/b/c and a new instance in us-east-1b
        cloud.launch("i-0bbbbbbbbbbbbbbb2", "us-east-1b");

        // WHEN every event is delivered
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN node 2's ENI and volume are on the instance, the command carried node 2's identity, the hook continued
        assertThat(cloud.eniHolder(eniOf(2))).contains("i-0bbbbbbbbbbbbbbb2");
        assertThat(cloud.volumeHolder(volumeOf(2))).contains("i-0bbbbbbbbbbbbbbb2");
        var command = cloud.commandsSent().get(0);
        assertThat(command.documentName()).isEqualTo("zk-demo-bootstrap");
        assertThat(command.parameters())
                .containsEntry("NodeId", "2")
                .containsEntry("EniIp", "10.0.2.10")
                .containsEntry("VolumeId", volumeOf(2))
                .containsEntry("Servers", "1=10.0.1.10,2=10.0.2.10,3=10.0.3.10")
                .containsEntry("Device", "/dev/sdf");
        assertThat(cloud.instanceTags("i-0bbbbbbbbbbbbbbb2"))
                .containsEntry("zkasg:node-id", "2")
                .containsEntry(InstanceTags.BOOTSTRAP_COMMAND, command.commandId());
        assertThat(cloud.completions()).containsExactly("i-0bbbbbbbbbbbbbbb2/zk-demo-launch=CONTINUE");
        assertThat(cloud.lifecycleState("i-0bbbbbbbbbbbbbbb2")).isEqualTo("InService");
    }

    @Test
    void launch_shouldMakeAtMostEightCalls_fiveMutating_allFiltered_whenUncontended() {
        // GIVEN an uncontended launch
        cloud.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");

        // WHEN it runs from the event to the completed hook
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN one DescribeInstances (no poll for the attachments: the bootstrap waits for its devices), no agent
        // check (SendCommand answers InvalidInstanceId while the agent is not registered), nothing unfiltered
        var calls = cloud.calls();
        assertThat(calls.stream().map(CloudState.Call::operation)).containsExactly("DescribeInstances",
                "DescribeNetworkInterfaces", "DescribeVolumes", "AttachNetworkInterface", "AttachVolume",
                "SendCommand", "CreateTags", "CompleteLifecycleAction");
        assertThat(calls.stream().filter(CloudState.Call::mutating)).hasSize(5);
        assertThat(calls).allMatch(CloudState.Call::filtered);
        assertThat(cloud.completions()).containsExactly("i-0aaaaaaaaaaaaaaa1/zk-demo-launch=CONTINUE");
    }

    @Test
    void resume_shouldAdvanceEachMessageOfAnSqsBatch_andReportNoFailure_forADroppedMalformedOne() throws Exception {
        // GIVEN a launch whose resume message (attempt 2 of a chain) comes in an SQS batch after a malformed message
        var event = cloud.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");
        cloud.takeDue();
        var ticket = new io.zkasg.core.HookTicket(new io.zkasg.core.model.LifecycleRef(event.groupName(),
                event.hookName(), event.instanceId(), event.token()), driver.clock().instant(),
                driver.clock().instant(), 2, "0123456789abcdef");
        var batch = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(Map.of("Records", List.of(
                Map.of("messageId", "m-bad", "body", "{\"not\":\"a ticket\"}"),
                Map.of("messageId", "m-1", "body", driver.functions().encode(ticket)))));

        // WHEN the resume function gets the batch as Lambda's runtime hands it over (a stream)
        var answer = driver.functions().resumeBatch(batch);

        // THEN the launch advanced (bootstrap sent) and nothing is retried (the malformed message is dropped)
        assertThat(answer).isEqualTo("{\"batchItemFailures\":[]}");
        assertThat(cloud.commandsSent()).hasSize(1);
    }

    @Test
    void launch_shouldMakeNoCall_whenTheInputIsNotALaunchOfThisGroup() {
        // GIVEN events that are not ours or not events at all
        var launch = cloud.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");
        var json = EventJson.lifecycle(launch, driver.clock().instant());
        cloud.clearCalls();
        var bad = List.of(
                "{\"version\":\"0\",\"id\":\"x\"",
                "[]",
                "",
                json.replace("zk-demo-asg\",\"LifecycleHookName", "other-asg\",\"LifecycleHookName"),
                json.replace("\"LifecycleHookName\":\"zk-demo-launch\"", "\"LifecycleHookName\":\"other\""),
                json.replace("EC2 Instance-launch Lifecycle Action", "EC2 Instance Launch Successful"),
                json.replace("aws.autoscaling", "custom.source"),
                json.replace("autoscaling:EC2_INSTANCE_LAUNCHING", "autoscaling:TEST_NOTIFICATION"),
                json.replace("i-0aaaaaaaaaaaaaaa1", "i-0aaa; rm -rf /"),
                json.replace("\"time\":\"", "\"time\":\"yesterday"),
                json.replace("\"EC2InstanceId\":\"i-0aaaaaaaaaaaaaaa1\",", ""));

        // WHEN each is delivered
        var results = bad.stream()
                .map(b -> driver.functions().launch(b.getBytes(StandardCharsets.UTF_8)))
                .toList();

        // THEN each is ignored with a reason, nothing was called and no slot moved
        assertThat(results).allSatisfy(r -> {
            assertThat(r).containsEntry("outcome", "Ignored");
            assertThat((String) r.get("reason")).isNotBlank();
        });
        assertThat(cloud.calls()).isEmpty();
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("\"step\":\"event-ignored\"");
    }

    @Test
    void launch_shouldClaimOneSlotOnly_whenTheEventIsDeliveredAgain() {
        // GIVEN a launch that has been handled
        var event = cloud.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");
        cloud.takeDue();
        driver.deliver(event);

        // WHEN the same event arrives twice more, before and after the command completes
        var again = driver.deliver(event);
        driver.runUntilQuiet(Duration.ofMinutes(5));
        var late = driver.deliver(event);

        // THEN one slot, one command, one completion
        assertThat(again).containsEntry("outcome", "Ignored");
        assertThat(late).containsEntry("outcome", "Ignored");
        assertThat(cloud.commandsSent()).hasSize(1);
        assertThat(cloud.completions()).hasSize(1);
        assertThat(cloud.eniIds().stream().filter(e -> cloud.eniHolder(e).isPresent())).hasSize(1);
    }

    @Test
    void launch_shouldAbandon_whenItsAzHasNoFreeSlot() {
        // GIVEN node 1 running in us-east-1a
        cloud.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // WHEN a second instance launches into us-east-1a
        cloud.launch("i-0aaaaaaaaaaaaaaa9", "us-east-1a");
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN it is abandoned and holds nothing; node 1 is untouched
        assertThat(cloud.completions()).contains("i-0aaaaaaaaaaaaaaa9/zk-demo-launch=ABANDON");
        assertThat(cloud.eniHolder(eniOf(1))).contains("i-0aaaaaaaaaaaaaaa1");
        assertThat(cloud.lifecycleState("i-0aaaaaaaaaaaaaaa9")).isEqualTo("Terminated");
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("no free slot in us-east-1a");
    }

    @Test
    void launch_shouldGiveTheEniBack_andAbandon_whenTheVolumeIsHeldByALiveMember() {
        // GIVEN node 1 in service, and node 2's ENI free while its volume is (wrongly) on node 1's instance
        cloud.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");
        driver.runUntilQuiet(Duration.ofMinutes(5));
        // The fake enforces AZs, so build the inconsistency inside one AZ: a second slot in us-east-1a.
        var eni = cloud.addSlot("us-east-1a", "10.0.1.20",
                Map.of("zkasg:cluster", "zk-demo", "zkasg:node-id", "4"),
                Map.of("zkasg:cluster", "zk-demo", "zkasg:node-id", "4"), 4);
        var volume4 = cloud.volumeIds().get(3);
        cloud.ec2().attachVolume(volume4, "i-0aaaaaaaaaaaaaaa1", "/dev/sdg");

        // WHEN a new instance launches into us-east-1a (nothing runs ZooKeeper at node 4's address)
        driver.zk().down("10.0.1.20");
        cloud.launch("i-0aaaaaaaaaaaaaaa7", "us-east-1a");
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN it was abandoned, and its terminate hook gave node 4's ENI back
        assertThat(cloud.eniHolder(eni)).isEmpty();
        assertThat(cloud.completions()).contains("i-0aaaaaaaaaaaaaaa7/zk-demo-launch=ABANDON");
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("is held by live member i-0aaaaaaaaaaaaaaa1");
    }

    @Test
    void launch_shouldWaitWithoutSleeping_andResume_whenTheVolumeIsStillHeldByALeavingInstance() {
        // GIVEN node 2 in service; a terminate hook so that a leaving instance keeps its volume for a while
        var env = new HashMap<>(CloudDriver.DEMO_ENV);
        var d = CloudDriver.demo(7, new PrintStream(log, true, StandardCharsets.UTF_8), env, 1);
        var c = d.cloud();
        c.launch("i-0bbbbbbbbbbbbbbb2", "us-east-1b");
        d.runUntilQuiet(Duration.ofMinutes(5));
        var eni2 = c.eniIds().get(1);
        var volume2 = c.volumeIds().get(1);
        // The old node is leaving: its ENI is already detached, its volume not yet (Terminating:Wait).
        c.terminate("i-0bbbbbbbbbbbbbbb2");
        c.takeDue();
        var attachment = c.ec2().describeInstance("i-0bbbbbbbbbbbbbbb2").orElseThrow().nic(eni2).orElseThrow();
        c.ec2().detachEni(attachment.attachmentId(), false);

        // WHEN the replacement launches into us-east-1b
        var event = c.launch("i-0bbbbbbbbbbbbbbb5", "us-east-1b");
        c.takeDue();
        var first = d.deliver(event);

        // THEN it holds the ENI and waits on the queue, not in a sleeping Lambda
        assertThat(first).containsEntry("outcome", "Deferred");
        assertThat(c.eniHolder(eni2)).contains("i-0bbbbbbbbbbbbbbb5");
        assertThat(c.pending()).anyMatch(p -> p instanceof Delivery.Resume);

        // WHEN the old instance finally goes (its volume is released) and time moves on
        c.crash("i-0bbbbbbbbbbbbbbb2");
        d.runUntilQuiet(Duration.ofMinutes(10));

        // THEN the replacement got node 2's volume too and continued
        assertThat(c.volumeHolder(volume2)).contains("i-0bbbbbbbbbbbbbbb5");
        assertThat(c.completions()).contains("i-0bbbbbbbbbbbbbbb5/zk-demo-launch=CONTINUE");
    }

    @Test
    void launch_shouldDefer_andSendHeartbeats_untilTheSsmAgentRegisters() {
        // GIVEN an agent that registers 20 minutes after boot (longer than half the 900 s heartbeat timeout)
        cloud.boot(Duration.ZERO, Duration.ofMinutes(20));
        cloud.launch("i-0ccccccccccccccc3", "us-east-1c");

        // WHEN events are delivered for 30 minutes of virtual time
        driver.runUntilQuiet(Duration.ofMinutes(30));

        // THEN the launch waited through resumes and heartbeats, then continued before its hook timed out
        assertThat(cloud.calls().stream().filter(c -> c.operation().equals("RecordLifecycleActionHeartbeat")))
                .isNotEmpty();
        assertThat(cloud.calls().stream().filter(c -> c.operation().equals("SendMessage"))).hasSizeGreaterThan(10);
        assertThat(cloud.timedOutActions()).isEmpty();
        assertThat(cloud.completions()).containsExactly("i-0ccccccccccccccc3/zk-demo-launch=CONTINUE");
    }

    @Test
    void launch_shouldTakeTheNextSlot_whenDescribesLagAndTheFirstChoiceIsTaken() {
        // GIVEN two slots per AZ, describes that lag behind attaches, and two instances launching into us-east-1a
        var d = CloudDriver.demo(3, new PrintStream(log, true, StandardCharsets.UTF_8), CloudDriver.DEMO_ENV, 2);
        var c = d.cloud().staleReads(5);
        var first = c.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");
        var second = c.launch("i-0aaaaaaaaaaaaaaa2", "us-east-1a");
        c.takeDue();

        // WHEN both are handled back to back
        d.deliver(first);
        d.deliver(second);
        d.runUntilQuiet(Duration.ofMinutes(10));

        // THEN both got a distinct slot of us-east-1a and continued
        assertThat(c.completions()).containsExactlyInAnyOrder("i-0aaaaaaaaaaaaaaa1/zk-demo-launch=CONTINUE",
                "i-0aaaaaaaaaaaaaaa2/zk-demo-launch=CONTINUE");
        var ids = c.commandsSent().stream().map(cmd -> cmd.parameters().get("NodeId")).toList();
        assertThat(ids).containsExactlyInAnyOrder("1", "4");
    }

    @Test
    void launch_shouldKeepTheEniOnTermination_whenTheResumedLaunchSeesAnAttachmentThatWouldDeleteIt() {
        // GIVEN attachments that default to DeleteOnTermination=true and an agent that registers a minute after boot
        // (the launch attaches, SendCommand answers InvalidInstanceId, the resumed launch describes the attachment)
        cloud.eniDeleteOnTerminationByDefault(true);
        cloud.boot(Duration.ZERO, Duration.ofMinutes(1));
        cloud.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");
        driver.runUntilQuiet(Duration.ofMinutes(5));
        assertThat(cloud.completions()).containsExactly("i-0aaaaaaaaaaaaaaa1/zk-demo-launch=CONTINUE");

        // WHEN the instance dies
        cloud.crash("i-0aaaaaaaaaaaaaaa1");

        // THEN the ENI (the static IP) survives, free for the replacement
        assertThat(cloud.calls()).anyMatch(c -> c.operation().equals("ModifyNetworkInterfaceAttribute"));
        assertThat(cloud.calls()).noneMatch(c -> c.operation().equals("DescribeInstanceInformation"));
        assertThat(cloud.eniIds()).hasSize(3);
        assertThat(cloud.eniHolder(eniOf(1))).isEmpty();
    }

    @Test
    void launch_shouldDefer_whenThrottledBeyondTheSdkRetries() {
        // GIVEN the first DescribeNetworkInterfaces is throttled
        cloud.throttle("DescribeNetworkInterfaces", 1);
        cloud.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");

        // WHEN events are delivered
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN the launch came back through the queue and continued
        assertThat(driver.transcript()).anyMatch(t -> t.contains("Deferred"));
        assertThat(cloud.completions()).containsExactly("i-0aaaaaaaaaaaaaaa1/zk-demo-launch=CONTINUE");
    }

    @Test
    void commandStatus_shouldHandTheCompletionOnThroughTheResumeQueue_whenItIsThrottledPastTheSdkRetries() {
        // GIVEN a launch whose bootstrap is about to report Success
        cloud.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");
        var success = runUntilBootstrapSuccess();

        // WHEN Auto Scaling throttles the completion past the SDK's attempts (30 % refused: 0.24 % of hooks)
        cloud.throttle("CompleteLifecycleAction", 1);
        cloud.clearCalls();
        var result = driver.deliver(success);

        // THEN the status invocation does not fail (Lambda would retry it only a minute later): the launch goes on
        // through the resume queue after the resume delay (15 s), reads the command's Success from SSM and continues
        assertThat(result.get("outcome")).isEqualTo("Deferred");
        driver.runUntilQuiet(Duration.ofSeconds(20));
        assertThat(cloud.completions()).containsExactly("i-0aaaaaaaaaaaaaaa1/zk-demo-launch=CONTINUE");
        assertThat(cloud.lifecycleState("i-0aaaaaaaaaaaaaaa1")).isEqualTo("InService");
        // without a heartbeat (the command's wait stamp shows the hook has its whole command timeout left) and
        // without the hook's timeout
        assertThat(cloud.calls()).noneMatch(c -> c.operation().equals("RecordLifecycleActionHeartbeat"));
        assertThat(cloud.timedOutActions()).isEmpty();
    }

    @Test
    void commandStatus_shouldBeatTheHook_whenAThrottledCompletionIsHandedOnWithoutTheCommandsWaitStamp() {
        // GIVEN a launch whose bootstrap reports Success, and whose wait stamp EC2 does not show (a lagging read)
        cloud.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");
        var success = runUntilBootstrapSuccess();
        cloud.ec2().tagInstance("i-0aaaaaaaaaaaaaaa1", Map.of(InstanceTags.WAIT, "unreadable"));

        // WHEN the completion is throttled past the SDK's attempts
        cloud.throttle("CompleteLifecycleAction", 1);
        cloud.clearCalls();
        var result = driver.deliver(success);

        // THEN the hand-on beats the hook first (how long the hook has left is not known), then completes it
        assertThat(result.get("outcome")).isEqualTo("Deferred");
        assertThat(cloud.calls()).anyMatch(c -> c.operation().equals("RecordLifecycleActionHeartbeat"));
        driver.runUntilQuiet(Duration.ofSeconds(20));
        assertThat(cloud.completions()).containsExactly("i-0aaaaaaaaaaaaaaa1/zk-demo-launch=CONTINUE");
    }

    /** Delivers everything until the bootstrap's Success status falls due, and returns that status undelivered. */
    private Delivery runUntilBootstrapSuccess() {
        for (int i = 0; i < 200; i++) {
            for (var d : cloud.takeDue()) {
                if (d instanceof Delivery.CommandStatus s && s.status().equals("Success")) {
                    return d;
                }
                driver.deliver(d);
            }
            driver.clock().advance(Duration.ofSeconds(5));
        }
        throw new AssertionError("the bootstrap never reported Success: " + driver.transcript());
    }

    @Test
    void launch_shouldAbandon_whenNoSlotIsReadyWithinTheMaximumWait() {
        // GIVEN an agent that never registers within LAUNCH_MAX_WAIT_SECONDS=600
        var env = new HashMap<>(CloudDriver.DEMO_ENV);
        env.put("LAUNCH_MAX_WAIT_SECONDS", "600");
        var d = CloudDriver.demo(5, new PrintStream(log, true, StandardCharsets.UTF_8), env, 1);
        d.cloud().boot(Duration.ZERO, Duration.ofHours(2));
        d.zk().down("10.0.1.10"); // nothing runs ZooKeeper there: the host refuses the client port
        d.cloud().launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");

        // WHEN time passes
        d.runUntilQuiet(Duration.ofMinutes(20));

        // THEN it was abandoned by us (not by the timeout) and the slot is free again
        assertThat(d.cloud().completions()).containsExactly("i-0aaaaaaaaaaaaaaa1/zk-demo-launch=ABANDON",
                "i-0aaaaaaaaaaaaaaa1/zk-demo-terminate=CONTINUE");
        assertThat(d.cloud().eniIds()).allMatch(e -> d.cloud().eniHolder(e).isEmpty());
        assertThat(d.cloud().volumeIds()).allMatch(v -> d.cloud().volumeHolder(v).isEmpty());
    }

    @Test
    void launch_shouldAcceptTheSeedsNamePrefix_whenResourcesCarryOnlyNameTags() {
        // GIVEN slots named ZOOKEEPER-<n> without cluster tags, and LEGACY_NAME_PREFIX=ZOOKEEPER-
        var env = new HashMap<>(CloudDriver.DEMO_ENV);
        env.put("LEGACY_NAME_PREFIX", "ZOOKEEPER-");
        var d = CloudDriver.demo(5, new PrintStream(log, true, StandardCharsets.UTF_8), env, 0);
        for (int n = 1; n <= 3; n++) {
            d.cloud().addSlot(CloudDriver.DEMO_AZS.get(n - 1), "10.0." + n + ".10", Map.of("Name", "ZOOKEEPER-" + n),
                    Map.of("Name", "ZOOKEEPER-" + n), n);
        }
        d.cloud().launch("i-0ccccccccccccccc3", "us-east-1c");

        // WHEN
        d.runUntilQuiet(Duration.ofMinutes(5));

        // THEN node 3 was found by its name
        assertThat(d.cloud().commandsSent().get(0).parameters()).containsEntry("NodeId", "3")
                .containsEntry("Servers", "1=10.0.1.10,2=10.0.2.10,3=10.0.3.10");
        assertThat(d.cloud().completions()).containsExactly("i-0ccccccccccccccc3/zk-demo-launch=CONTINUE");
    }

    @Test
    void status_shouldAbandonAndReleaseTheSlot_whenTheBootstrapFails_andIgnoreLateEvents() {
        // GIVEN a bootstrap that fails
        cloud.commandOutcome(c -> "Failed");
        driver.zk().down("10.0.1.10"); // its ZooKeeper does not run: the host refuses the client port
        var event = cloud.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");

        // WHEN it runs, and the launch event arrives once more afterwards
        driver.runUntilQuiet(Duration.ofMinutes(5));
        var late = driver.deliver(event);

        // THEN the hook was abandoned once, the instance's terminate hook released the slot, the late event changed
        // nothing
        assertThat(cloud.completions()).containsExactly("i-0aaaaaaaaaaaaaaa1/zk-demo-launch=ABANDON",
                "i-0aaaaaaaaaaaaaaa1/zk-demo-terminate=CONTINUE");
        assertThat(cloud.eniHolder(eniOf(1))).isEmpty();
        assertThat(cloud.volumeHolder(volumeOf(1))).isEmpty();
        assertThat(late).containsEntry("outcome", "Ignored");
    }

    @Test
    void status_shouldIgnoreOtherCommands_nonTerminalStatuses_andTreatLateDuplicatesAsDone() {
        // GIVEN a launch whose command succeeded
        cloud.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");
        driver.runUntilQuiet(Duration.ofMinutes(5));
        var id = cloud.commandsSent().get(0).commandId();
        var now = driver.clock().instant();
        cloud.clearCalls();

        // WHEN other and repeated statuses arrive
        var other = driver.deliver(new Delivery.CommandStatus(id, "i-0aaaaaaaaaaaaaaa1", "AWS-RunShellScript",
                "Failed", now));
        var progress = driver.deliver(new Delivery.CommandStatus(id, "i-0aaaaaaaaaaaaaaa1", "zk-demo-bootstrap",
                "InProgress", now));
        var duplicate = driver.deliver(new Delivery.CommandStatus(id, "i-0aaaaaaaaaaaaaaa1", "zk-demo-bootstrap",
                "Success", now));
        var hostile = driver.functions().commandStatus(EventJson.commandStatus(new Delivery.CommandStatus(
                "$(reboot)", "i-0aaaaaaaaaaaaaaa1", "zk-demo-bootstrap", "Failed", now), now)
                .getBytes(StandardCharsets.UTF_8));

        // THEN nothing changed; the duplicate counted as already done
        assertThat(other).containsEntry("outcome", "Ignored");
        assertThat(progress).containsEntry("outcome", "Ignored");
        assertThat(duplicate).containsEntry("outcome", "Completed").containsEntry("alreadyDone", true);
        assertThat(hostile).containsEntry("outcome", "Ignored");
        assertThat(cloud.calls()).extracting(CloudState.Call::mutating).containsOnly(true);
        assertThat(cloud.calls()).hasSize(1);
        assertThat(cloud.eniHolder(eniOf(1))).contains("i-0aaaaaaaaaaaaaaa1");
    }

    @Test
    void resume_shouldDropMalformedOrForeignTickets_withoutAnyCall() {
        // WHEN resume messages that are not our tickets arrive
        var results = List.of(
                driver.functions().resume("m1", "not json"),
                driver.functions().resume("m2", "{\"version\":1}"),
                driver.functions().resume("m3", "{\"version\":1,\"group\":\"other\",\"hook\":\"zk-demo-launch\","
                        + "\"instanceId\":\"i-0aaaaaaaaaaaaaaa1\",\"startedAt\":\"2026-11-25T12:00:00Z\","
                        + "\"lastHeartbeat\":\"2026-11-25T12:00:00Z\",\"attempt\":2,\"chain\":\"0123456789abcdef\"}"));

        // THEN they are acknowledged (retrying cannot fix them) and nothing was called
        assertThat(results).containsOnly(true);
        assertThat(cloud.calls()).isEmpty();
    }

    @Test
    void launch_shouldDefer_whenAttachFailsWithAThrottleThenSucceed() {
        // GIVEN the attach of the ENI is throttled once
        cloud.failNext("AttachNetworkInterface", new CloudException.Throttled("RequestLimitExceeded", "slow down"));
        cloud.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");

        // WHEN
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN
        assertThat(cloud.completions()).containsExactly("i-0aaaaaaaaaaaaaaa1/zk-demo-launch=CONTINUE");
    }

    @Test
    void terminate_shouldStopReleaseAndContinue_andTheReplacementGetsTheSameSlot() {
        // GIVEN three members in service
        cloud.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");
        cloud.launch("i-0bbbbbbbbbbbbbbb2", "us-east-1b");
        cloud.launch("i-0ccccccccccccccc3", "us-east-1c");
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // WHEN node 2 is terminated and a replacement launches into the same AZ
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        driver.runUntilQuiet(Duration.ofMinutes(5));
        cloud.launch("i-0bbbbbbbbbbbbbbb5", "us-east-1b");
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN ZooKeeper was stopped through the stop document, the hook continued, and node 2 came back
        assertThat(cloud.commandsSent()).anyMatch(c -> c.documentName().equals("zk-demo-stop")
                && c.instanceId().equals("i-0bbbbbbbbbbbbbbb2")
                && c.parameters().get("VolumeId").equals(volumeOf(2)));
        assertThat(cloud.completions()).contains("i-0bbbbbbbbbbbbbbb2/zk-demo-terminate=CONTINUE",
                "i-0bbbbbbbbbbbbbbb5/zk-demo-launch=CONTINUE");
        assertThat(cloud.eniHolder(eniOf(2))).contains("i-0bbbbbbbbbbbbbbb5");
        assertThat(cloud.volumeHolder(volumeOf(2))).contains("i-0bbbbbbbbbbbbbbb5");
        assertThat(cloud.instanceTags("i-0bbbbbbbbbbbbbbb5")).containsEntry("zkasg:node-id", "2");
    }

    @Test
    void terminate_shouldReleaseWithoutAStop_whenSsmCannotReachTheInstance() {
        // GIVEN a member of a full ensemble whose agent is gone (the other two keep a majority: the quorum guard
        // lets it go)
        cloud.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");
        cloud.launch("i-0bbbbbbbbbbbbbbb2", "us-east-1b");
        cloud.launch("i-0ccccccccccccccc3", "us-east-1c");
        driver.runUntilQuiet(Duration.ofMinutes(5));
        cloud.agentLost("i-0aaaaaaaaaaaaaaa1");

        // WHEN it is terminated
        cloud.terminate("i-0aaaaaaaaaaaaaaa1");
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN no stop was sent, the slot is free and the hook continued
        assertThat(cloud.commandsSent()).noneMatch(c -> c.documentName().equals("zk-demo-stop"));
        assertThat(cloud.completions()).contains("i-0aaaaaaaaaaaaaaa1/zk-demo-terminate=CONTINUE");
        assertThat(cloud.eniHolder(eniOf(1))).isEmpty();
        assertThat(cloud.volumeHolder(volumeOf(1))).isEmpty();
    }
}
