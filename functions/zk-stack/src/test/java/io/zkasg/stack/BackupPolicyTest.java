package io.zkasg.stack;

import static io.zkasg.stack.CfnTemplate.list;
import static io.zkasg.stack.CfnTemplate.map;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The scheduled backups of template.yaml: a Data Lifecycle Manager policy that snapshots exactly the slot volumes
 * (by the cluster tag they carry and the root volumes do not), copies their cluster and node id tags onto the
 * snapshots (what scripts/zk-restore checks), takes its schedule and retention from parameters, and disappears with
 * its role when backups are off.
 */
class BackupPolicyTest {

    private static CfnTemplate on;
    private static CfnTemplate off;

    @BeforeAll
    static void load() throws IOException {
        on = CfnTemplate.load(CfnTemplate.locate(), Map.of("ClusterName", "zk-demo",
                "BackupSchedule", "cron(0 */6 * * ? *)", "BackupRetainCount", "30"));
        off = CfnTemplate.load(CfnTemplate.locate(), Map.of("ClusterName", "zk-demo", "BackupsEnabled", "false"));
    }

    @Test
    void policy_shouldTargetTheVolumesByTheClusterTagOfTheSlotVolumes_andNoRootVolume() {
        var details = map(on.resolve(on.properties("BackupPolicy").get("PolicyDetails")));
        assertThat(details.get("PolicyType")).isEqualTo("EBS_SNAPSHOT_MANAGEMENT");
        assertThat(list(details.get("ResourceTypes"))).containsExactly("VOLUME");
        var target = list(details.get("TargetTags"));
        assertThat(target).containsExactly(Map.of("Key", "zkasg:cluster", "Value", "zk-demo"));

        var volumes = on.resourcesOfType("AWS::EC2::Volume");
        assertThat(volumes).containsExactly("NodeVolume1", "NodeVolume2", "NodeVolume3");
        for (var volume : volumes) {
            var tags = list(on.resolve(on.properties(volume).get("Tags")));
            assertThat(tags).as(volume).contains(target.get(0))
                    .anySatisfy(t -> assertThat(map(t).get("Key")).isEqualTo("zkasg:node-id"));
        }
        var launchData = map(on.properties("NodeLaunchTemplate").get("LaunchTemplateData"));
        var rootTags = new ArrayList<Object>();
        list(launchData.get("TagSpecifications")).stream().map(CfnTemplate::map)
                .filter(spec -> "volume".equals(spec.get("ResourceType")))
                .forEach(spec -> rootTags.addAll(list(on.resolve(spec.get("Tags")))));
        assertThat(rootTags).as("root volume tags").isNotEmpty()
                .noneSatisfy(t -> assertThat(map(t).get("Key")).isEqualTo("zkasg:cluster"));
    }

    @Test
    void schedule_shouldCopyTheVolumeTags_andTakeTimeAndRetentionFromTheParameters() {
        var schedules = list(map(on.resolve(on.properties("BackupPolicy").get("PolicyDetails"))).get("Schedules"));
        assertThat(schedules).hasSize(1);
        var schedule = map(schedules.get(0));
        assertThat(schedule.get("CopyTags")).as("cluster and node id tags onto each snapshot").isEqualTo(true);
        assertThat(schedule).as("VariableTags are for instance policies only").doesNotContainKey("VariableTags");
        assertThat(map(schedule.get("CreateRule")).get("CronExpression")).isEqualTo("cron(0 */6 * * ? *)");
        assertThat(String.valueOf(map(schedule.get("RetainRule")).get("Count"))).isEqualTo("30");
        assertThat(on.resolveString(on.properties("BackupPolicy").get("State"))).isEqualTo("ENABLED");
    }

    @Test
    void backups_shouldBeOnByDefault_andOffWithTheParameter() {
        assertThat(on.condition("HasBackups")).isTrue();
        assertThat(off.condition("HasBackups")).isFalse();
        assertThat(List.of("BackupPolicy", "BackupRole"))
                .allSatisfy(id -> assertThat(on.resource(id).get("Condition")).as(id).isEqualTo("HasBackups"));
        var pattern = java.util.regex.Pattern.compile(String.valueOf(
                map(map(on.root().get("Parameters")).get("BackupSchedule")).get("AllowedPattern")));
        assertThat(pattern.matcher("cron(0 3 * * ? *)").matches()).isTrue();
        assertThat(pattern.matcher("rate(1 day)").matches()).isFalse();
        assertThat(pattern.matcher(String.valueOf(map(map(on.root().get("Parameters")).get("BackupSchedule"))
                .get("Default"))).matches()).isTrue();
    }

    @Test
    void role_shouldBeAssumableByDlmOnly_andSnapshotOnlyThisClustersVolumes() {
        assertThat(on.resolve(on.properties("BackupPolicy").get("ExecutionRoleArn"))).isEqualTo("<BackupRole.Arn>");
        var trust = list(map(on.properties("BackupRole").get("AssumeRolePolicyDocument")).get("Statement"));
        assertThat(trust).singleElement().satisfies(s -> assertThat(map(s).get("Principal"))
                .isEqualTo(Map.of("Service", "dlm.amazonaws.com")));
        var statements = new ArrayList<Map<String, Object>>();
        list(on.properties("BackupRole").get("Policies")).forEach(p -> list(map(map(p).get("PolicyDocument"))
                .get("Statement")).forEach(s -> statements.add(map(on.resolve(s)))));
        var onVolumes = statements.stream().filter(s -> String.valueOf(s.get("Resource")).contains(":volume/"))
                .toList();
        assertThat(onVolumes).singleElement().satisfies(s -> {
            assertThat(s.get("Action")).isEqualTo("ec2:CreateSnapshot");
            assertThat(s.get("Condition")).isEqualTo(Map.of("StringEquals",
                    Map.of("aws:ResourceTag/zkasg:cluster", "zk-demo")));
        });
        var deletes = statements.stream().filter(s -> list(s.get("Action")).contains("ec2:DeleteSnapshot")).toList();
        assertThat(deletes).singleElement().satisfies(s -> assertThat(s.get("Condition")).isEqualTo(
                Map.of("StringEquals", Map.of("aws:ResourceTag/zkasg:cluster", "zk-demo"))));
    }
}
