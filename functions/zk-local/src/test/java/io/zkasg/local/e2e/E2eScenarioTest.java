package io.zkasg.local.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zkasg.testkit.CloudState;
import io.zkasg.testkit.FakeCloud;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The end-to-end scenario on real namespaces, loop devices and a real ZooKeeper ensemble (as root; skipped
 * otherwise). The instances start without ZooKeeper: a launch with a wrong checksum is refused and abandoned, the
 * others install it over HTTPS from the run's mirror, and once the mirror is gone the replacements install it from
 * their kept volume. No znode is lost, a node that comes back on its kept volume
 * rejoins with a DIFF (a blank volume gets a SNAP), and the ensemble keeps quorum through every replacement; a frozen
 * follower is not counted for one slow check, and frozen for good it is marked after the third failed health check
 * and replaced; two followers terminated at the same moment, then a second apart, stop one at a time (the stop
 * lease); a terminate waiting in the quorum guard whose resume message is lost is re-driven by the reconciler and
 * stops only once a majority would still serve.
 */
class E2eScenarioTest {

    @Test
    // About 2 minutes on a quiet 2-core machine; the bound is for a hang, not for speed.
    @Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES)
    void nodesDieAndComeBackWithTheirIpAndDataWhileTheClientKeepsWriting() throws Exception {
        assumeTrue(E2eScenario.isRoot(), "the end-to-end scenario needs root (network namespaces, loop devices)");

        var result = new E2eScenario(System.out).run();

        assertThat(result.replacements()).extracting(E2eScenario.Replacement::kind)
                .containsExactly("crash", "terminate", "blank volume", "frozen");
        for (var rep : result.replacements()) {
            assertThat(rep.unreadable()).as("znodes lost after the %s of node %d", rep.kind(), rep.nodeId())
                    .isEmpty();
            assertThat(rep.expected()).isGreaterThan(2000);
            assertThat(rep.sameIp()).as("the replacement has the slot's static IP").isTrue();
            assertThat(rep.sameMyid()).as("the replacement has the slot's myid").isTrue();
            assertThat(rep.quorumKept()).as("500 writes went through while node %d was away", rep.nodeId())
                    .isTrue();
            // Quorum kept: two of three servers stay up, so the client's writes stop at most for a leader
            // election and a reconnect (see GAP_BOUND_MS), below the 10 s session timeout.
            assertThat(rep.maxGapMs()).as("longest write gap during the %s of node %d", rep.kind(), rep.nodeId())
                    .isLessThan(E2eScenario.GAP_BOUND_MS);
        }
        assertThat(result.replacements().get(0).sync()).as("rejoin on the kept volume after a crash").isEqualTo("DIFF");
        assertThat(result.replacements().get(1).sync()).as("rejoin on the kept volume after a terminate")
                .isEqualTo("DIFF");
        assertThat(result.replacements().get(2).sync()).as("rejoin on a blank volume").isEqualTo("SNAP");
        assertThat(result.replacements().get(3).sync()).as("rejoin of the frozen node's replacement")
                .isEqualTo("DIFF");
        var frozen = result.frozen();
        assertThat(frozen.slowAttemptsFailed()).as("the short freeze made an attempt of the check fail")
                .isPositive();
        assertThat(frozen.slowCheckFailures()).as("one slow check is not counted").isZero();
        assertThat(frozen.slowMarked()).isFalse();
        assertThat(frozen.checksUntilMarked()).as("marked at the N-th failed check, not before")
                .isEqualTo(frozen.failuresToReplace()).isEqualTo(3);
        assertThat(result.twoLeavers()).extracting(E2eScenario.TwoLeavers::kind)
                .containsExactly("same moment", "a second apart");
        for (var pair : result.twoLeavers()) {
            assertThat(pair.oneAtATime()).as("%s: the second stops only after the first one's replacement serves: %s",
                    pair.kind(), pair).isTrue();
            assertThat(pair.unreadable()).isEmpty();
            assertThat(pair.maxGapMs()).isLessThan(E2eScenario.GAP_BOUND_MS);
        }
        var lost = result.lostResume();
        assertThat(lost).as("step 11, a resume message lost while a terminate waits, ran").isNotNull();
        assertThat(lost.lost()).as("a resume message of the waiting terminate was lost").startsWith("resume ");
        assertThat(lost.redriven()).as("the reconciler re-drove the terminate").isTrue();
        assertThat(lost.stopsWhileDown()).as("node %d stopped while node %d was frozen (1 of 3 would serve)",
                lost.leavingNode(), lost.downNode()).isZero();
        assertThat(lost.stopAfterBackS()).as("stopped once the frozen server was back").isPositive();
        assertThat(lost.endedBy()).as("the terminate ended by the function, not its timeout").isEqualTo("CONTINUE");
        assertThat(lost.maxGapMs()).as("longest write gap while the terminate waited").isLessThan(
                E2eScenario.GAP_BOUND_MS);
        assertThat(result.sessionExpirations()).isZero();
        assertThat(result.connectUnchanged()).isTrue();
        assertThat(result.finalComplete()).as(result.finalVerify()).isTrue();
        assertInstallPath(result.install());
        assertThat(E2eScenario.failures(result)).isEmpty();
    }

    /** The part of the result about the install path (checked apart, so that a failure names it). */
    private static void assertInstallPath(E2eScenario.Install install) {
        assertThat(install.refused()).as("the launch with a wrong checksum").isNotNull();
        assertThat(install.refused().refusal()).as("the node refused the download").contains("SHA-512 mismatch");
        assertThat(install.refused().abandoned()).as("the launch was abandoned").isTrue();
        assertThat(install.refused().slotReleased()).as("its slot was released").isTrue();
        assertThat(install.launches()).filteredOn(r -> r.step().equals("first launch"))
                .as("the first three launches download from the mirror").hasSize(3)
                .allSatisfy(r -> assertThat(r.source()).isEqualTo("downloaded"));
        assertThat(install.launches()).filteredOn(r -> !r.mirrorUp())
                .as("replacements with the mirror gone install from their kept volume").hasSizeGreaterThanOrEqualTo(3)
                .allSatisfy(r -> assertThat(r.source()).isEqualTo("kept"));
    }

    /** The listener sees the fake's changes in order and outside its lock; a null outcome keeps a command running. */
    @Test
    void fakeCloudListenerAndRunningCommands() {
        var clock = new io.zkasg.testkit.FakeClock(java.time.Instant.parse("2026-11-25T12:00:00Z"));
        var cloud = new FakeCloud(clock).group("g", "launch", "", Duration.ofSeconds(900));
        var seen = new ArrayList<String>();
        var done = new java.util.concurrent.atomic.AtomicReference<String>();
        cloud.listener(new CloudState.Listener() {
            @Override
            public void onLaunched(String instanceId, String az) {
                assertThat(Thread.holdsLock(cloud.state())).isFalse();
                seen.add("launched " + az);
            }

            @Override
            public void onEniAttached(String eniId, String mac, String ip, String instanceId) {
                seen.add("eni " + ip);
            }

            @Override
            public void onEniDetached(String eniId, String instanceId) {
                seen.add("eni gone");
            }

            @Override
            public void onVolumeAttached(String volumeId, String instanceId, String device) {
                seen.add("volume " + device);
            }

            @Override
            public void onVolumeDetached(String volumeId, String instanceId) {
                seen.add("volume gone");
            }

            @Override
            public void onTerminated(String instanceId) {
                seen.add("terminated");
            }

            @Override
            public void onCommandSent(CloudState.CommandInfo command) {
                seen.add("command " + command.documentName());
            }
        }).commandOutcome(c -> done.get());
        var eni = cloud.addSlot("zkasg:cluster", "c", "zkasg:node-id", 1, "us-east-1a", "10.0.1.10");
        var volume = cloud.volumeIds().get(0);
        var id = cloud.launch("us-east-1a");
        cloud.tick();
        cloud.ec2().attachEni(eni, id, 1);
        cloud.ec2().attachVolume(volume, id, "/dev/sdf");
        cloud.registerAgent(id);
        cloud.ssm().sendCommand(id, "doc", java.util.Map.of(), "", Duration.ofMinutes(1));
        cloud.takeDue();
        assertThat(cloud.takeDue()).isEmpty(); // the command still runs
        done.set("Success");
        assertThat(cloud.takeDue()).extracting(d -> d.getClass().getSimpleName())
                .containsExactly("CommandStatus", "CommandStatus");
        cloud.crash(id);
        assertThat(seen).isEqualTo(List.of("launched us-east-1a", "eni 10.0.1.10", "volume /dev/sdf", "command doc",
                "eni gone", "volume gone", "terminated"));
    }
}
