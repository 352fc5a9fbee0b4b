package io.zkasg.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zkasg.core.model.EniView;
import io.zkasg.core.model.Slot;
import io.zkasg.core.model.VolumeView;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class CommandParametersTest {

    private static final ScriptBundle BUNDLE = new ScriptBundle("dGVzdA==",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    private final Settings settings = Settings.fromEnv(SettingsTest.minimal());

    private static Slot slot(String ip, String mac, String volumeId) {
        var eni = new EniView("eni-1", "us-east-1a", "subnet-1", ip, mac, "in-use", Map.of(), Optional.empty());
        var volume = new VolumeView(volumeId, "us-east-1a", "in-use", Map.of(), List.of());
        return new Slot(1, eni, volume);
    }

    @Test
    void bootstrap_shouldCarryTheSlotsIdentityAndTheWholeServerList() {
        var servers = new TreeMap<>(Map.of(1, "10.0.1.10", 2, "10.0.2.10", 3, "10.0.3.10"));

        var params = CommandParameters.bootstrap(settings, slot("10.0.1.10", "0A:1B:2C:3D:4E:5F",
                "vol-0123456789abcdef0"), servers, BUNDLE);

        assertThat(params).containsEntry("NodeId", "1").containsEntry("EniIp", "10.0.1.10")
                .containsEntry("EniMac", "0a:1b:2c:3d:4e:5f").containsEntry("VolumeId", "vol-0123456789abcdef0")
                .containsEntry("Servers", "1=10.0.1.10,2=10.0.2.10,3=10.0.3.10")
                .containsEntry("Bundle", "dGVzdA==").doesNotContainKey("ZkDistUrl");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.1.10 ", "10.0.1.10;reboot", "$(reboot)", "10.0.1.256", "10.0.1.10\n", "'10.0.1.1'",
        "`id`"})
    void bootstrap_shouldRefuse_whenAnIpIsHostile(String ip) {
        var servers = new TreeMap<>(Map.of(1, ip));

        assertThatThrownBy(() -> CommandParameters.bootstrap(settings, slot(ip, "0a:1b:2c:3d:4e:5f",
                "vol-0123456789abcdef0"), servers, BUNDLE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("EniIp");
    }

    @ParameterizedTest
    @ValueSource(strings = {"vol-0123 $(id)", "vol-XYZ", "vol-0123456789abcdef0\nrm", "snap-0123456789abcdef0"})
    void bootstrap_shouldRefuse_whenTheVolumeIdIsHostile(String volumeId) {
        var servers = new TreeMap<>(Map.of(1, "10.0.1.10"));

        assertThatThrownBy(() -> CommandParameters.bootstrap(settings, slot("10.0.1.10", "0a:1b:2c:3d:4e:5f",
                volumeId), servers, BUNDLE)).hasMessageContaining("VolumeId");
    }

    @Test
    void bootstrap_shouldRefuse_whenTheServerListDoesNotMapTheNodeToItsIp() {
        var servers = new TreeMap<>(Map.of(1, "10.0.1.99"));

        assertThatThrownBy(() -> CommandParameters.bootstrap(settings, slot("10.0.1.10", "0a:1b:2c:3d:4e:5f",
                "vol-0123456789abcdef0"), servers, BUNDLE)).hasMessageContaining("server list");
    }

    @Test
    void stop_shouldCarryTheVolumeAndTheLeasesFencingCounter() {
        var p = CommandParameters.stop("vol-0123456789abcdef0", 42L, new ScriptBundle("dGVzdA==", "a".repeat(64)));

        assertThat(p).containsEntry("VolumeId", "vol-0123456789abcdef0").containsEntry("Fence", "42");
    }

    @ParameterizedTest
    @ValueSource(longs = {0L, -1L, Long.MAX_VALUE})
    void stop_shouldRefuse_whenTheCounterIsOutsideWhatTheInstanceCompares(long fence) {
        assertThatThrownBy(() -> CommandParameters.stop("vol-0123456789abcdef0", fence,
                new ScriptBundle("dGVzdA==", "a".repeat(64)))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Fence");
    }
}
