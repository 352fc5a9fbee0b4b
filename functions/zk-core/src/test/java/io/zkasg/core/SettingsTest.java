package io.zkasg.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SettingsTest {

    static Map<String, String> minimal() {
        var env = new HashMap<String, String>();
        env.put("CLUSTER_NAME", "zk-demo");
        env.put("ASG_NAME", "zk-demo-asg");
        env.put("LAUNCH_HOOK_NAME", "zk-demo-launch");
        env.put("BOOTSTRAP_DOCUMENT", "zk-demo-bootstrap");
        return env;
    }

    @Test
    void fromEnv_shouldApplyDefaults_whenOnlyTheRequiredVariablesAreSet() {
        var settings = Settings.fromEnv(minimal());

        assertThat(settings.cluster().clusterTagKey()).isEqualTo("zkasg:cluster");
        assertThat(settings.nodeIdTagKey()).isEqualTo("zkasg:node-id");
        assertThat(settings.clientPort()).isEqualTo(2181);
        assertThat(settings.volumeDevice()).isEqualTo("/dev/sdf");
        assertThat(settings.heartbeatTimeout().toSeconds()).isEqualTo(900);
        assertThat(settings.cluster().byLegacyName()).isFalse();
        assertThat(settings.stopLeaseTable()).isEmpty();
        assertThat(settings.stopLeaseTtl().toSeconds()).isEqualTo(1800);
    }

    @Test
    void member_shouldBeNodesOneToEnsembleMembers_andEverySlotWithoutIt() {
        var env = minimal();
        assertThat(Settings.fromEnv(env).member(7)).isTrue();

        env.put("ENSEMBLE_MEMBERS", "3");
        var shrinking = Settings.fromEnv(env);

        assertThat(shrinking.member(3)).isTrue();
        assertThat(shrinking.member(4)).isFalse();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "CLUSTER_NAME|               |CLUSTER_NAME is required",
        "CLUSTER_NAME|zk demo        |CLUSTER_NAME='zk demo' does not match",
        "ASG_NAME|$(reboot)          |ASG_NAME='$(reboot)' does not match",
        "ZK_CLIENT_PORT|70000        |ZK_CLIENT_PORT=70000 is outside 1..65535",
        "ZK_QUORUM_PORT|two          |ZK_QUORUM_PORT=two is not a whole number",
        "ZK_QUORUM_PORT|2181         |must differ",
        "VOLUME_DEVICE|/dev/sda      |VOLUME_DEVICE='/dev/sda' does not match",
        "HEARTBEAT_TIMEOUT_SECONDS|10|HEARTBEAT_TIMEOUT_SECONDS=10 is outside 30..7200",
        "RESUME_DELAY_SECONDS|600    |RESUME_DELAY_SECONDS must be at most a third",
        "ZK_DIST_URL|https://example.invalid/zk.tgz|ZK_DIST_URL and ZK_SHA512 go together",
        "LEGACY_NAME_PREFIX|ZK *     |LEGACY_NAME_PREFIX='ZK *' does not match",
        "STOP_LEASE_TABLE|a b        |STOP_LEASE_TABLE='a b' does not match",
        "STOP_LEASE_SECONDS|600      |STOP_LEASE_SECONDS must be at least COMMAND_TIMEOUT_SECONDS",
        "HEARTBEAT_TIMEOUT_SECONDS|780|raise HEARTBEAT_TIMEOUT_SECONDS",
        "COMMAND_TIMEOUT_SECONDS|720 |COMMAND_TIMEOUT_SECONDS (720) + RECONCILE_GRACE_SECONDS (60) + 120 s",
        "RECONCILE_GRACE_SECONDS|5   |RECONCILE_GRACE_SECONDS=5 is outside 10..3600",
        "RECONCILE_GRACE_SECONDS|200 |lower COMMAND_TIMEOUT_SECONDS or RECONCILE_GRACE_SECONDS",
        "RESUME_VISIBILITY_TIMEOUT_SECONDS|50000|RESUME_VISIBILITY_TIMEOUT_SECONDS=50000 is outside 0..43200",
        "RESUME_VISIBILITY_TIMEOUT_SECONDS|900|lower the queue's VisibilityTimeout",
        "RELEASE_FORCE_AFTER_SECONDS|720|lower RELEASE_FORCE_AFTER_SECONDS",
        "ENSEMBLE_MEMBERS|300        |ENSEMBLE_MEMBERS=300 is outside 0..255",
    })
    void fromEnv_shouldFailNamingTheVariable_whenAValueIsBad(String name, String value, String message) {
        var env = minimal();
        if (value == null) {
            env.remove(name);
        } else {
            env.put(name, value);
        }

        assertThatThrownBy(() -> Settings.fromEnv(env)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(message);
    }

    @ParameterizedTest
    @CsvSource({
        // heartbeat, resume delay, grace, command timeout, the variable the message names
        "600, 15, 60, 110, ''",
        "240, 80, 60, 30, RESUME_DELAY_SECONDS",
        "300, 15, 60, 200, COMMAND_TIMEOUT_SECONDS",
        "900, 15, 60, 600, ''",
    })
    void fromEnv_shouldRefuseEveryWaitThatCanOutliveTheHook_namingTheVariable(int heartbeat, int delay, int grace,
                                                                              int command, String named) {
        var env = minimal();
        env.put("HEARTBEAT_TIMEOUT_SECONDS", Integer.toString(heartbeat));
        env.put("RESUME_DELAY_SECONDS", Integer.toString(delay));
        env.put("RECONCILE_GRACE_SECONDS", Integer.toString(grace));
        env.put("COMMAND_TIMEOUT_SECONDS", Integer.toString(command));
        // Out of the way of the cases here (the case below covers them).
        env.put("RESUME_VISIBILITY_TIMEOUT_SECONDS", "30");
        env.put("RELEASE_FORCE_AFTER_SECONDS", "30");

        if (named.isEmpty()) {
            var settings = Settings.fromEnv(env);
            // What the check promises: a wait plus the reconciler's reaction fits in one heartbeat timeout.
            assertThat(settings.resumeDelay().plus(settings.reconcileReaction()))
                    .isLessThan(settings.heartbeatTimeout());
            assertThat(settings.commandTimeout().plus(settings.reconcileReaction()))
                    .isLessThan(settings.heartbeatTimeout());
        } else {
            assertThatThrownBy(() -> Settings.fromEnv(env)).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(named).hasMessageContaining("HEARTBEAT_TIMEOUT_SECONDS");
        }
    }

    @ParameterizedTest
    @CsvSource({
        // heartbeat, resume delay, visibility timeout, force-detach after, the variable the message names
        "900, 15, 720, 120, ''",
        "800, 15, 720, 120, ''",
        "800, 15, 785, 120, RESUME_VISIBILITY_TIMEOUT_SECONDS",
        "800, 20, 780, 120, RESUME_VISIBILITY_TIMEOUT_SECONDS",
        "900, 15, 720, 705, RELEASE_FORCE_AFTER_SECONDS",
        "900, 15, 720, 704, ''",
    })
    void fromEnv_shouldRefuseAVisibilityTimeoutOrForceDetachTimeThatOutlivesTheHook(int heartbeat, int delay,
                                                                                    int visibility, int force,
                                                                                    String named) {
        var env = minimal();
        env.put("HEARTBEAT_TIMEOUT_SECONDS", Integer.toString(heartbeat));
        env.put("RESUME_DELAY_SECONDS", Integer.toString(delay));
        env.put("RESUME_VISIBILITY_TIMEOUT_SECONDS", Integer.toString(visibility));
        env.put("RELEASE_FORCE_AFTER_SECONDS", Integer.toString(force));
        env.put("STOP_LEASE_SECONDS", "3600");

        if (named.isEmpty()) {
            var settings = Settings.fromEnv(env);
            // What the check promises: a redelivered resume message, and the release phase's force decision even
            // through a lost message, come while the heartbeat before them still runs.
            assertThat(settings.resumeDelay().plus(settings.resumeVisibilityTimeout()))
                    .isLessThan(settings.heartbeatTimeout());
            assertThat(settings.releaseForceAfter().plus(settings.resumeDelay()).plus(settings.reconcileReaction()))
                    .isLessThan(settings.heartbeatTimeout());
        } else {
            assertThatThrownBy(() -> Settings.fromEnv(env)).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(named).hasMessageContaining("HEARTBEAT_TIMEOUT_SECONDS");
        }
    }

    @ParameterizedTest
    @CsvSource({
        // heartbeat timeout, health runs left to keep a wait alive (or 0: refused)
        "540, 5",
        "539, 0",
        "800, 7",
        "900, 9",
    })
    void fromEnv_shouldRefuseAHeartbeatTimeout_thatLeavesTheReconcilerTooFewRunsToKeepAWaitAlive(int heartbeat,
                                                                                               int runs) {
        var env = minimal();
        env.put("HEARTBEAT_TIMEOUT_SECONDS", Integer.toString(heartbeat));
        // Out of the way of the other checks.
        env.put("COMMAND_TIMEOUT_SECONDS", "30");
        env.put("RESUME_VISIBILITY_TIMEOUT_SECONDS", "30");
        env.put("RELEASE_FORCE_AFTER_SECONDS", "30");

        if (runs > 0) {
            var settings = Settings.fromEnv(env);
            assertThat(settings.keepAliveRuns()).isEqualTo(runs);
            // What the check promises: from a third of the timeout on, the rest spans that many runs and one run.
            assertThat(settings.keepAliveAfter().plus(Settings.HEALTH_PERIOD.multipliedBy(runs))
                    .plus(Settings.HEALTH_RUN)).isLessThanOrEqualTo(settings.heartbeatTimeout());
        } else {
            assertThatThrownBy(() -> Settings.fromEnv(env)).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("HEARTBEAT_TIMEOUT_SECONDS (539) must be at least 540")
                    .hasMessageContaining("raise HEARTBEAT_TIMEOUT_SECONDS");
        }
    }
}
