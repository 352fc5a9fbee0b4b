package io.zkasg.local.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zkasg.core.ScriptBundle;
import io.zkasg.lambda.Wiring;
import io.zkasg.stack.CfnTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local cloud's Run Command: the documents come from template.yaml, parameters are checked and substituted as
 * SSM does, and the steps run as the agent runs {@code aws:runShellScript} (here on this machine, no namespace).
 */
class SsmDocumentsTest {

    private static SsmDocuments documents;
    private static ScriptBundle bundle;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws Exception {
        documents = SsmDocuments.fromTemplate(CfnTemplate.locate(), "zk-demo");
        bundle = Wiring.bundledScripts();
    }

    private static Map<String, String> bootstrap(String servers) {
        var p = new LinkedHashMap<String, String>();
        p.put("NodeId", "1");
        p.put("EniIp", "10.0.1.10");
        p.put("EniMac", "02:00:00:00:00:01");
        p.put("VolumeId", "vol-0123456789abcdef0");
        p.put("Device", "/dev/xvdf");
        p.put("Servers", servers);
        p.put("ClientPort", "2181");
        p.put("QuorumPort", "2888");
        p.put("ElectionPort", "3888");
        p.put("BundleSha256", bundle.sha256());
        p.put("Bundle", bundle.base64());
        return p;
    }

    @Test
    void render_shouldTakeBothDocumentsFromTheTemplate_andSubstituteEveryParameter() {
        // GIVEN / WHEN
        var stop = documents.render("zk-demo-stop", Map.of("VolumeId", "vol-0123456789abcdef0", "Fence", "3",
                "BundleSha256", bundle.sha256(), "Bundle", bundle.base64()));
        var boot = documents.render("zk-demo-bootstrap", bootstrap("1=10.0.1.10,2=10.0.2.10,3=10.0.3.10"));

        // THEN
        assertThat(documents.names()).containsExactly("zk-demo-bootstrap", "zk-demo-stop", "zk-demo-reconfig");
        assertThat(stop).singleElement().satisfies(step -> {
            assertThat(step.timeout()).isEqualTo(Duration.ofSeconds(300));
            assertThat(String.join("\n", step.runCommand())).startsWith("#!/bin/bash\nset -euo pipefail\n")
                    .contains("bundle_sha='" + bundle.sha256() + "'")
                    .endsWith("exec \"$dest/bin/zk-stop\" --volume-id 'vol-0123456789abcdef0' --fence '3'")
                    .doesNotContain("{{");
        });
        var script = String.join("\n", boot.get(0).runCommand());
        assertThat(script).contains("--servers '1=10.0.1.10,2=10.0.2.10,3=10.0.3.10'")
                .contains("zk_dist_url=$(cat <<'ZKASG_DIST_URL'\n\nZKASG_DIST_URL\n)") // the default: ''
                .contains("zk_sha512=''").doesNotContain("{{");
    }

    @Test
    void render_shouldRunZkReconfig_withTheParametersTheReconcilerSends() {
        // GIVEN the parameters of an add and of a remove, as the health function's reconciler builds them
        var settings = io.zkasg.core.Settings.fromEnv(io.zkasg.flows.CloudDriver.DEMO_ENV);
        var add = io.zkasg.core.CommandParameters.reconfig(settings, true, 4, "10.0.1.11", "100000003", bundle);
        var remove = io.zkasg.core.CommandParameters.reconfig(settings, false, 5, "", "100000004", bundle);

        // WHEN
        var added = String.join("\n", documents.render("zk-demo-reconfig", add).get(0).runCommand());
        var removed = String.join("\n", documents.render("zk-demo-reconfig", remove).get(0).runCommand());

        // THEN both run zk-reconfig, conditional on the version read, one change each
        assertThat(added).contains("--from-version '100000003'").contains("add='4=10.0.1.11'")
                .contains("remove=''").endsWith("exec \"$dest/bin/zk-reconfig\" \"$@\"").doesNotContain("{{");
        assertThat(removed).contains("--from-version '100000004'").contains("add=''").contains("remove='5'");
        assertThat(documents.render("zk-demo-bootstrap", bootstrap("1=10.0.1.10")).get(0).runCommand())
                .anySatisfy(line -> assertThat(line).contains("--join 'participant'"));
    }

    @Test
    void render_shouldRefuseWhatSendCommandRefuses() {
        var bad = bootstrap("1=10.0.1.10");
        bad.put("VolumeId", "vol-0123'; reboot");
        assertThatThrownBy(() -> documents.render("zk-demo-bootstrap", bad))
                .isInstanceOf(SsmDocuments.Rejected.class).hasMessageContaining("VolumeId does not match");

        var unknown = bootstrap("1=10.0.1.10");
        unknown.put("Extra", "x");
        assertThatThrownBy(() -> documents.render("zk-demo-bootstrap", unknown))
                .isInstanceOf(SsmDocuments.Rejected.class).hasMessageContaining("no parameter Extra");

        var missing = bootstrap("1=10.0.1.10");
        missing.remove("NodeId");
        assertThatThrownBy(() -> documents.render("zk-demo-bootstrap", missing))
                .isInstanceOf(SsmDocuments.Rejected.class).hasMessageContaining("needs parameter NodeId");

        assertThatThrownBy(() -> documents.render("zk-demo-other", Map.of()))
                .isInstanceOf(SsmDocuments.Rejected.class).hasMessageContaining("InvalidDocument");
    }

    @Test
    void run_shouldUnpackTheBundle_andHandTheParametersToTheEntryScript() throws Exception {
        // GIVEN servers without this node: the bootstrap script's own check refuses it after the unpacking
        var step = documents.render("zk-demo-bootstrap", bootstrap("2=10.0.2.10")).get(0);

        // WHEN
        var result = RunShellScript.run(step, tmp.resolve("orchestration"), Map.of("ZKASG_ROOT", tmp.toString()),
                List.of());

        // THEN
        assertThat(result.status()).isEqualTo("Failed");
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.stderr()).contains("--servers has no entry for node 1");
        assertThat(tmp.resolve("opt/zkasg/bundles/" + bundle.sha256() + "/bin/zk-bootstrap")).isExecutable();
        assertThat(tmp.resolve("orchestration/bootstrap/_script.sh")).isExecutable();
    }

    @Test
    void run_shouldRefuseABundleWhoseChecksumDiffers() throws Exception {
        // GIVEN a well-formed checksum of something else
        var wrong = "0".repeat(64);
        var step = documents.render("zk-demo-stop", Map.of("VolumeId", "vol-0123456789abcdef0", "Fence", "3",
                "BundleSha256", wrong, "Bundle", bundle.base64())).get(0);

        // WHEN
        var result = RunShellScript.run(step, tmp.resolve("orchestration"), Map.of("ZKASG_ROOT", tmp.toString()),
                List.of());

        // THEN
        assertThat(result.status()).isEqualTo("Failed");
        assertThat(result.exitCode()).isEqualTo(65);
        assertThat(result.stderr()).contains("script bundle rejected");
        try (var left = Files.list(tmp.resolve("opt/zkasg/bundles"))) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void run_shouldReportExitStatusOutputLimitsWorkingDirectoryAndTimeout() throws Exception {
        var orchestration = tmp.resolve("o");
        var chatty = new SsmDocuments.Step("chatty", List.of("head -c 30000 /dev/zero | tr '\\0' o",
                "head -c 9000 /dev/zero | tr '\\0' e >&2", "pwd >&2", "exit 3"), Duration.ofSeconds(30));
        var result = RunShellScript.run(chatty, orchestration, Map.of(), List.of());
        assertThat(result.status()).isEqualTo("Failed");
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.stdout()).hasSize(RunShellScript.STDOUT_LIMIT);
        assertThat(result.stderr()).hasSize(RunShellScript.STDERR_LIMIT);
        assertThat(Files.readString(orchestration.resolve("chatty/stderr")))
                .endsWith(orchestration.resolve("chatty") + "\n");

        var ok = RunShellScript.run(new SsmDocuments.Step("ok", List.of("echo fine"), Duration.ofSeconds(30)),
                orchestration, Map.of(), List.of());
        assertThat(ok).isEqualTo(new RunShellScript.Result("Success", 0, "fine\n", ""));

        var start = System.nanoTime();
        var slow = RunShellScript.run(new SsmDocuments.Step("slow", List.of("sleep 30"), Duration.ofSeconds(1)),
                orchestration, Map.of(), List.of());
        assertThat(slow.status()).isEqualTo("TimedOut");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
}
