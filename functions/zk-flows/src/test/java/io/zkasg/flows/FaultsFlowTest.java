package io.zkasg.flows;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.core.InstanceTags;
import io.zkasg.core.model.EniView;
import io.zkasg.core.model.InstanceView;
import io.zkasg.core.model.VolumeView;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.Ec2Port;
import io.zkasg.lambda.Wiring;
import io.zkasg.testkit.Delivery;
import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.FakeZk;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Faults the functions must survive (issue 15): a lost message or event, a status event that never comes, EC2 not
 * knowing a fresh instance yet, two bootstraps at once. The health function runs every minute, as scheduled; every
 * lifecycle action must end by a function, never by its timeout.
 */
class FaultsFlowTest {

    private static final String IP1 = "10.0.1.10";
    private static final String IP2 = "10.0.2.10";
    private static final String IP3 = "10.0.3.10";
    private static final String I1 = "i-0aaaaaaaaaaaaaaa1";
    private static final String I2 = "i-0bbbbbbbbbbbbbbb2";
    private static final String I3 = "i-0ccccccccccccccc3";

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private CloudDriver driver;
    private FakeCloud cloud;
    private FakeZk zk;

    @BeforeEach
    void cloud() {
        var env = new HashMap<>(CloudDriver.DEMO_ENV);
        env.put("TERMINATE_MAX_WAIT_SECONDS", "3600");
        driver = CloudDriver.demo(15, new PrintStream(log, true, StandardCharsets.UTF_8), env, 1);
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
    }

    private void threeMembers() {
        cloud.launch(I1, "us-east-1a");
        cloud.launch(I2, "us-east-1b");
        cloud.launch(I3, "us-east-1c");
        driver.runUntilQuiet(Duration.ofMinutes(5));
        zk.serving(IP1, "leader").serving(IP2, "follower").serving(IP3, "follower");
        assertThat(cloud.completions()).hasSize(3);
    }

    /** Delivers everything due, 5 s at a time, until the bootstrap's Failed status comes: held back, returned. */
    private Delivery failedStatusHeldBack() {
        Delivery failed = null;
        for (int i = 0; i < 200 && failed == null; i++) {
            for (var d : cloud.takeDue()) {
                if (d instanceof Delivery.CommandStatus s && s.status().equals("Failed")) {
                    failed = d;
                } else {
                    driver.deliver(d);
                }
            }
            driver.clock().advance(Duration.ofSeconds(5));
        }
        assertThat(failed).as("bootstrap failed").isNotNull();
        return failed;
    }

    /**
     * Launches {@code id} in {@code az} with its launch function crashing (a Lambda timeout) on the tag write right
     * after its SendCommand, and delivers what falls due until its hook is completed: the bootstrap succeeds and its
     * status completes the hook, so the instance serves in its slot without the node-id tag (nor the command tag).
     * The crashed invocation's retries are lost (a retry within the heartbeat timeout would send a second bootstrap
     * and write the tags: the launch does not ask Auto Scaling whether the action is still open before it sends).
     */
    private void launchCrashingBeforeItsTags(String id, String az) {
        var crashed = new AtomicBoolean();
        cloud.beforeCall(op -> {
            if (op.equals("CreateTags") && !crashed.get() && cloud.commandsSent().stream()
                    .anyMatch(c -> c.instanceId().equals(id) && c.documentName().equals("zk-demo-bootstrap"))) {
                crashed.set(true);
                cloud.failNext("CreateTags", new IllegalStateException("Task timed out after 120.00 seconds"));
            }
        });
        cloud.launch(id, az);
        Delivery crash = null;
        for (int i = 0; i < 200 && !cloud.completions().contains(id + "/zk-demo-launch=CONTINUE"); i++) {
            for (var d : cloud.takeDue()) {
                try {
                    driver.deliver(d);
                } catch (IllegalStateException e) {
                    crash = d;
                }
            }
            driver.clock().advance(Duration.ofSeconds(5));
        }
        cloud.beforeCall(op -> { });
        assertThat(crash).as("the launch crashed after its SendCommand").isNotNull();
        assertThat(cloud.completions()).contains(id + "/zk-demo-launch=CONTINUE");
        assertThat(cloud.instanceTags(id)).doesNotContainKey("zkasg:node-id");
        assertThat(cloud.commandsSent().stream().filter(c -> c.instanceId().equals(id))).hasSize(1);
    }

    @Test
    void launchCrashedBetweenItsBootstrapAndItsTags_shouldGetItsNodeIdTagBackFromTheHealthFunction() {
        // GIVEN three members; node 2 leaves (stopped under the stop lease, which it keeps until a replacement serves)
        threeMembers();
        cloud.terminate(I2);
        driver.runUntilQuiet(Duration.ofMinutes(10));
        assertThat(cloud.completions()).contains(I2 + "/zk-demo-terminate=CONTINUE");
        assertThat(driver.lease().current("zk-demo")).hasValueSatisfying(h -> assertThat(h.nodeId()).isEqualTo(2));

        // WHEN its replacement's launch crashes between SendCommand and the tags (the model check's crash after a
        // call): the bootstrap succeeds and completes the hook, whose status handler finds no node-id tag to tell
        // whom the lease waits for
        var replacement = "i-0dddddddddddddd44";
        launchCrashingBeforeItsTags(replacement, "us-east-1b");
        assertThat(cloud.lifecycleState(replacement)).isEqualTo("InService");
        assertThat(cloud.eniHolder(cloud.eniIds().get(1))).hasValue(replacement);

        // ... and the health function runs
        driver.health();

        // THEN the tag is back (the slot's node id, the one the launch would have written), said in a problem line,
        // and the stop lease held for node 2 is released (the health function sees node 2 serve) before its expiry
        assertThat(cloud.instanceTags(replacement)).containsEntry("zkasg:node-id", "2");
        assertThat(log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("\"node-id-mismatch\"")))
                .singleElement().satisfies(l -> assertThat(l).contains("\"action\":\"written back\"")
                        .contains(replacement));
        assertThat(driver.lease().current("zk-demo")).isEmpty();
        assertThat(driver.lease().expiredTakeovers()).isEmpty();

        // ... and the next run finds nothing to repair
        driver.health();
        assertThat(log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("\"node-id-mismatch\"")))
                .hasSize(1);
    }

    @Test
    void untaggedMember_shouldGetItsTagOnTheNextRun_whenEc2ThrottlesTheWrite_withoutFailingTheHealthRun() {
        // GIVEN a member whose launch crashed before its tags, and EC2 throttling the health function's tag write
        var id = "i-0dddddddddddddd44";
        launchCrashingBeforeItsTags(id, "us-east-1a");
        cloud.throttle("CreateTags", 1);

        // WHEN
        driver.health();

        // THEN the run went on and said so; the next run writes the tag
        assertThat(cloud.instanceTags(id)).doesNotContainKey("zkasg:node-id");
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("\"action\":\"not written: RequestLimitExceeded\"")
                .contains("\"step\":\"health-checked\"").doesNotContain("health-check-failed");
        driver.health();
        assertThat(cloud.instanceTags(id)).containsEntry("zkasg:node-id", "1");
    }

    @Test
    void untaggedMember_shouldKeepItsTagMissing_whileItsSlotIsSplit() {
        // GIVEN a member whose launch crashed before its tags, and its volume taken off by hand: the slot's parts
        // disagree about who holds node 1
        var id = "i-0dddddddddddddd44";
        launchCrashingBeforeItsTags(id, "us-east-1a");
        cloud.ec2().detachVolume(cloud.volumeIds().get(0), id, false);
        cloud.advance(Duration.ofMinutes(1));

        // WHEN
        driver.health();

        // THEN reported (untagged, slot split) but no tag written: only a whole slot names the node
        assertThat(cloud.instanceTags(id)).doesNotContainKey("zkasg:node-id");
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("\"problem\":\"slot-split\"")
                .contains("\"problem\":\"node-id-mismatch\"").contains("\"action\":\"none yet: ");
    }

    /** Loses the first {@code count} deliveries that {@code what} accepts. */
    private static Predicate<Delivery> loseFirst(int count, Predicate<Delivery> what) {
        var lost = new AtomicInteger();
        return d -> what.test(d) && lost.getAndIncrement() < count;
    }

    @Test
    void lostResume_whileATerminateWaitsInTheGuard_shouldBeRedriven_andNeverStopTheNodeBelowAMajority() {
        // GIVEN three members, node 1 down, node 2 leaving: the guard holds node 2
        threeMembers();
        zk.down(IP1);
        cloud.terminate(I2);

        // WHEN its first resume message is lost, and 20 minutes pass (more than the 900 s heartbeat timeout)
        driver.runWithHealth(Duration.ofMinutes(20), loseFirst(1, d -> d instanceof Delivery.Resume));

        // THEN the reconciler re-drove it: still waiting in the guard, node 2 not stopped, the hook alive
        assertThat(driver.transcript()).anyMatch(l -> l.endsWith("-> LOST"));
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("wait-redriven");
        // ... and said so on the dashboard: a pass that found the wait stale and re-drove it
        assertThat(log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("\"WaitsRedriven\":1.0")))
                .isNotEmpty().allMatch(l -> l.contains("\"StaleWaits\":1.0") && l.contains("\"WaitingActions\":1.0"));
        assertThat(driver.stops(I2)).isZero();
        assertThat(cloud.lifecycleState(I2)).isEqualTo("Terminating:Wait");
        assertThat(cloud.timedOutActions()).isEmpty();

        // WHEN node 1 serves again: the health function had it replaced meanwhile (node 2, leaving, still serves and
        // counts: issue 15, item 3), so its replacement takes slot 1 and serves, as Auto Scaling would launch it
        if (cloud.markedUnhealthy().contains(I1)) {
            cloud.launch("i-0aaaaaaaaaaaaaaa4", "us-east-1a");
        } else {
            zk.serving(IP1, "follower");
        }
        driver.runWithHealth(Duration.ofMinutes(5), d -> false);

        // THEN node 2 is stopped once, its slot released, and the hook continued by a function
        assertThat(driver.stops(I2)).isEqualTo(1);
        assertThat(cloud.completions()).contains(I2 + "/zk-demo-terminate=CONTINUE");
        assertThat(cloud.eniHolder(cloud.eniIds().get(1))).isEmpty();
        assertThat(cloud.timedOutActions()).isEmpty();
    }

    @Test
    void everyWait_shouldEndByAFunction_whenAnyOneDeliveryIsLost() {
        // For each kind of delivery in a launch and a terminate: lose its first one; the action still ends by a
        // function (the reconciler re-drives it), never by the hook's timeout.
        for (var kind : List.<Predicate<Delivery>>of(
                d -> d instanceof Delivery.Lifecycle l && l.isLaunch(),
                d -> d instanceof Delivery.CommandStatus s && s.documentName().equals("zk-demo-bootstrap")
                        && !s.status().equals("InProgress"),
                d -> d instanceof Delivery.Lifecycle l && !l.isLaunch(),
                d -> d instanceof Delivery.CommandStatus s && s.documentName().equals("zk-demo-stop")
                        && !s.status().equals("InProgress"))) {
            cloud();
            cloud.boot(Duration.ofSeconds(30), Duration.ofSeconds(30)); // the launch waits (resume chain) a while
            var id = cloud.launch("us-east-1a");
            driver.runWithHealth(Duration.ofMinutes(20), loseFirst(1, kind));
            assertThat(cloud.completions()).as(driver.transcript().toString()).containsExactly(
                    id + "/zk-demo-launch=CONTINUE");
            // One server of three slots is no quorum. Its server is down (refused), so its stop costs nothing; one
            // that runs outside the quorum would wait for a majority (a voter: docs/quorum.md, below quorum).
            zk.down(IP1);
            cloud.terminate(id);
            driver.runWithHealth(Duration.ofMinutes(20), loseFirst(1, kind));
            assertThat(cloud.completions()).as(driver.transcript().toString())
                    .contains(id + "/zk-demo-terminate=CONTINUE");
            assertThat(cloud.timedOutActions()).as(driver.transcript().toString()).isEmpty();
            assertThat(driver.transcript()).anyMatch(l -> l.endsWith("-> LOST"));
        }
    }

    @Test
    void launch_shouldWaitAndRetry_whenEc2DoesNotKnowTheInstanceYet() {
        // GIVEN DescribeInstances answers InvalidInstanceID.NotFound for the first 20 s after RunInstances
        cloud.unknownAfterLaunch(Duration.ofSeconds(20));

        // WHEN the launch event arrives at once
        var id = cloud.launch("us-east-1a");
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN the launch waited, then took a slot and completed
        assertThat(cloud.completions()).containsExactly(id + "/zk-demo-launch=CONTINUE");
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("EC2 does not show the instance yet");
        assertThat(cloud.timedOutActions()).isEmpty();
    }

    @Test
    void launch_shouldBeDropped_whenEc2StillDoesNotKnowTheInstanceAfterFiveMinutes() {
        // GIVEN EC2 never shows the instance (within the test)
        cloud.unknownAfterLaunch(Duration.ofHours(2));

        // WHEN
        cloud.launch("us-east-1a");
        driver.runUntilQuiet(Duration.ofMinutes(10));

        // THEN it waited, bounded, then gave up without a mutation
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("EC2 does not show the instance yet")
                .contains("unknown to EC2");
        assertThat(cloud.pending()).noneMatch(d -> d instanceof Delivery.Resume);
        assertThat(cloud.calls()).noneMatch(c -> c.operation().startsWith("Attach"));
    }

    @Test
    void secondBootstrap_whenTheCommandTagWasNotWritten_shouldNotAbandonTheNode_whenTheUntaggedOneFails() {
        // GIVEN the tag write after the first SendCommand fails (throttled after the SDK's retries): the launch
        // comes back, sees no command tag and sends a second bootstrap; the first, overlapping, fails
        var id = cloud.launch("us-east-1a");
        cloud.registerAgent(id);
        cloud.advance(Duration.ofSeconds(1));
        cloud.commandOutcome(c -> {
            if (cloud.commandsSent().get(0).commandId().equals(c.commandId())) {
                return "Failed";
            }
            zk.serving(c.parameters().get("EniIp"), "follower");
            return "Success";
        });
        var tagWrites = new AtomicInteger();
        cloud.beforeCall(op -> {
            if (op.equals("CreateTags") && cloud.commandsSent().size() == 1 && tagWrites.getAndIncrement() == 0) {
                cloud.failNext("CreateTags", new CloudException.Throttled("RequestLimitExceeded", "Rate exceeded"));
            }
        });

        // WHEN
        driver.runWithHealth(Duration.ofMinutes(20), d -> false);

        // THEN two bootstraps ran, the untagged one failed, and the node was not abandoned: the launch continued
        assertThat(cloud.commandsSent()).hasSize(2);
        assertThat(cloud.completions()).containsExactly(id + "/zk-demo-launch=CONTINUE");
        assertThat(cloud.lifecycleState(id)).isEqualTo("InService");
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("not abandoning a node another bootstrap may serve");
    }

    @Test
    void taggedBootstrapFailure_shouldStillAbandon_whenItsStatusEventIsLost() {
        // GIVEN the bootstrap fails and its status event is lost
        cloud.commandOutcome(c -> "Failed");
        var id = cloud.launch("us-east-1a");

        // WHEN
        driver.runWithHealth(Duration.ofMinutes(20), loseFirst(1, d -> d instanceof Delivery.CommandStatus s
                && s.status().equals("Failed")));

        // THEN the reconciler read the status from SSM and the launch was abandoned by a function
        assertThat(cloud.completions()).contains(id + "/zk-demo-launch=ABANDON");
        assertThat(cloud.calls()).anyMatch(c -> c.operation().equals("GetCommandInvocation"));
        assertThat(cloud.timedOutActions()).isEmpty();
    }

    @Test
    void bootstrapFailure_shouldNotFailTheStatusHandler_whenEc2ThrottlesItsRead_theLaunchIsAbandonedLater() {
        // GIVEN a launch whose bootstrap fails
        cloud.commandOutcome(c -> "Failed");
        var id = cloud.launch("us-east-1a");
        var failed = failedStatusHeldBack();

        // WHEN EC2 throttles the status handler's read of the instance (the model check, seed 20261279)
        cloud.throttle("DescribeInstances", 1);
        var result = driver.deliver(failed);

        // THEN the handler does not fail (in AWS a failed invocation is retried a minute later, or not at all): the
        // launch goes on through the resume queue, which reads the status from SSM and abandons it; the abandoned
        // instance's terminate hook releases the slot
        assertThat(result.get("outcome")).isEqualTo("Deferred");
        zk.down(IP1); // the failed bootstrap's ZooKeeper does not run: its host refuses the client port
        driver.runUntilQuiet(Duration.ofMinutes(5));
        assertThat(cloud.completions()).contains(id + "/zk-demo-launch=ABANDON")
                .doesNotContain(id + "/zk-demo-launch=CONTINUE");
        assertThat(cloud.eniHolder(cloud.eniIds().get(0))).isEmpty();
        assertThat(cloud.volumeHolder(cloud.volumeIds().get(0))).isEmpty();
        assertThat(cloud.timedOutActions()).isEmpty();
    }

    @Test
    void waitBehindAStaleOne_shouldBeKeptAlive_whenTheHealthRunsDieWhileReDrivingTheOneBeforeIt() {
        // GIVEN two launches whose bootstraps succeed but whose status events are lost
        var first = cloud.launch("us-east-1a");
        var second = cloud.launch("us-east-1b");
        java.time.Instant sentAt = null;
        for (int i = 0; i < 200 && sentAt == null; i++) {
            for (var d : cloud.takeDue()) {
                if (!(d instanceof Delivery.CommandStatus)) {
                    driver.deliver(d);
                }
            }
            if (cloud.commandsSent().size() == 2) {
                sentAt = driver.clock().instant();
            } else {
                driver.clock().advance(Duration.ofSeconds(5));
            }
        }
        assertThat(sentAt).as("both bootstraps sent").isNotNull();
        cloud.takeDue(); // their status events: lost

        // WHEN both waits are stale and four scheduled runs in a row die (a Lambda timeout) while re-driving the
        // first action, the one the group lists first (the model check, seeds 20266983 and 20268399)
        for (int run = 0; run < 4; run++) {
            driver.clock().set(sentAt.plus(Duration.ofSeconds(700 + 60 * run)));
            cloud.tick();
            cloud.failNext("SendMessage", new IllegalStateException("Task timed out after 60.00 seconds"));
            try {
                driver.health();
            } catch (IllegalStateException e) {
                // the run died
            }
        }
        driver.clock().set(sentAt.plus(Duration.ofSeconds(700 + 60 * 4)));
        cloud.tick();
        driver.health();
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN each run kept both actions alive before re-driving any, and a function ended both
        assertThat(cloud.timedOutActions()).isEmpty();
        assertThat(cloud.completions()).contains(first + "/zk-demo-launch=CONTINUE",
                second + "/zk-demo-launch=CONTINUE");
    }

    @Test
    void bootstrapFailure_seenByALaggingRead_shouldAbandonTheLaunchSoon_notAfterTheReconcilersGrace() {
        // GIVEN a launch whose bootstrap fails, and EC2 reads that can lag: the next DescribeInstances misses the
        // command tag written a moment before (tag reads are eventually consistent)
        var lagNext = new AtomicBoolean();
        laggingDriver(method -> method.equals("describeInstance") && lagNext.getAndSet(false),
                i -> withoutTag(i, InstanceTags.BOOTSTRAP_COMMAND), e -> e);
        cloud.commandOutcome(c -> "Failed");
        var id = cloud.launch("us-east-1a");
        var failed = failedStatusHeldBack();

        // WHEN the status handler's read of the instance lags behind the command tag (the model check with lagging
        // instance reads, seed 20261216: the reconciler's re-drive came 11 minutes later, after the quiet half hour)
        lagNext.set(true);
        driver.deliver(failed);
        driver.runUntilQuiet(Duration.ofMinutes(2));

        // THEN the handler did not abandon on an untagged status, but the launch went on at once through the resume
        // queue, which saw the tag and abandoned the launch on the tagged command's status read from SSM
        assertThat(cloud.completions()).contains(id + "/zk-demo-launch=ABANDON");
        assertThat(cloud.commandsSent()).hasSize(1);
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("not abandoning a node another bootstrap may serve");
        assertThat(cloud.timedOutActions()).isEmpty();
    }

    @Test
    void duplicateResume_seeingItsOwnSlotThroughLaggingReads_shouldNotAbandonTheLaunchThatHoldsIt() {
        // GIVEN a launch whose resumption attached the slot and sent the bootstrap, and a duplicate of that resume
        // message whose reads all lag: its instance shows no ENI and no command tag, the ENI shows no attachment, the
        // volume shows it attached to this very instance
        var lag = new AtomicBoolean();
        laggingDriver(method -> lag.get(), i -> withoutTag(new InstanceView(i.instanceId(), i.availabilityZone(),
                i.subnetId(), i.state(), i.tags(), List.of(), i.volumes()), InstanceTags.BOOTSTRAP_COMMAND),
                e -> new EniView(e.eniId(), e.availabilityZone(), e.subnetId(), e.privateIp(), e.macAddress(),
                        "available", e.tags(), Optional.empty()));
        var id = cloud.launch("us-east-1a");
        cloud.registerAgent(id);
        var sending = untilBootstrapSent(driver, cloud);

        // WHEN the duplicate comes (the model check with lagging instance reads, seed 20261169)
        lag.set(true);
        driver.deliver(sending);
        lag.set(false);
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN the launch that holds the slot is not abandoned (nor its slot detached under its bootstrap)
        assertThat(cloud.completions()).containsExactly(id + "/zk-demo-launch=CONTINUE");
        assertThat(cloud.eniHolder(cloud.eniIds().get(0))).hasValue(id);
        assertThat(cloud.volumeHolder(cloud.volumeIds().get(0))).hasValue(id);
    }

    @Test
    void abandonedLaunchsTerminate_shouldReleaseTheVolumeToo_whenTheInstancesReadLagsBehindItsAttach() {
        // GIVEN a launch whose bootstrap fails, and DescribeInstances lagging behind the volume's attach (it shows
        // the ENI only) while the status handler abandons the launch
        var lag = new AtomicBoolean();
        laggingDriver(method -> lag.get(), i -> new InstanceView(i.instanceId(), i.availabilityZone(), i.subnetId(),
                i.state(), i.tags(), i.networkInterfaces(), List.of()), e -> e, v -> v);
        cloud.commandOutcome(c -> "Failed");
        var id = cloud.launch("us-east-1a");
        var failed = failedStatusHeldBack();

        // WHEN the Failed status comes (the model check with lagging instance reads, seed 20270058: the ENI was
        // detached, the volume stayed, the next launch took the ENI: a slot on two instances)
        // and then the abandoned instance's terminate hook releases its slot, reads lagging as before
        zk.down(IP1); // the failed bootstrap's ZooKeeper does not run: its host refuses the client port
        lag.set(true);
        driver.deliver(failed);
        driver.runUntilQuiet(Duration.ofMinutes(5));
        lag.set(false);

        // THEN the release took the whole slot: the volume's own read shows it on the instance
        assertThat(cloud.completions()).contains(id + "/zk-demo-launch=ABANDON", id + "/zk-demo-terminate=CONTINUE");
        assertThat(cloud.eniHolder(cloud.eniIds().get(0))).isEmpty();
        assertThat(cloud.volumeHolder(cloud.volumeIds().get(0))).isEmpty();
    }

    @Test
    void abandonedLaunchsTerminate_shouldReleaseTheVolumeToo_whenEveryReadLagsBehindItsAttach_butTheEniShowsTheSlot() {
        // GIVEN a launch whose bootstrap fails, and both DescribeInstances and DescribeVolumes lagging behind the
        // volume's attach (only the ENI, attached first, shows) while the status handler abandons the launch
        var lag = new AtomicBoolean();
        laggingDriver(method -> lag.get(), i -> new InstanceView(i.instanceId(), i.availabilityZone(), i.subnetId(),
                i.state(), i.tags(), i.networkInterfaces(), List.of()), e -> e,
                v -> new VolumeView(v.volumeId(), v.availabilityZone(), "available", v.tags(), List.of()));
        cloud.commandOutcome(c -> "Failed");
        var id = cloud.launch("us-east-1a");
        var failed = failedStatusHeldBack();

        // WHEN the Failed status comes (the model check with every read lagging, seeds 20312399 and 20313537)
        // and then the abandoned instance's terminate hook releases its slot, reads lagging as before
        zk.down(IP1); // the failed bootstrap's ZooKeeper does not run: its host refuses the client port
        lag.set(true);
        driver.deliver(failed);
        driver.runUntilQuiet(Duration.ofMinutes(5));
        lag.set(false);

        // THEN the release took the whole slot: a slot's parts go together, and DetachVolume names the instance
        assertThat(cloud.completions()).contains(id + "/zk-demo-launch=ABANDON", id + "/zk-demo-terminate=CONTINUE");
        assertThat(cloud.eniHolder(cloud.eniIds().get(0))).isEmpty();
        assertThat(cloud.volumeHolder(cloud.volumeIds().get(0))).isEmpty();
    }

    /**
     * A driver whose EC2 reads lag while {@code lagNow} says so for the method called: DescribeInstances answers
     * {@code instance} of the real view, DescribeNetworkInterfaces {@code eni} of each real ENI.
     */
    private void laggingDriver(Predicate<String> lagNow, UnaryOperator<InstanceView> instance,
                               UnaryOperator<EniView> eni) {
        laggingDriver(lagNow, instance, eni, v -> v);
    }

    /** Like the above, DescribeVolumes answering {@code volume} of each real volume. */
    private void laggingDriver(Predicate<String> lagNow, UnaryOperator<InstanceView> instance,
                               UnaryOperator<EniView> eni, UnaryOperator<VolumeView> volume) {
        driver = CloudDriver.ensemble(15, new PrintStream(log, true, StandardCharsets.UTF_8), CloudDriver.DEMO_ENV, 3,
                Instant.parse("2026-11-25T12:00:00Z"), p -> new Wiring.Ports(lagging(p.ec2(), lagNow, instance, eni,
                        volume), p.autoScaling(), p.ssm(), p.scheduler(), p.zk(), p.lease()));
        cloud = driver.cloud();
        zk = driver.zk();
    }

    /** Delivers what is due, 5 s apart, until one delivery sends a bootstrap command; that delivery. */
    static Delivery untilBootstrapSent(CloudDriver driver, FakeCloud cloud) {
        Delivery sending = null;
        for (int i = 0; i < 200 && sending == null; i++) {
            for (var d : cloud.takeDue()) {
                if (sending == null && "CommandSent".equals(driver.deliver(d).get("outcome"))) {
                    sending = d;
                }
            }
            driver.clock().advance(Duration.ofSeconds(5));
        }
        assertThat(sending).as("bootstrap sent").isNotNull();
        return sending;
    }

    /** {@code ec2}, its describes answering {@code instance}, {@code eni}, {@code volume} when lagging. */
    static Ec2Port lagging(Ec2Port ec2, Predicate<String> lagNow, UnaryOperator<InstanceView> instance,
                                   UnaryOperator<EniView> eni, UnaryOperator<VolumeView> volume) {
        InvocationHandler handler = (proxy, method, args) -> {
            Object result;
            try {
                result = method.invoke(ec2, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            if (method.getName().equals("describeInstance") && lagNow.test(method.getName())) {
                return ((Optional<?>) result).map(i -> instance.apply((InstanceView) i));
            }
            if (method.getName().equals("clusterEnis") && lagNow.test(method.getName())) {
                return ((List<?>) result).stream().map(e -> eni.apply((EniView) e)).toList();
            }
            if (method.getName().equals("clusterVolumes") && lagNow.test(method.getName())) {
                return ((List<?>) result).stream().map(v -> volume.apply((VolumeView) v)).toList();
            }
            return result;
        };
        return (Ec2Port) Proxy.newProxyInstance(Ec2Port.class.getClassLoader(), new Class<?>[] {Ec2Port.class},
                handler);
    }

    private static InstanceView withoutTag(InstanceView i, String tag) {
        var tags = new HashMap<>(i.tags());
        tags.remove(tag);
        return new InstanceView(i.instanceId(), i.availabilityZone(), i.subnetId(), i.state(), tags,
                i.networkInterfaces(), i.volumes());
    }

    @Test
    void overdueWait_shouldBeKeptAlive_byAHealthRunInsideTheGrace_whenTheNextScheduledRunsAreLost() {
        // GIVEN a launch whose bootstrap succeeds but whose status event is lost
        var id = cloud.launch("us-east-1a");
        java.time.Instant sentAt = null;
        for (int i = 0; i < 200 && sentAt == null; i++) {
            for (var d : cloud.takeDue()) {
                if (!(d instanceof Delivery.CommandStatus)) {
                    driver.deliver(d);
                }
            }
            if (cloud.commandsSent().stream().anyMatch(c -> c.instanceId().equals(id))) {
                sentAt = driver.clock().instant();
            } else {
                driver.clock().advance(Duration.ofSeconds(5));
            }
        }
        assertThat(sentAt).as("bootstrap sent").isNotNull();
        cloud.takeDue(); // its status events: lost

        // WHEN one scheduled health run comes 30 s after the command's wait ended (inside the 60 s grace), and the
        // next runs are lost until 6 minutes later: past the heartbeat timeout (900 s) counted from the send
        driver.clock().set(sentAt.plus(Duration.ofSeconds(600 + 30)));
        driver.health();
        driver.clock().set(sentAt.plus(Duration.ofSeconds(600 + 30 + 360)));
        cloud.tick();
        driver.health();
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN the run inside the grace kept the action alive, the later run re-drove it, and a function ended it
        assertThat(cloud.timedOutActions()).isEmpty();
        assertThat(cloud.completions()).contains(id + "/zk-demo-launch=CONTINUE");
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("wait-kept-alive");
    }
    @Test
    void lostStopStatus_shouldBeKeptAliveByTheRunsBeforeItsWaitEnds_whenEveryRunAfterItIsLost() {
        // GIVEN three members; node 3 leaves, its stop is sent (the hook beaten, a wait stamp of the command's 600 s)
        // and the stop's status events are lost
        threeMembers();
        var sentAt = driver.clock().instant();
        cloud.terminate(I3);
        Predicate<Delivery> stopStatus = d -> d instanceof Delivery.CommandStatus s
                && s.documentName().equals("zk-demo-stop");
        driver.runWithHealth(Duration.ofSeconds(595), stopStatus);
        assertThat(driver.stops(I3)).isEqualTo(1);
        assertThat(cloud.lifecycleState(I3)).isEqualTo("Terminating:Wait");

        // WHEN every scheduled health run from the stamp's end on is lost (or dies) until 960 s after the send: past
        // the 900 s heartbeat timeout counted from the send (the model check, seeds 20300468 and 20303027)
        driver.clock().set(sentAt.plus(Duration.ofSeconds(960)));
        cloud.tick();
        driver.runWithHealth(Duration.ofMinutes(5), d -> false);

        // THEN the runs before the stamp's end kept the action alive (its heartbeat was a third of the timeout old),
        // the first run after the gap re-drove it, and a function ended it
        assertThat(cloud.timedOutActions()).isEmpty();
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("wait-kept-alive");
        assertThat(cloud.completions()).contains(I3 + "/zk-demo-terminate=CONTINUE");
    }
}
