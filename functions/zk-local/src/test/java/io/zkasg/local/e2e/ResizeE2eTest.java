package io.zkasg.local.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The resize scenario ({@code E2eScenario --resize}, {@link ResizeSteps}) on real namespaces, loop devices and a real
 * ZooKeeper ensemble (as root; skipped otherwise): a 3-node group grows to 5 and shrinks back to 3 online, the
 * membership changed by the health function's own membership step, while a client whose connect string lists only
 * nodes 1-3 writes throughout. No write is refused for longer than an election, no znode is lost, the removed
 * members' slots are released and their volumes kept, and the configuration ends as nodes 1-3.
 */
class ResizeE2eTest {

    @Test
    // About 1.5-2 minutes on the shared 2-core machine; the bound is for a hang, not for speed.
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void growsToFiveAndShrinksToThreeOnline_whileAClientOfTheOldConnectStringWrites() throws Exception {
        assumeTrue(E2eScenario.isRoot(), "the end-to-end scenario needs root (network namespaces, loop devices)");

        var result = new E2eScenario(System.out).runResize();
        ResizeSteps.print(System.out, result);

        assertThat(result.phases()).extracting(ResizeSteps.Phase::name).hasSize(4);
        for (var phase : result.phases()) {
            // A voter added or removed at most costs an election (GAP_BOUND_MS); the client is never cut off longer.
            assertThat(phase.maxGapMs()).as("longest write gap in %s", phase.name())
                    .isLessThan(E2eScenario.GAP_BOUND_MS);
        }
        assertThat(result.phases().get(1).membership()).as("members after the grow").isEqualTo("[1, 2, 3, 4, 5]");
        assertThat(result.verifyAtFive()).as("read back from each of the five members").hasSize(5)
                .allSatisfy(v -> assertThat(v).as("znodes lost").contains(" missing=0 "));
        assertThat(result.verifyAtThree()).as("read back from each of nodes 1-3 after the shrink").hasSize(3)
                .allSatisfy(v -> assertThat(v).as("znodes lost").contains(" missing=0 "));
        assertThat(result.removed()).extracting(ResizeSteps.Removed::nodeId).containsExactly(5, 4);
        for (var removed : result.removed()) {
            var node = removed.nodeId();
            assertThat(removed.retired()).as("node %d's instance retired by the health function", node).isTrue();
            assertThat(removed.eniReleased()).as("node %d's ENI released", node).isTrue();
            assertThat(removed.volumeReleased()).as("node %d's volume released", node).isTrue();
            assertThat(removed.volumeHolds()).as("node %d's volume kept with its data", node)
                    .startsWith("myid " + node + ", version-2");
            assertThat(removed.snapshotHolds()).as("node %d's snapshot", node)
                    .startsWith("myid " + node + ", version-2");
        }
        assertThat(result.finalMembership()).as("the configuration after the shrink").isEqualTo("1,2,3");
        assertThat(result.bgWritten()).as("background writes throughout").isPositive();
        assertThat(result.sessionExpirations()).isZero();
        assertThat(result.connectUnchanged()).as("the client kept its connect string of nodes 1-3").isTrue();
        assertThat(result.failures()).isEmpty();
    }
}
