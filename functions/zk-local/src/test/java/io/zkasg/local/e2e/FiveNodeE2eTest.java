package io.zkasg.local.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The five-node scenario ({@code make local SIZE=5}) on real namespaces, loop devices and a real ZooKeeper ensemble
 * (as root; skipped otherwise): two members crash at the same moment and the client's writes go on; a third frozen
 * while they are away takes the ensemble below quorum, and nothing is marked or stopped then; the group's
 * replacements rejoin from their kept volumes with a DIFF, and only with quorum back is the frozen one replaced.
 */
class FiveNodeE2eTest {

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void twoCrashAtOnce_writesGoOn_andAThirdFailureBelowQuorumIsNotFixedByStoppingAnyone() throws Exception {
        assumeTrue(E2eScenario.isRoot(), "the end-to-end scenario needs root (network namespaces, loop devices)");

        var result = new E2eScenario(System.out, false, 5).runFive();
        FiveNodes.print(System.out, result);

        assertThat(result.launches()).hasSize(5);
        assertThat(result.crashes().quorumKept()).as("500 writes with two of five away").isTrue();
        assertThat(result.crashes().maxGapMs()).isLessThan(E2eScenario.GAP_BOUND_MS);
        assertThat(result.third().maxServing()).as("below quorum during the window").isLessThan(3);
        assertThat(result.third().marked()).as("marked below quorum").isEmpty();
        assertThat(result.third().stops()).as("stopped below quorum").isEmpty();
        assertThat(result.rejoins()).filteredOn(j -> j.reason().equals("crash"))
                .hasSize(2).allSatisfy(j -> assertThat(j.sync()).as("node %d", j.nodeId()).isEqualTo("DIFF"));
        assertThat(result.frozenMarkedS()).as("the frozen node marked only with quorum back")
                .isGreaterThan(result.quorumBackS());
        assertThat(result.finalComplete()).as(result.finalVerify()).isTrue();
        assertThat(FiveNodes.failures(result)).isEmpty();
    }
}
