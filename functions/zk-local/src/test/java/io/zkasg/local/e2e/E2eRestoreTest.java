package io.zkasg.local.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * scripts/ops/zk-restore on the local cloud (as root, with the AWS CLI; skipped otherwise): the real script and CLI
 * against the local cloud's AWS endpoint, where a snapshot is a copy of a node's loop image. A node restored from a
 * snapshot comes back serving and takes the newer history from the leader; the whole ensemble restored to a point
 * serves what was written before it and nothing written after it.
 *
 * <p>Opt-in ({@code ZKASG_E2E_RESTORE=1}): some 50 AWS CLI runs and four replacements cost more than the two minutes
 * CI can spare for it. The command: {@code sudo ZKASG_E2E_RESTORE=1 mvn -B -o -q -pl functions/zk-local -am test
 * -Dtest=E2eRestoreTest -Dsurefire.failIfNoSpecifiedTests=false} (docs/benchmarks.md).
 */
class E2eRestoreTest {

    @Test
    // The bound is for a hang, not for speed (about 14 minutes at load 25, most of it the AWS CLI starting).
    @Timeout(value = 20, unit = java.util.concurrent.TimeUnit.MINUTES)
    void restoredNodeCatchesUp_andRestoredEnsembleServesThePoint() throws Exception {
        assumeTrue("1".equals(System.getenv("ZKASG_E2E_RESTORE")), "opt-in: ZKASG_E2E_RESTORE=1");
        assumeTrue(E2eScenario.isRoot(), "the local cloud needs root (network namespaces, loop devices)");
        assumeTrue(onPath("aws"), "the AWS CLI is not installed: run scripts/test/install-deps");

        var result = new E2eScenario(System.out).runRestore();

        assertThat(result.nodeBefore()).as("the restored node: the snapshot's znodes").isEqualTo(200);
        assertThat(result.nodeAfter()).as("the restored node: the newer znodes, from the leader")
                .isEqualTo(200);
        assertThat(result.nodeSync()).as("how the restored follower caught up").isIn("DIFF", "SNAP");
        assertThat(result.nodeRelease()).as("the old server stopped, its slot released unforced, its volume kept")
                .isEmpty();
        assertThat(result.ensembleBefore()).as("each node after the ensemble restore: /e2e/before")
                .containsExactlyInAnyOrderEntriesOf(java.util.Map.of(1, 200, 2, 200, 3, 200));
        assertThat(result.ensembleAfter()).as("each node after the ensemble restore: /e2e/after is gone")
                .containsExactlyInAnyOrderEntriesOf(java.util.Map.of(1, -1, 2, -1, 3, -1));
        assertThat(result.ensembleLeads()).isTrue();
        assertThat(result.failures()).isEmpty();
    }

    private static boolean onPath(String tool) {
        for (var dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
