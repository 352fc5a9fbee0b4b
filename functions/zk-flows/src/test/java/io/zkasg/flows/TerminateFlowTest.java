package io.zkasg.flows;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.core.port.StopLease;
import io.zkasg.lambda.Wiring;
import io.zkasg.testkit.CloudState;
import io.zkasg.testkit.Delivery;
import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.FakeZk;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The terminate path and its quorum guard, on the fake cloud with ZooKeeper answers set by the test. */
class TerminateFlowTest {

    private static final String IP1 = "10.0.1.10";
    private static final String IP2 = "10.0.2.10";
    private static final String IP3 = "10.0.3.10";

    private static final List<String> IPS = List.of(IP1, IP2, IP3);

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final List<String> belowMajority = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<String> stopsWithoutLease = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.Set<String> silentBootstraps = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.Set<String> failedBootstraps = java.util.concurrent.ConcurrentHashMap.newKeySet();
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
        cloud.commandOutcome(c -> {
            if (c.documentName().equals("zk-demo-bootstrap")) {
                if (silentBootstraps.contains(c.instanceId())) {
                    return null; // zk-start still waiting for its server to serve
                }
                zk.serving(c.parameters().get("EniIp"), "follower");
                if (failedBootstraps.contains(c.instanceId())) {
                    return "Failed"; // its server joined, then zk-start gave up waiting (a loaded host)
                }
            } else {
                var ip = IPS.get(Integer.parseInt(cloud.instanceTags(c.instanceId()).get("zkasg:node-id")) - 1);
                // The invariant: the orchestrator's own stop never leaves fewer than a majority serving.
                if (serving(ip) && IPS.stream().filter(this::serving).count() - 1 < 2) {
                    belowMajority.add("stopping " + c.instanceId() + " at " + driver.clock().instant());
                }
                // And every stop runs under the cluster's stop lease, held by the instance it stops.
                var holder = driver.lease().current("zk-demo");
                if (holder.isEmpty() || !holder.get().instanceId().equals(c.instanceId())
                        || holder.get().expired(driver.clock().instant())) {
                    stopsWithoutLease.add(c.instanceId() + " while the lease is " + holder);
                }
                zk.down(ip);
            }
            return "Success";
        });
        // Detaching a slot's ENI takes its address off the host: the server there no longer answers (the connection
        // times out). A detach of a serving node takes it out like a stop: the same invariant holds.
        cloud.listener(new CloudState.Listener() {
            @Override
            public void onEniDetached(String eniId, String instanceId) {
                var ip = IPS.get(cloud.eniIds().indexOf(eniId));
                if (serving(ip) && IPS.stream().filter(TerminateFlowTest.this::serving).count() - 1 < 2) {
                    belowMajority.add("detaching " + ip + " from " + instanceId + " at " + driver.clock().instant());
                }
                zk.unreachable(ip);
            }
        });
        cloud.launch("i-0aaaaaaaaaaaaaaa1", "us-east-1a");
        cloud.launch("i-0bbbbbbbbbbbbbbb2", "us-east-1b");
        cloud.launch("i-0ccccccccccccccc3", "us-east-1c");
        driver.runUntilQuiet(Duration.ofMinutes(5));
        zk.serving(IP1, "leader").serving(IP2, "follower").serving(IP3, "follower");
    }

    @AfterEach
    void everyStop_shouldHaveHeldTheStopLease() {
        assertThat(stopsWithoutLease).isEmpty();
    }

    private boolean serving(String ip) {
        return zk.probe(ip, 2181, Duration.ofSeconds(1)).serving();
    }

    /** One run of the health function, as its schedule would invoke it. */
    private void healthCheck(int run) {
        var event = "{\"id\":\"health-run-" + run + "\",\"source\":\"aws.events\",\"detail-type\":\"Scheduled Event\","
                + "\"time\":\"2026-11-25T12:30:00Z\",\"detail\":{}}";
        driver.functions().health(event.getBytes(StandardCharsets.UTF_8));
    }

    private String journal() {
        return log.toString(StandardCharsets.UTF_8);
    }

    @Test
    void terminate_shouldHoldWithHeartbeats_whileAnotherNodeIsDown_thenStopOnceItServesAgain() {
        // GIVEN node 1 does not answer (crashed JVM, host alive)
        zk.down(IP1);

        // WHEN node 2 is terminated and 20 minutes pass
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        driver.runUntilQuiet(Duration.ofMinutes(20));

        // THEN node 2 was not stopped: stopping it would leave 1 of 3 serving; the hook is kept alive
        assertThat(driver.stops("i-0bbbbbbbbbbbbbbb2")).isZero();
        assertThat(cloud.eniHolder(cloud.eniIds().get(1))).contains("i-0bbbbbbbbbbbbbbb2");
        assertThat(cloud.calls()).anyMatch(c -> c.operation().equals("RecordLifecycleActionHeartbeat"));
        assertThat(cloud.timedOutActions()).isEmpty();
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("would leave 1 of 3 serving");

        // WHEN node 1 serves again
        zk.serving(IP1, "follower");
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN node 2 is stopped cleanly, its slot released, the hook continued
        assertThat(driver.stops("i-0bbbbbbbbbbbbbbb2")).isEqualTo(1);
        assertThat(cloud.completions()).contains("i-0bbbbbbbbbbbbbbb2/zk-demo-terminate=CONTINUE");
        assertThat(cloud.eniHolder(cloud.eniIds().get(1))).isEmpty();
    }

    @Test
    void terminate_shouldNotStopALiveVoter_whileTheEnsembleIsBelowQuorum_thenStopOnceAMajorityServesWithoutIt() {
        // GIVEN nodes 2 and 3 are down (their hosts refuse the client port) and node 1's server runs outside a
        // quorum: it answers imok, then "not currently serving requests", like every live server below quorum
        zk.down(IP2).down(IP3).notServing(IP1);

        // WHEN node 1 is terminated (an instance refresh) and 20 minutes pass
        cloud.terminate("i-0aaaaaaaaaaaaaaa1");
        driver.runUntilQuiet(Duration.ofMinutes(20));

        // THEN node 1 is not stopped: it serves nobody now, but quorum needs it (and its log) back; the hook is kept
        // alive (docs/quorum.md, "Known-down servers below quorum")
        assertThat(driver.stops("i-0aaaaaaaaaaaaaaa1")).isZero();
        assertThat(cloud.timedOutActions()).isEmpty();
        assertThat(journal()).contains("runs outside a quorum while only 0 of 3 serve");

        // WHEN nodes 2 and 3 come back and the ensemble serves again, node 1 with it
        zk.serving(IP2, "leader").serving(IP3, "follower").serving(IP1, "follower");
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN node 1 is stopped, the other two keep serving
        assertThat(driver.stops("i-0aaaaaaaaaaaaaaa1")).isEqualTo(1);
        assertThat(cloud.completions()).contains("i-0aaaaaaaaaaaaaaa1/zk-demo-terminate=CONTINUE");
        assertThat(belowMajority).isEmpty();
    }

    @Test
    void terminate_shouldStopALiveNodeOutsideAQuorum_whenAMajorityServesWithoutIt() {
        // GIVEN node 1 runs but is not in the quorum (catching up after a restart); nodes 2 and 3 serve
        zk.notServing(IP1);

        // WHEN node 1 is terminated
        cloud.terminate("i-0aaaaaaaaaaaaaaa1");
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN it goes at once: 2 of 3 keep serving without it
        assertThat(driver.stops("i-0aaaaaaaaaaaaaaa1")).isEqualTo(1);
        assertThat(cloud.completions()).contains("i-0aaaaaaaaaaaaaaa1/zk-demo-terminate=CONTINUE");
    }

    @Test
    void scaleIn_shouldNeverStopTwoNodesAtOnce_whenTwoMembersAreTerminatedTogether() {
        // GIVEN nodes 2 and 3 are terminated in the same instant (a scale-in of two, or two replacements)
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        cloud.terminate("i-0ccccccccccccccc3");

        // WHEN both events and whatever follows are handled for a few minutes
        driver.runUntilQuiet(Duration.ofMinutes(3));

        // THEN only the lower node id was stopped; node 3 waits
        assertThat(driver.stops("i-0bbbbbbbbbbbbbbb2")).isEqualTo(1);
        assertThat(driver.stops("i-0ccccccccccccccc3")).isZero();

        // WHEN node 2 is gone (its server no longer answers) and its replacement has not rejoined yet
        zk.down(IP2);
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN node 3 still waits
        assertThat(driver.stops("i-0ccccccccccccccc3")).isZero();

        // WHEN the replacement of node 2 takes slot 2 and serves
        cloud.launch("i-0bbbbbbbbbbbbbbb5", "us-east-1b");
        driver.runUntilQuiet(Duration.ofMinutes(2));
        zk.serving(IP2, "follower");
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN node 3 goes, and there was never a moment with two nodes stopped
        assertThat(cloud.instanceTags("i-0bbbbbbbbbbbbbbb5")).containsEntry("zkasg:node-id", "2");
        assertThat(driver.stops("i-0ccccccccccccccc3")).isEqualTo(1);
        assertThat(cloud.completions()).contains("i-0ccccccccccccccc3/zk-demo-terminate=CONTINUE");
    }

    @Test
    void terminate_shouldStopAtOnce_whenTheLeavingNodeIsNotServingAnyway() {
        // GIVEN node 2's ZooKeeper is dead and node 1 too: its stop changes nothing for the quorum
        zk.down(IP2).down(IP1);

        // WHEN node 2 is terminated
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        driver.runUntilQuiet(Duration.ofMinutes(2));

        // THEN it is stopped and released without waiting, under the stop lease all the same
        assertThat(driver.stops("i-0bbbbbbbbbbbbbbb2")).isEqualTo(1);
        assertThat(cloud.completions()).contains("i-0bbbbbbbbbbbbbbb2/zk-demo-terminate=CONTINUE");
        assertThat(stopsWithoutLease).isEmpty();
        assertThat(driver.lease().grants()).containsExactly("zk-demo/i-0bbbbbbbbbbbbbbb2#1");
    }

    @Test
    void terminates_shouldAllGoOneAfterAnother_whenNoServerServes_withoutWaitingForAReplacement() {
        // GIVEN every server is stopped (a whole-ensemble restore stops them all before it terminates the members)
        zk.down(IP1).down(IP2).down(IP3);

        // WHEN the three members are terminated at once and 10 minutes pass, with no replacement launched
        var all = List.of("i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb2", "i-0ccccccccccccccc3");
        all.forEach(cloud::terminate);
        driver.runUntilQuiet(Duration.ofMinutes(10));

        // THEN each went under its own grant of the lease, given back once its slot was off the instance: no stop
        // waited the lease's expiry for a replacement that cannot serve alone
        for (var id : all) {
            assertThat(driver.stops(id)).as(id).isEqualTo(1);
            assertThat(cloud.completions()).contains(id + "/zk-demo-terminate=CONTINUE");
        }
        assertThat(driver.lease().grants()).hasSize(3);
        assertThat(driver.lease().expiredTakeovers()).isEmpty();
        assertThat(driver.lease().current("zk-demo")).isEmpty();
        assertThat(cloud.eniIds()).allSatisfy(eni -> assertThat(cloud.eniHolder(eni)).isEmpty());
        assertThat(cloud.timedOutActions()).isEmpty();
    }

    @Test
    void knownDownStop_shouldKeepTheLeaseUntilItsReplacementServes_whileTheOthersHaveAQuorum() {
        // GIVEN node 2's server is down while nodes 1 and 3 serve
        zk.down(IP2);

        // WHEN node 2 is terminated
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN it is stopped and its slot released, and its stop keeps the lease (one node out at a time, as for a
        // serving node): its replacement can serve, and its bootstrap gives the lease back
        assertThat(driver.stops("i-0bbbbbbbbbbbbbbb2")).isEqualTo(1);
        assertThat(cloud.completions()).contains("i-0bbbbbbbbbbbbbbb2/zk-demo-terminate=CONTINUE");
        assertThat(cloud.eniHolder(cloud.eniIds().get(1))).isEmpty();
        assertThat(driver.lease().current("zk-demo")).hasValueSatisfying(h -> assertThat(h.nodeId()).isEqualTo(2));
        cloud.launch("i-0bbbbbbbbbbbbbbb5", "us-east-1b");
        driver.runUntilQuiet(Duration.ofMinutes(5));
        assertThat(driver.lease().current("zk-demo")).isEmpty();
        assertThat(cloud.timedOutActions()).isEmpty();
    }

    @Test
    void replacementLeaving_shouldTakeOverItsNodesLease_insteadOfWaitingForItselfToServe() {
        // GIVEN node 1's server is down and node 1 is terminated: its stop keeps the lease until node 1's replacement
        // serves
        zk.down(IP1);
        cloud.terminate("i-0aaaaaaaaaaaaaaa1");
        driver.runUntilQuiet(Duration.ofMinutes(5));
        assertThat(driver.lease().current("zk-demo")).hasValueSatisfying(h -> assertThat(h.nodeId()).isEqualTo(1));
        // and the replacement takes slot 1, but its server does not come up (its bootstrap keeps waiting)
        silentBootstraps.add("i-0aaaaaaaaaaaaaaa5");
        cloud.launch("i-0aaaaaaaaaaaaaaa5", "us-east-1a");
        driver.runUntilQuiet(Duration.ofMinutes(3));
        assertThat(cloud.eniHolder(cloud.eniIds().get(0))).contains("i-0aaaaaaaaaaaaaaa5");

        // WHEN the replacement is terminated too (an operator, a scale-in, a health mark) and 10 minutes pass
        cloud.terminate("i-0aaaaaaaaaaaaaaa5");
        driver.runUntilQuiet(Duration.ofMinutes(10));

        // THEN it does not wait the lease's expiry for itself to serve: it takes over its node's lease from the
        // former instance, whose slot it holds (that stop has taken effect), stops and releases the slot
        assertThat(driver.stops("i-0aaaaaaaaaaaaaaa5")).isEqualTo(1);
        assertThat(cloud.completions()).contains("i-0aaaaaaaaaaaaaaa5/zk-demo-terminate=CONTINUE");
        assertThat(cloud.eniHolder(cloud.eniIds().get(0))).isEmpty();
        assertThat(driver.lease().expiredTakeovers()).isEmpty();
        assertThat(driver.lease().grants()).containsExactly("zk-demo/i-0aaaaaaaaaaaaaaa1#1",
                "zk-demo/i-0aaaaaaaaaaaaaaa5#2");
        assertThat(stopsWithoutLease).isEmpty();
        assertThat(cloud.timedOutActions()).isEmpty();
    }

    @Test
    void failedLaunch_shouldTakeItsServingServerOut_onlyUnderTheGuard_whileAnotherMemberLeaves() {
        // GIVEN node 1 left and was stopped (its lease waits for its replacement to serve), and detaches take 30 s
        cloud.latencies(Duration.ZERO, Duration.ofSeconds(30));
        cloud.terminate("i-0aaaaaaaaaaaaaaa1");
        driver.runUntilQuiet(Duration.ofMinutes(3));
        assertThat(cloud.completions()).contains("i-0aaaaaaaaaaaaaaa1/zk-demo-terminate=CONTINUE");

        // WHEN node 1's replacement's server joins the ensemble but its bootstrap says Failed (zk-start gave up
        // waiting on a loaded host): the launch is abandoned, the instance leaves through its terminate hook, and
        // that terminate's invocation dies right after it gave node 1's lease back (its takeover), before it took the
        // lease itself (a Lambda timeout, an out-of-memory)
        var replacement = "i-0aaaaaaaaaaaaaaa5";
        failedBootstraps.add(replacement);
        var tookOver = new java.util.concurrent.atomic.AtomicBoolean();
        var crashing = driver.withEnv(new HashMap<>(CloudDriver.DEMO_ENV), 12, new PrintStream(log, true,
                StandardCharsets.UTF_8), ports -> new Wiring.Ports(ports.ec2(), ports.autoScaling(), ports.ssm(),
                ports.scheduler(), ports.zk(), new CrashAfterTakeover(ports.lease(), replacement, tookOver)));
        cloud.launch(replacement, "us-east-1a");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> crashing.runUntilQuiet(Duration.ofMinutes(1)))
                .hasMessageContaining("crashed");
        assertThat(cloud.completions()).contains(replacement + "/zk-demo-launch=ABANDON");
        assertThat(tookOver).isTrue();
        // and node 2 is terminated meanwhile (a scale-in, an instance refresh); node 2's replacement comes later
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        driver.runWithHealth(Duration.ofMinutes(5), d -> false);
        cloud.launch("i-0bbbbbbbbbbbbbbb6", "us-east-1b");
        driver.runWithHealth(Duration.ofMinutes(20), d -> false);

        // THEN the failed launch's server, which node 2's guard counted as a member still serving, was never taken
        // out without the lease: at no stop and no detach did fewer than 2 of 3 serve
        assertThat(belowMajority).isEmpty();
        assertThat(stopsWithoutLease).isEmpty();
        assertThat(cloud.timedOutActions()).isEmpty();
        // and both left in the end, one at a time, each stopped once; slot 1 free, slot 2 with its replacement
        assertThat(driver.stops(replacement)).isEqualTo(1);
        assertThat(driver.stops("i-0bbbbbbbbbbbbbbb2")).isEqualTo(1);
        assertThat(cloud.completions()).contains(replacement + "/zk-demo-terminate=CONTINUE",
                "i-0bbbbbbbbbbbbbbb2/zk-demo-terminate=CONTINUE", "i-0bbbbbbbbbbbbbbb6/zk-demo-launch=CONTINUE");
        assertThat(cloud.eniHolder(cloud.eniIds().get(0))).isEmpty();
        assertThat(cloud.volumeHolder(cloud.volumeIds().get(0))).isEmpty();
    }

    /** The stop lease, as seen by an invocation of {@code instanceId} that dies right after its takeover's release. */
    private record CrashAfterTakeover(StopLease lease, String instanceId, java.util.concurrent.atomic.AtomicBoolean
            tookOver) implements StopLease {

        @Override
        public Grant acquire(String cluster, String holder, int nodeId, Duration ttl) {
            if (holder.equals(instanceId) && tookOver.get()) {
                throw new IllegalStateException("crashed after the takeover's release");
            }
            return lease.acquire(cluster, holder, nodeId, ttl);
        }

        @Override
        public boolean renew(String cluster, String holder, long counter, Duration ttl) {
            return lease.renew(cluster, holder, counter, ttl);
        }

        @Override
        public boolean rename(String cluster, String holder, long counter, String newHolder) {
            return lease.rename(cluster, holder, counter, newHolder);
        }

        @Override
        public boolean release(String cluster, String holder, long counter) {
            var released = lease.release(cluster, holder, counter);
            tookOver.compareAndSet(false, released && !holder.equals(instanceId));
            return released;
        }

        @Override
        public java.util.Optional<Holder> current(String cluster) {
            return lease.current(cluster);
        }
    }

    @Test
    void bootstrapSuccess_shouldNotFail_whenItCannotReadTheInstanceToReleaseTheLease_healthReleasesIt() {
        // GIVEN node 3 left and was stopped: it holds the stop lease until its replacement serves
        cloud.terminate("i-0ccccccccccccccc3");
        driver.runUntilQuiet(Duration.ofMinutes(3));
        assertThat(driver.lease().current("zk-demo")).hasValueSatisfying(h -> assertThat(h.nodeId()).isEqualTo(3));
        // and its replacement's bootstrap is about to report Success
        cloud.launch("i-0ccccccccccccccc5", "us-east-1c");
        Delivery success = null;
        for (int i = 0; i < 100 && success == null; i++) {
            for (var d : cloud.takeDue()) {
                if (d instanceof Delivery.CommandStatus s && s.status().equals("Success")) {
                    success = d;
                } else {
                    driver.deliver(d);
                }
            }
            driver.clock().advance(Duration.ofSeconds(5));
        }
        assertThat(success).isNotNull();
        zk.serving(IP3, "follower");

        // WHEN EC2 throttles the status handler's read of the instance (found by the model check, seed 20263646)
        cloud.throttle("DescribeInstances", 1);
        var result = driver.deliver(success);

        // THEN the launch is continued and the handler does not fail (a failed invocation is retried for nothing)
        assertThat(result.get("outcome")).isEqualTo("Completed");
        assertThat(cloud.completions()).contains("i-0ccccccccccccccc5/zk-demo-launch=CONTINUE");
        // and the health function, which covers a missed release, ends the lease
        driver.health();
        assertThat(driver.lease().current("zk-demo")).isEmpty();
        assertThat(cloud.timedOutActions()).isEmpty();
    }

    @Test
    void terminate_shouldStopAKnownDownNode_onlyUnderTheStopLease_whileAnotherStopHoldsIt() {
        // GIVEN node 3 left and was stopped: it holds the stop lease until its replacement serves
        cloud.terminate("i-0ccccccccccccccc3");
        driver.runUntilQuiet(Duration.ofMinutes(3));
        assertThat(driver.stops("i-0ccccccccccccccc3")).isEqualTo(1);
        assertThat(driver.lease().current("zk-demo")).hasValueSatisfying(h -> assertThat(h.nodeId()).isEqualTo(3));

        // WHEN node 2's ZooKeeper is known down (connection refused) and node 2 is terminated too
        zk.down(IP2);
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        driver.runUntilQuiet(Duration.ofMinutes(10));

        // THEN it is not stopped and its slot stays: a known-down node may come back between its probe and its stop,
        // and two stops never overlap (issue 15: "a known-down node is stopped without the stop lease")
        assertThat(driver.stops("i-0bbbbbbbbbbbbbbb2")).isZero();
        assertThat(cloud.eniHolder(cloud.eniIds().get(1))).contains("i-0bbbbbbbbbbbbbbb2");
        assertThat(journal()).contains("stop-lease-refused");
        assertThat(cloud.timedOutActions()).isEmpty();

        // WHEN node 3's replacement takes slot 3 and serves (its bootstrap releases the lease)
        cloud.launch("i-0ccccccccccccccc5", "us-east-1c");
        driver.runUntilQuiet(Duration.ofMinutes(3));
        zk.serving(IP3, "follower");
        driver.runUntilQuiet(Duration.ofMinutes(3));

        // THEN node 2 goes, under its own grant
        assertThat(driver.stops("i-0bbbbbbbbbbbbbbb2")).isEqualTo(1);
        assertThat(cloud.completions()).contains("i-0bbbbbbbbbbbbbbb2/zk-demo-terminate=CONTINUE");
        assertThat(driver.lease().grants()).containsExactly("zk-demo/i-0ccccccccccccccc3#1",
                "zk-demo/i-0bbbbbbbbbbbbbbb2#2");
        assertThat(stopsWithoutLease).isEmpty();
        assertThat(cloud.timedOutActions()).isEmpty();
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
            assertThat(driver.stops(old.get(i))).isEqualTo(1);
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
        assertThat(driver.stops("i-0bbbbbbbbbbbbbbb2")).isZero();
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
    void terminate_shouldNeverStopAServingNode_belowAMajority_evenPastTheMaxWait() {
        // GIVEN node 1 is down for good
        zk.down(IP1);

        // WHEN node 2 is terminated and an hour passes (TERMINATE_MAX_WAIT_SECONDS is 1800 here)
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        driver.runUntilQuiet(Duration.ofMinutes(60));

        // THEN it was never stopped (that would leave 1 of 3), the hook is kept alive, and the overdue wait is said
        // on every attempt past the maximum (issue 15, item 3)
        assertThat(driver.stops("i-0bbbbbbbbbbbbbbb2")).isZero();
        assertThat(cloud.timedOutActions()).isEmpty();
        assertThat(cloud.completions()).doesNotContain("i-0bbbbbbbbbbbbbbb2/zk-demo-terminate=CONTINUE");
        assertThat(journal()).contains("\"step\":\"quorum-guard-overdue\"").doesNotContain("quorum-guard-expired");
        assertThat(belowMajority).isEmpty();
    }

    @Test
    void guardAndHealth_shouldNotDeadlock_whenAServingMemberLeavesWhileAnotherIsDown() {
        // GIVEN node 2's ZooKeeper is down, and node 1 (the leader) is terminated by an instance refresh
        zk.down(IP2);
        cloud.terminate("i-0aaaaaaaaaaaaaaa1");

        // WHEN the health function runs every minute for ten minutes, and Auto Scaling launches the replacement of
        // whatever it terminates (here node 2's, in its AZ)
        for (int minute = 1; minute <= 10; minute++) {
            driver.runUntilQuiet(Duration.ofMinutes(1));
            healthCheck(minute);
            if (cloud.markedUnhealthy().contains("i-0bbbbbbbbbbbbbbb2") && !cloud.hasInstance("i-0bbbbbbbbbbbbbbb5")
                    && cloud.eniHolder(cloud.eniIds().get(1)).isEmpty()) {
                cloud.launch("i-0bbbbbbbbbbbbbbb5", "us-east-1b");
            }
        }
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN node 2 was replaced while node 1 waited, then node 1 went: never below a majority, nothing timed out
        assertThat(cloud.markedUnhealthy()).containsExactly("i-0bbbbbbbbbbbbbbb2");
        assertThat(cloud.instanceTags("i-0bbbbbbbbbbbbbbb5")).containsEntry("zkasg:node-id", "2");
        assertThat(driver.stops("i-0aaaaaaaaaaaaaaa1")).isEqualTo(1);
        assertThat(cloud.completions()).contains("i-0aaaaaaaaaaaaaaa1/zk-demo-terminate=CONTINUE");
        assertThat(belowMajority).isEmpty();
        assertThat(cloud.timedOutActions()).isEmpty();
    }

    @Test
    void terminate_shouldNotForceTheDetach_whenZooKeeperIsNotKnownStopped() {
        // GIVEN detaches that never finish unless forced, and a stop that fails (umount busy): ZooKeeper still runs
        cloud.stuckDetaches(true);
        cloud.commandOutcome(c -> c.documentName().equals("zk-demo-stop") ? "Failed" : "Success");

        // WHEN node 2 is terminated and five minutes pass
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN nothing was forced from under a server that may still write; the hook continued and the termination
        // takes the slot off the instance (issue 15, item 8)
        assertThat(journal()).contains("force-detach-refused").doesNotContain("volume-force-detached")
                .doesNotContain("eni-force-detached");
        assertThat(cloud.completions()).contains("i-0bbbbbbbbbbbbbbb2/zk-demo-terminate=CONTINUE");
    }

    @Test
    void twoLeavers_shouldNeverBothStop_whenTagReadsLag() {
        // GIVEN tag and describe reads that lag behind the last mutations (EC2's eventual consistency)
        cloud.staleReads(4);

        // WHEN node 2 and node 1 are terminated at the same moment (node 2's event first: the order in which the
        // tag protocol let both go)
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        cloud.terminate("i-0aaaaaaaaaaaaaaa1");
        driver.runUntilQuiet(Duration.ofMinutes(3));

        // THEN exactly one stopped; the other waits under the lease until the first one's replacement serves
        assertThat(driver.stops("i-0bbbbbbbbbbbbbbb2") + driver.stops("i-0aaaaaaaaaaaaaaa1")).isEqualTo(1);
        assertThat(belowMajority).isEmpty();
        assertThat(driver.lease().grants()).hasSize(1);
        assertThat(journal()).contains("stop-lease-refused");
    }

    @Test
    void launches_shouldNumberTheNodes_oneSlotPerAz() {
        // THEN (three launches in us-east-1a/b/c in setUp)
        assertThat(cloud.instanceTags("i-0aaaaaaaaaaaaaaa1")).containsEntry("zkasg:node-id", "1");
        assertThat(cloud.instanceTags("i-0bbbbbbbbbbbbbbb2")).containsEntry("zkasg:node-id", "2");
        assertThat(cloud.instanceTags("i-0ccccccccccccccc3")).containsEntry("zkasg:node-id", "3");
    }

    @Test
    void stop_shouldCarryTheStopLeasesFencingCounter_toTheInstance() {
        // GIVEN node 3 left and came back (a grant counted), then node 2 leaves
        cloud.terminate("i-0ccccccccccccccc3");
        driver.runUntilQuiet(Duration.ofMinutes(3));
        cloud.launch("i-0ccccccccccccccc5", "us-east-1c");
        driver.runUntilQuiet(Duration.ofMinutes(3));

        // WHEN node 2 is terminated
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        driver.runUntilQuiet(Duration.ofMinutes(3));

        // THEN each stop command carried the counter of the grant its sender held (zk-stop refuses a lower one)
        var fences = cloud.commandsSent().stream().filter(c -> c.documentName().equals("zk-demo-stop"))
                .map(c -> c.instanceId() + "#" + c.parameters().get("Fence")).toList();
        assertThat(fences).containsExactly("i-0ccccccccccccccc3#1", "i-0bbbbbbbbbbbbbbb2#2");
        assertThat(driver.lease().grants()).containsExactly("zk-demo/i-0ccccccccccccccc3#1",
                "zk-demo/i-0bbbbbbbbbbbbbbb2#2");
    }

    @Test
    void stopStatus_shouldNotEndTheRelease_whenItIsNotTheInstancesTaggedStop() {
        // GIVEN node 2's stop is sent and still runs (its status has not come)
        cloud.commandOutcome(c -> c.documentName().equals("zk-demo-stop") ? "InProgress" : "Success");
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        driver.runUntilQuiet(Duration.ofSeconds(30));
        var tagged = cloud.instanceTags("i-0bbbbbbbbbbbbbbb2").get("zkasg:stop-command");
        assertThat(tagged).isNotNull();

        // WHEN another stop of that instance ends Failed (a stale lease holder's stop, which zk-stop refuses with
        // exit 4, or a second send)
        var result = driver.deliver(new Delivery.CommandStatus("0b7c2c6e-0000-4000-8000-000000000099",
                "i-0bbbbbbbbbbbbbbb2", "zk-demo-stop", "Failed", driver.clock().instant()));

        // THEN it is ignored: the slot stays until the tagged stop ends
        assertThat(String.valueOf(result)).contains("Ignored");
        assertThat(cloud.instanceTags("i-0bbbbbbbbbbbbbbb2")).doesNotContainKey("zkasg:stop-ended");
        assertThat(cloud.eniHolder(cloud.eniIds().get(1))).contains("i-0bbbbbbbbbbbbbbb2");
    }

    /**
     * What {@code zk-restore node} does before it terminates the node's instance: a volume from a snapshot of the
     * slot's volume, the old volume untagged (kept, still attached to the old instance, its server still running on
     * it) and marked replaced-by, the new one tagged as the slot's volume. Returns the old and the new volume ids.
     */
    private List<String> restoreMovesTheTags(int nodeId) {
        var old = cloud.volumeIds().get(nodeId - 1);
        var snapshot = cloud.snapshotVolume(old);
        var az = cloud.instanceAz(cloud.volumeHolder(old).orElseThrow());
        cloud.retagVolume(old, java.util.Map.of(), List.of("zkasg:cluster", "zkasg:node-id"));
        var restored = cloud.createVolume(snapshot, az, java.util.Map.of("zkasg:cluster", "zk-demo",
                "zkasg:node-id", Integer.toString(nodeId), "zkasg:restored-from", snapshot));
        cloud.retagVolume(old, java.util.Map.of("zkasg:replaced-by", restored), List.of());
        return List.of(old, restored);
    }

    @Test
    void terminate_shouldStopTheSlotsServer_underTheGuard_afterARestoreMovedTheVolumeTagsAway() {
        // GIVEN zk-restore node 2 moved the slot's tags to a restored volume (the old one stays attached to the old
        // instance, whose server runs on it), and node 1 is down
        var volumes = restoreMovesTheTags(2);
        zk.down(IP1);

        // WHEN the old instance of node 2 is terminated and 20 minutes pass
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        driver.runUntilQuiet(Duration.ofMinutes(20));

        // THEN the guard holds it like any serving member: stopping it would leave 1 of 3 serving
        assertThat(driver.stops("i-0bbbbbbbbbbbbbbb2")).isZero();
        assertThat(cloud.eniHolder(cloud.eniIds().get(1))).contains("i-0bbbbbbbbbbbbbbb2");
        assertThat(journal()).contains("would leave 1 of 3 serving").doesNotContain("stop-impossible");

        // WHEN node 1 serves again
        zk.serving(IP1, "follower");
        driver.runUntilQuiet(Duration.ofMinutes(5));

        // THEN the old server is stopped cleanly, on the volume it runs on (the old, untagged one), under the lease:
        // a server left running beside its replacement would be a second voter with the same id
        assertThat(cloud.commandsSent()).filteredOn(c -> c.documentName().equals("zk-demo-stop"))
                .singleElement().satisfies(c -> {
                    assertThat(c.instanceId()).isEqualTo("i-0bbbbbbbbbbbbbbb2");
                    assertThat(c.parameters()).containsEntry("VolumeId", volumes.get(0));
                });
        assertThat(serving(IP2)).isFalse();
        assertThat(belowMajority).isEmpty();
        assertThat(cloud.completions()).contains("i-0bbbbbbbbbbbbbbb2/zk-demo-terminate=CONTINUE");
        assertThat(driver.lease().current("zk-demo")).hasValueSatisfying(h -> assertThat(h.nodeId()).isEqualTo(2));
    }

    @Test
    void release_shouldDetachTheKeptOldVolume_andFinishWithoutForce_afterARestoreMovedTheVolumeTagsAway() {
        // GIVEN zk-restore node 2 moved the slot's tags to a restored volume, and detaches take 10 s
        var volumes = restoreMovesTheTags(2);
        cloud.latencies(Duration.ZERO, Duration.ofSeconds(10));

        // WHEN the old instance is terminated, and the replacement is launched in the AZ as soon as it leaves
        cloud.terminate("i-0bbbbbbbbbbbbbbb2");
        cloud.launch("i-0bbbbbbbbbbbbbbb5", "us-east-1b");
        driver.runUntilQuiet(Duration.ofMinutes(1));

        // THEN the release took the ENI and the old volume off the old instance and finished well before its force
        // time: the old volume is kept (untagged, marked replaced-by), the replacement runs the slot on the restored
        // volume, and nothing of the replacement was detached
        assertThat(cloud.completions()).contains("i-0bbbbbbbbbbbbbbb2/zk-demo-terminate=CONTINUE");
        assertThat(journal()).doesNotContain("force-detach").contains("\"reason\":\"slot released\"");
        assertThat(cloud.volumeHolder(volumes.get(0))).isEmpty();
        assertThat(cloud.allVolumes()).filteredOn(v -> v.volumeId().equals(volumes.get(0))).singleElement()
                .satisfies(v -> assertThat(v.tags()).containsEntry("zkasg:replaced-by", volumes.get(1))
                        .doesNotContainKeys("zkasg:cluster", "zkasg:node-id"));
        driver.runUntilQuiet(Duration.ofMinutes(5));
        assertThat(cloud.volumeHolder(volumes.get(1))).contains("i-0bbbbbbbbbbbbbbb5");
        assertThat(cloud.eniHolder(cloud.eniIds().get(1))).contains("i-0bbbbbbbbbbbbbbb5");
        assertThat(cloud.completions()).contains("i-0bbbbbbbbbbbbbbb5/zk-demo-launch=CONTINUE");
        assertThat(journal().lines().filter(l -> l.contains("i-0bbbbbbbbbbbbbbb5"))
                .filter(l -> l.contains("\"step\":\"volume-detached") || l.contains("\"step\":\"eni-detached")))
                .isEmpty();
    }
}
