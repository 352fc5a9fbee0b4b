package io.zkasg.stack;

import static io.zkasg.stack.CfnTemplate.list;
import static io.zkasg.stack.CfnTemplate.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keeps template.yaml, events/ and the Java code honest with each other: handlers exist, every rule matches its
 * sample events and nothing else, IAM grants exactly the operations the adapters call, no wildcard action, and the
 * SSM documents validate parameters with the same patterns as the Java side. All of it for each ensemble size, with
 * the slots, the group and the connect string of that size; each size is also written out alone (its conditions
 * decided) for cfn-lint ({@code make lint}).
 */
@ParameterizedClass(name = "EnsembleSize {0}")
@ValueSource(strings = {"3", "5", "7"})
class TemplateTest {

    /** The size conditions: slots 4 and 5, slots 6 and 7. */
    private static final Set<String> SIZE_CONDITIONS = Set.of("HasFiveSlots", "HasSevenSlots");

    /** Sample parameters: with these, the template names things exactly as the files in events/ do. */
    private static final Map<String, String> SAMPLE = Map.of(
            "ClusterName", "zk-demo",
            "ClientCidr", "10.0.0.0/16",
            "VpcId", "vpc-0123456789abcdef0",
            "Subnet1Id", "subnet-0aaaaaaaaaaaaaaa1",
            "Subnet2Id", "subnet-0bbbbbbbbbbbbbbb2",
            "Subnet3Id", "subnet-0ccccccccccccccc3",
            "AZ1", "us-east-1a",
            "AZ2", "us-east-1b",
            "AZ3", "us-east-1c");

    /** Which sample events each EventBridge rule (function.event) must match; it must match no other file. */
    private static final Map<String, Set<String>> RULE_EVENTS = Map.of(
            "LaunchHookFunction.LifecycleAction", Set.of("launch-us-east-1a.json", "launch-us-east-1b.json",
                    "launch-us-east-1c.json", "launch-duplicate.json", "launch-us-east-1b-replacement.json"),
            "TerminateHookFunction.LifecycleAction", Set.of("terminate-us-east-1b.json"),
            "CommandStatusFunction.CommandStatus", Set.of("command-invocation-success.json",
                    "command-invocation-failed.json", "stop-invocation-success.json"));

    private static final ObjectMapper JSON = new ObjectMapper();
    private static CfnTemplate template;
    private static Path events;

    @Parameter
    String ensembleSize;

    @BeforeParameterizedClassInvocation
    static void load(String ensembleSize) throws IOException {
        var file = CfnTemplate.locate();
        var parameters = new HashMap<>(SAMPLE);
        parameters.put("EnsembleSize", ensembleSize);
        template = CfnTemplate.load(file, parameters);
        events = file.resolveSibling("events");
    }

    // ------------------------------------------------------------------------------------------- (0) the size

    @Test
    void slots_shouldBeSpreadOverTheThreeZones_andTheGroupAndConnectStringFollowTheSize() {
        int size = Integer.parseInt(ensembleSize);
        var perZone = new int[3];
        for (int node = 1; node <= 7; node++) {
            var eni = "NodeEni" + node;
            var volume = "NodeVolume" + node;
            assertThat(template.exists(eni)).as(eni).isEqualTo(node <= size);
            assertThat(template.exists(volume)).as(volume).isEqualTo(node <= size);
            var output = map(map(template.root().get("Outputs")).get("Node" + node + "Address"));
            assertThat(output).as("output of node " + node).isNotEmpty();
            assertThat(output.get("Condition")).as("output of node " + node)
                    .isEqualTo(template.resource(eni).get("Condition"));
            if (node > size) {
                continue;
            }
            int zone = (node - 1) % 3 + 1;
            perZone[zone - 1]++;
            var eniProps = map(template.resolve(template.properties(eni)));
            var volumeProps = map(template.resolve(template.properties(volume)));
            assertThat(eniProps.get("SubnetId")).as(eni).isEqualTo(SAMPLE.get("Subnet" + zone + "Id"));
            assertThat(volumeProps.get("AvailabilityZone")).as(volume).isEqualTo(SAMPLE.get("AZ" + zone));
            var tag = Map.of("Key", "zkasg:node-id", "Value", Integer.toString(node));
            assertThat(list(eniProps.get("Tags"))).as(eni).contains(tag);
            assertThat(list(volumeProps.get("Tags"))).as(volume).contains(tag);
            assertThat(template.resource(volume).get("DeletionPolicy")).as(volume).isEqualTo("Snapshot");
        }
        assertThat(perZone).as("slots per zone").containsExactly(switch (size) {
            case 3 -> new int[] {1, 1, 1};
            case 5 -> new int[] {2, 2, 1};
            default -> new int[] {3, 2, 2};
        });
        assertThat(template.resourcesOfType("AWS::EC2::NetworkInterface")).hasSize(size);
        assertThat(template.resourcesOfType("AWS::EC2::Volume")).hasSize(size);

        var group = template.properties("NodeGroup");
        for (var key : List.of("MinSize", "MaxSize", "DesiredCapacity")) {
            assertThat(template.resolveString(group.get(key))).as(key).isEqualTo(ensembleSize);
        }
        // The group waits for every slot of the size, and only those exist to wait for.
        assertThat(list(template.resource("NodeGroup").get("DependsOn"))).contains("SlotsCreated");
        var awaited = new TreeSet<String>();
        collectRefs(template.resolve(template.resource("SlotsCreated").get("Metadata")), awaited);
        var slots = new TreeSet<String>(template.resourcesOfType("AWS::EC2::NetworkInterface"));
        slots.addAll(template.resourcesOfType("AWS::EC2::Volume"));
        assertThat(awaited).isEqualTo(slots);

        var connect = template.resolveString(template.properties("ConnectStringParameter").get("Value"));
        var expected = new ArrayList<String>();
        for (int node = 1; node <= size; node++) {
            expected.add("<NodeEni" + node + ".PrimaryPrivateIpAddress>:2181");
        }
        assertThat(connect).isEqualTo(String.join(",", expected));
    }

    /**
     * A shrink is two updates (docs/sizing.md): step 1 sets ShrinkTo below the size, which lowers only the group's
     * minimum (so the reconciler can terminate each removed member's instance and decrement the desired capacity,
     * and the group never picks a member) and tells the functions the members to keep (ENSEMBLE_MEMBERS); the slots
     * stay until step 2 lowers EnsembleSize. A Rule refuses a ShrinkTo that is not below the size.
     */
    @Test
    void shrinkStepOne_shouldLowerOnlyTheGroupsMinimumAndTheMembers_andKeepEverySlot() throws IOException {
        int size = Integer.parseInt(ensembleSize);
        assertThat(map(template.resolve(globalEnvironment())).get("ENSEMBLE_MEMBERS")).isEqualTo(ensembleSize);
        for (var target : List.of("3", "5")) {
            var parameters = new HashMap<>(SAMPLE);
            parameters.put("EnsembleSize", ensembleSize);
            parameters.put("ShrinkTo", target);
            var shrinking = CfnTemplate.load(CfnTemplate.locate(), parameters);
            boolean allowed = Integer.parseInt(target) < size;
            assertThat(rulesHold(shrinking)).as("ShrinkTo " + target + " with EnsembleSize " + size)
                    .isEqualTo(allowed);
            if (!allowed) {
                continue;
            }
            var group = shrinking.properties("NodeGroup");
            assertThat(shrinking.resolveString(group.get("MinSize"))).isEqualTo(target);
            assertThat(shrinking.resolveString(group.get("MaxSize"))).isEqualTo(ensembleSize);
            assertThat(shrinking.resolveString(group.get("DesiredCapacity"))).isEqualTo(ensembleSize);
            assertThat(map(shrinking.resolve(globalEnvironment())).get("ENSEMBLE_MEMBERS")).isEqualTo(target);
            assertThat(shrinking.resourcesOfType("AWS::EC2::NetworkInterface").stream().filter(shrinking::exists))
                    .as("every slot stays in step 1").hasSize(size);
            assertThat(shrinking.resolve(shrinking.properties("ConnectStringParameter").get("Value")))
                    .isEqualTo(template.resolve(template.properties("ConnectStringParameter").get("Value")));
            assertThat(group).doesNotContainKey("NewInstancesProtectedFromScaleIn");
        }
        assertThat(rulesHold(template)).as("no shrink").isTrue();
    }

    private static Object globalEnvironment() {
        return map(map(map(template.root().get("Globals")).get("Function")).get("Environment")).get("Variables");
    }

    /** Every assertion of the template's Rules (Fn::ValueOfAll ones excepted: they need the account). */
    private static boolean rulesHold(CfnTemplate t) {
        var all = true;
        for (var rule : map(t.root().get("Rules")).values()) {
            for (var assertion : list(map(rule).get("Assertions"))) {
                var expression = map(assertion).get("Assert");
                if (!String.valueOf(expression).contains("Fn::ValueOfAll")) {
                    all &= t.holds(expression);
                }
            }
        }
        return all;
    }

    @Test
    void sizeConditions_shouldFoldAway_forCfnLintToCheckThisSizeAlone() throws IOException {
        var folded = template.folded(SIZE_CONDITIONS);
        var text = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(folded);
        for (var condition : SIZE_CONDITIONS) {
            assertThat(text).as("no trace of " + condition).doesNotContain("\"" + condition + "\"");
        }
        assertThat(map(folded.get("Resources")).keySet().stream().filter(id -> id.startsWith("NodeEni")))
                .hasSize(Integer.parseInt(ensembleSize));
        var parameters = map(folded.get("Parameters"));
        var size = new LinkedHashMap<String, Object>(map(parameters.get("EnsembleSize")));
        size.put("Default", ensembleSize);
        size.put("AllowedValues", List.of(ensembleSize));
        parameters.put("EnsembleSize", size);
        var out = Path.of("target", "templates", "template-size-" + ensembleSize + ".json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(folded));
    }

    // ------------------------------------------------------------------------------------------------ (a) handlers

    @Test
    void handlers_shouldResolveToPublicClassesWithThatMethod_whenTheLambdaModuleIsOnTheClassPath() {
        var problems = new ArrayList<String>();
        for (var id : functions()) {
            var handler = template.resolveString(template.properties(id).get("Handler"));
            var parts = handler.split("::");
            try {
                var type = Class.forName(parts[0]);
                if (!Modifier.isPublic(type.getModifiers()) || Modifier.isAbstract(type.getModifiers())) {
                    problems.add(id + ": " + parts[0] + " is not a public concrete class");
                }
                type.getConstructor();
                if (parts.length != 2 || Stream.of(type.getMethods()).noneMatch(m -> m.getName().equals(parts[1]))) {
                    problems.add(id + ": " + handler + " has no public method " + (parts.length == 2 ? parts[1] : "?"));
                }
            } catch (ClassNotFoundException e) {
                problems.add(id + ": handler class " + parts[0] + " is not on the class path");
            } catch (NoSuchMethodException e) {
                problems.add(id + ": " + parts[0] + " has no public no-argument constructor (Lambda needs one)");
            }
        }
        assertThat(functions()).hasSize(5);
        assertThat(problems).as("handlers named in template.yaml").isEmpty();
    }

    // ---------------------------------------------------------------------------------------- (b) event patterns

    @Test
    void eventRules_shouldMatchTheirSampleEventsAndNoOther() throws IOException {
        var rules = eventBridgeRules();
        assertThat(rules.keySet()).as("EventBridge rules in template.yaml").isEqualTo(RULE_EVENTS.keySet());
        var samples = sampleEvents();
        var expectedToMatchSomething = new TreeSet<String>();
        RULE_EVENTS.values().forEach(expectedToMatchSomething::addAll);
        assertThat(samples.keySet()).as("events/ files").containsAll(expectedToMatchSomething)
                .contains("launch-test-notification.json", "launch-other-group.json",
                        "command-invocation-inprogress.json");

        var wrong = new ArrayList<String>();
        rules.forEach((rule, pattern) -> samples.forEach((file, event) -> {
            var expected = RULE_EVENTS.get(rule).contains(file);
            if (EventPattern.matches(pattern, event) != expected) {
                wrong.add(rule + (expected ? " does not match " : " matches ") + file);
            }
        }));
        assertThat(wrong).as("rule patterns (ClusterName=zk-demo) against events/").isEmpty();
    }

    @Test
    void malformedEvent_shouldNotParse() {
        assertThatThrownBy(() -> JSON.readTree(events.resolve("malformed.json").toFile()))
                .isInstanceOf(JsonProcessingException.class);
    }

    @Test
    void eventPattern_shouldSupportPrefixAnythingButAndExists() {
        Map<String, Object> event = Map.of("source", "aws.ssm", "detail", Map.of("status", "Failed", "n", 3));
        assertThat(EventPattern.matches(Map.of("source", List.of(Map.of("prefix", "aws."))), event)).isTrue();
        assertThat(EventPattern.matches(Map.of("detail", Map.of("status",
                List.of(Map.of("anything-but", List.of("InProgress"))))), event)).isTrue();
        assertThat(EventPattern.matches(Map.of("detail", Map.of("status",
                List.of(Map.of("anything-but", "Failed")))), event)).isFalse();
        assertThat(EventPattern.matches(Map.of("detail", Map.of("missing",
                List.of(Map.of("anything-but", "x")))), event)).isFalse();
        assertThat(EventPattern.matches(Map.of("detail", Map.of("missing",
                List.of(Map.of("exists", false)))), event)).isTrue();
        assertThat(EventPattern.matches(Map.of("detail", Map.of("n", List.of(3))), event)).isTrue();
        assertThat(EventPattern.matches(Map.of("detail", Map.of("n", List.of("3"))), event)).isFalse();
    }

    // ------------------------------------------------------------------------ names shared by template and code

    @Test
    void environment_shouldBeAcceptedBySettingsAndNameTheGroupHooksAndDocumentsOfTheTemplate() throws Exception {
        var env = new HashMap<String, String>();
        map(template.resolve(map(map(map(template.root().get("Globals")).get("Function")).get("Environment"))
                .get("Variables"))).forEach((k, v) -> env.put(k, String.valueOf(v)));

        var settings = Class.forName("io.zkasg.core.Settings").getMethod("fromEnv", Map.class).invoke(null, env);
        assertThat(settings).isNotNull();

        assertThat(env.get("STOP_LEASE_TABLE"))
                .isEqualTo(template.resolveString(template.properties("StopLeaseTable").get("TableName")))
                .isEqualTo("zk-demo-stop-lease");
        var group = template.properties("NodeGroup");
        assertThat(env.get("ASG_NAME")).isEqualTo(template.resolveString(group.get("AutoScalingGroupName")))
                .isEqualTo("zk-demo-asg");
        var hooks = new LinkedHashMap<String, Map<String, Object>>();
        list(template.resolve(group.get("LifecycleHookSpecificationList")))
                .forEach(h -> hooks.put(String.valueOf(map(h).get("LifecycleTransition")), map(h)));
        var launch = hooks.get("autoscaling:EC2_INSTANCE_LAUNCHING");
        var terminate = hooks.get("autoscaling:EC2_INSTANCE_TERMINATING");
        assertThat(launch.get("LifecycleHookName")).isEqualTo(env.get("LAUNCH_HOOK_NAME")).isEqualTo("zk-demo-launch");
        assertThat(launch.get("DefaultResult")).isEqualTo("ABANDON");
        assertThat(terminate.get("LifecycleHookName")).isEqualTo(env.get("TERMINATE_HOOK_NAME"))
                .isEqualTo("zk-demo-terminate");
        assertThat(terminate.get("DefaultResult")).isEqualTo("CONTINUE");
        assertThat(String.valueOf(launch.get("HeartbeatTimeout"))).isEqualTo(env.get("HEARTBEAT_TIMEOUT_SECONDS"));
        assertThat(String.valueOf(terminate.get("HeartbeatTimeout"))).isEqualTo(env.get("HEARTBEAT_TIMEOUT_SECONDS"));
        assertThat(env.get("BOOTSTRAP_DOCUMENT")).isEqualTo("zk-demo-bootstrap");
        assertThat(env.get("STOP_DOCUMENT")).isEqualTo("zk-demo-stop");
        var timeout = Integer.parseInt(String.valueOf(
                map(map(template.root().get("Globals")).get("Function")).get("Timeout")));
        var shortestHeartbeat = Integer.parseInt(String.valueOf(
                map(map(template.root().get("Parameters")).get("HeartbeatTimeout")).get("MinValue")));
        assertThat(2 * timeout).as("function timeout well under any allowed heartbeat timeout")
                .isLessThanOrEqualTo(shortestHeartbeat);
        // The functions check the resume queue's own visibility timeout against the heartbeat (Settings).
        assertThat(String.valueOf(template.resolve(template.properties("ResumeQueue").get("VisibilityTimeout"))))
                .isEqualTo(env.get("RESUME_VISIBILITY_TIMEOUT_SECONDS")).isEqualTo("720");
        // Every heartbeat timeout the template allows is one the functions accept (their waits fit in it).
        var shortest = new LinkedHashMap<>(env);
        shortest.put("HEARTBEAT_TIMEOUT_SECONDS", Integer.toString(shortestHeartbeat));
        assertThat(io.zkasg.core.Settings.fromEnv(shortest).heartbeatTimeout().toSeconds())
                .isEqualTo(shortestHeartbeat);
        // The reconciler's reaction assumes the health function's schedule and timeout.
        var health = template.properties("HealthCheckFunction");
        assertThat(Integer.parseInt(String.valueOf(health.get("Timeout"))))
                .isEqualTo(io.zkasg.core.Settings.HEALTH_RUN.toSeconds());
        assertThat(String.valueOf(map(map(map(health.get("Events")).get("Schedule")).get("Properties"))
                .get("Schedule"))).isEqualTo("rate(1 minute)");
        assertThat(io.zkasg.core.Settings.HEALTH_PERIOD).hasSeconds(60);
    }

    // ---------------------------------------------------------------------------------------- (c) IAM = SDK calls

    @Test
    void grantedActions_shouldEqualTheAwsOperationsTheAdaptersCall() {
        var called = SdkCalls.actionsCalledUnder("io/zkasg/aws");
        assertThat(called)
                .as("no AWS SDK v2 client call found in any class under io/zkasg/aws on the test class path: "
                        + "the adapters (functions/zk-aws) have not landed, or no longer call *Client interfaces")
                .isNotEmpty();
        var granted = new TreeSet<String>();
        functions().forEach(id -> granted.addAll(grantedActions(id)));

        var notGranted = new TreeMap<String, Set<String>>(called);
        notGranted.keySet().removeAll(granted);
        var neverCalled = new TreeSet<>(granted);
        neverCalled.removeAll(called.keySet());
        assertThat(notGranted).as("operations the adapters call (action -> callers) that no function may perform")
                .isEmpty();
        assertThat(neverCalled).as("actions granted to the functions that no adapter calls").isEmpty();
    }

    @Test
    void sdkActionNames_shouldFollowTheOperationNames() {
        assertThat(SdkCalls.action("ec2", "describeInstances")).isEqualTo("ec2:DescribeInstances");
        assertThat(SdkCalls.action("ec2", "describeNetworkInterfacesPaginator"))
                .isEqualTo("ec2:DescribeNetworkInterfaces");
        assertThat(SdkCalls.action("autoscaling", "completeLifecycleAction"))
                .isEqualTo("autoscaling:CompleteLifecycleAction");
    }

    // ------------------------------------------------------------------------------------- (d) no wildcard action

    /** Read-only actions other than Describe* for which IAM has no resource type (Service Authorization Reference). */
    private static final Set<String> UNSCOPABLE_READS = Set.of("ssm:GetCommandInvocation");

    @Test
    void policies_shouldNeverGrantAWildcardAction_andUseResourceStarOnlyForDescribe() {
        var problems = new ArrayList<String>();
        allPolicyStatements().forEach((where, statement) -> {
            var actions = list(statement.get("Action")).stream().map(String::valueOf).toList();
            assertThat(statement).as(where + " uses NotAction/NotResource").doesNotContainKeys("NotAction",
                    "NotResource");
            for (var action : actions) {
                if (action.equals("*") || action.endsWith(":*") || action.contains("*")) {
                    problems.add(where + " grants " + action);
                }
            }
            if (list(statement.get("Resource")).contains("*")) {
                actions.stream().filter(a -> !a.substring(a.indexOf(':') + 1).startsWith("Describe")
                                && !UNSCOPABLE_READS.contains(a))
                        .forEach(a -> problems.add(where + " grants " + a + " on every resource"));
            }
        });
        assertThat(allPolicyStatements()).isNotEmpty();
        assertThat(problems).isEmpty();
    }

    /**
     * The SSM actions the functions call on every resource (no resource type for them in the Service Authorization
     * Reference) are held to this stack's Region by the global key aws:RequestedRegion: the tightest the documented
     * keys allow (docs/deploy.md, IAM).
     */
    @Test
    void ssmGrantsOnEveryResource_shouldBeHeldToTheStacksRegion() {
        var unscoped = new ArrayList<String>();
        var scoped = new ArrayList<String>();
        allPolicyStatements().forEach((where, statement) -> {
            var ssm = list(statement.get("Action")).stream().map(String::valueOf).anyMatch(a -> a.startsWith("ssm:"));
            if (ssm && list(statement.get("Resource")).contains("*")) {
                var region = Optional.ofNullable(statement.get("Condition")).map(c -> map(c).get("StringEquals"))
                        .map(e -> map(e).get("aws:RequestedRegion")).map(String::valueOf).orElse("");
                (region.contains("AWS::Region") ? scoped : unscoped).add(where);
            }
        });
        assertThat(scoped).as("ssm grants on '*'").hasSizeGreaterThanOrEqualTo(3);
        assertThat(unscoped).as("ssm grants on '*' without aws:RequestedRegion = the stack's Region").isEmpty();
    }

    // --------------------------------------------------------------------------- (e) document patterns = Java's

    @Test
    void documentParameters_shouldUseTheJavaPatterns() throws Exception {
        var bootstrap = new LinkedHashMap<String, String>();
        bootstrap.put("NodeId", required(javaPattern("CommandParameters", "NODE_ID")));
        bootstrap.put("EniIp", required(javaPattern("CommandParameters", "IPV4")));
        bootstrap.put("EniMac", required(javaPattern("CommandParameters", "MAC")));
        bootstrap.put("VolumeId", required(javaPattern("CommandParameters", "VOLUME_ID")));
        bootstrap.put("Device", required(javaPattern("Settings", "DEVICE")));
        bootstrap.put("Servers", required(javaPattern("CommandParameters", "SERVERS")));
        bootstrap.put("ClientPort", required(javaPattern("CommandParameters", "PORT")));
        bootstrap.put("QuorumPort", required(javaPattern("CommandParameters", "PORT")));
        bootstrap.put("ElectionPort", required(javaPattern("CommandParameters", "PORT")));
        bootstrap.put("ZkDistUrl", optional(javaPattern("Settings", "HTTPS_URL")));
        bootstrap.put("ZkSha512", optional(javaPattern("Settings", "SHA512")));
        bootstrap.put("Join", required(javaPattern("CommandParameters", "JOIN")));
        bootstrap.put("BundleSha256", required(javaPattern("ScriptBundle", "SHA256")));
        bootstrap.put("Bundle", required(javaPattern("ScriptBundle", "BASE64")));
        assertThat(documentPatterns("BootstrapDocument")).isEqualTo(bootstrap);

        var stop = new LinkedHashMap<String, String>();
        stop.put("VolumeId", bootstrap.get("VolumeId"));
        stop.put("Fence", required(javaPattern("CommandParameters", "FENCE")));
        stop.put("BundleSha256", bootstrap.get("BundleSha256"));
        stop.put("Bundle", bootstrap.get("Bundle"));
        assertThat(documentPatterns("StopDocument")).isEqualTo(stop);

        var reconfig = new LinkedHashMap<String, String>();
        reconfig.put("Add", optional(javaPattern("CommandParameters", "SERVER")));
        reconfig.put("Remove", optional(javaPattern("CommandParameters", "NODE_ID")));
        reconfig.put("FromVersion", required(javaPattern("CommandParameters", "CONFIG_VERSION")));
        reconfig.put("QuorumPort", bootstrap.get("QuorumPort"));
        reconfig.put("ElectionPort", bootstrap.get("ElectionPort"));
        reconfig.put("BundleSha256", bootstrap.get("BundleSha256"));
        reconfig.put("Bundle", bootstrap.get("Bundle"));
        assertThat(documentPatterns("ReconfigDocument")).isEqualTo(reconfig);
    }

    @Test
    void documentScripts_shouldUseEveryParameter_andSingleQuoteOnlyValuesWhosePatternHasNoQuote() {
        for (var id : List.of("BootstrapDocument", "StopDocument", "ReconfigDocument")) {
            var content = map(template.resolve(template.properties(id).get("Content")));
            var parameters = map(content.get("parameters"));
            var script = new StringBuilder();
            list(content.get("mainSteps")).forEach(step -> list(map(map(step).get("inputs")).get("runCommand"))
                    .forEach(line -> script.append(line).append('\n')));
            Matcher used = Pattern.compile("\\{\\{\\s*([A-Za-z0-9]+)\\s*}}").matcher(script);
            var usedNames = new TreeSet<String>();
            while (used.find()) {
                usedNames.add(used.group(1));
            }
            assertThat(usedNames).as(id + " parameters used by the script")
                    .isEqualTo(new TreeSet<>(parameters.keySet()));

            Matcher quoted = Pattern.compile("'\\{\\{\\s*([A-Za-z0-9]+)\\s*}}'").matcher(script);
            while (quoted.find()) {
                var pattern = String.valueOf(map(parameters.get(quoted.group(1))).get("allowedPattern"));
                assertThat(pattern).as(id + ": " + quoted.group(1) + " is single-quoted in the script, so its "
                        + "allowedPattern must not admit a quote").doesNotContain("'");
            }
            assertThat(script.toString()).as(id).startsWith("#!/bin/bash\nset -euo pipefail\n");
        }
    }

    @Test
    void bundleUnpacking_shouldBeWrittenOnce_andStartEveryDocument() {
        var unpack = Map.of("Fn::FindInMap", List.of("DocumentShell", "Bundle", "Unpack"));
        for (var id : template.resourcesOfType("AWS::SSM::Document")) {
            var steps = list(map(template.properties(id).get("Content")).get("mainSteps"));
            assertThat(steps).as(id + " steps").hasSize(1);
            var lines = list(map(map(steps.get(0)).get("inputs")).get("runCommand"));
            assertThat(lines).as(id + ": the shared unpacking, then the document's own entry line").hasSize(2);
            assertThat(lines.get(0)).as(id).isEqualTo(unpack);
            assertThat(String.valueOf(lines.get(1))).as(id + ": its own line does not unpack")
                    .doesNotContain("base64").contains("exec \"$dest/bin/zk-");
        }
        assertThat(occurrences(template.root(), "base64 -d")).as("copies of the unpacking shell").isEqualTo(1);
    }

    private static int occurrences(Object node, String text) {
        if (node instanceof Map<?, ?> m) {
            return m.values().stream().mapToInt(v -> occurrences(v, text)).sum();
        }
        if (node instanceof List<?> l) {
            return l.stream().mapToInt(v -> occurrences(v, text)).sum();
        }
        return String.valueOf(node).split(Pattern.quote(text), -1).length - 1;
    }

    // --------------------------------------------------------------------------- (f) health function and alarms

    @Test
    void healthFunction_shouldRunEveryMinuteInsideTheVpc_withOneRunAtATime() {
        var health = template.properties("HealthCheckFunction");
        assertThat(template.resolveString(health.get("Handler")))
                .isEqualTo("io.zkasg.lambda.HealthCheckHandler::handleRequest");
        assertThat(String.valueOf(health.get("ReservedConcurrentExecutions"))).isEqualTo("1");
        var schedule = map(map(map(health.get("Events")).get("Schedule")).get("Properties"));
        assertThat(schedule.get("Schedule")).isEqualTo("rate(1 minute)");
        var vpc = map(template.resolve(health.get("VpcConfig")));
        assertThat(list(vpc.get("SubnetIds"))).containsExactly("subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2",
                "subnet-0ccccccccccccccc3");
        assertThat(list(map(health.get("VpcConfig")).get("SecurityGroupIds")))
                .containsExactly(Map.of("Ref", "HealthCheckSecurityGroup"));
    }

    @Test
    void healthSecurityGroups_shouldOpenOnlyTheClientPortBetweenFunctionAndMembers() {
        var egress = list(template.properties("HealthCheckSecurityGroup").get("SecurityGroupEgress"));
        var toMembers = egress.stream().map(CfnTemplate::map)
                .filter(r -> Map.of("Ref", "MembersSecurityGroup").equals(r.get("DestinationSecurityGroupId")))
                .toList();
        assertThat(toMembers).hasSize(1);
        assertThat(String.valueOf(template.resolve(toMembers.get(0).get("FromPort")))).isEqualTo("2181");
        assertThat(String.valueOf(template.resolve(toMembers.get(0).get("ToPort")))).isEqualTo("2181");
        var ingress = template.properties("HealthCheckIngress");
        assertThat(ingress.get("GroupId")).isEqualTo(Map.of("Ref", "MembersSecurityGroup"));
        assertThat(ingress.get("SourceSecurityGroupId")).isEqualTo(Map.of("Ref", "HealthCheckSecurityGroup"));
        assertThat(String.valueOf(template.resolve(ingress.get("FromPort")))).isEqualTo("2181");
        assertThat(String.valueOf(template.resolve(ingress.get("ToPort")))).isEqualTo("2181");
    }

    @Test
    void alarms_shouldWatchMetricsTheFunctionsPublish() {
        var alarms = template.resourcesOfType("AWS::CloudWatch::Alarm");
        assertThat(alarms).containsExactlyInAnyOrder("HookAbandonedAlarm", "NodeNotServingAlarm", "BelowQuorumAlarm");
        var published = Set.of("HookAbandoned", "NotServingNodes", "BelowQuorum");
        for (var id : alarms) {
            var alarm = template.properties(id);
            assertThat(alarm.get("Namespace")).as(id).isEqualTo(io.zkasg.lambda.EmfMetrics.NAMESPACE);
            assertThat(published).as(id + " metric").contains(String.valueOf(alarm.get("MetricName")));
            var dimensions = list(template.resolve(alarm.get("Dimensions")));
            assertThat(dimensions).as(id + " dimensions").containsExactly(
                    Map.of("Name", io.zkasg.lambda.EmfMetrics.CLUSTER, "Value", "zk-demo"));
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    /** The resource names {@code Ref}'d anywhere in an already resolved node ("&lt;Name&gt;" placeholders). */
    private static void collectRefs(Object node, Set<String> out) {
        if (node instanceof Map<?, ?> m) {
            m.values().forEach(v -> collectRefs(v, out));
        } else if (node instanceof List<?> l) {
            l.forEach(v -> collectRefs(v, out));
        } else if (node instanceof String s && s.startsWith("<") && s.endsWith(">") && !s.contains(".")) {
            out.add(s.substring(1, s.length() - 1));
        }
    }

    private static List<String> functions() {
        return template.resourcesOfType("AWS::Serverless::Function");
    }

    private static Map<String, Map<String, Object>> eventBridgeRules() {
        var rules = new TreeMap<String, Map<String, Object>>();
        for (var id : functions()) {
            map(template.properties(id).get("Events")).forEach((name, event) -> {
                if ("EventBridgeRule".equals(map(event).get("Type"))) {
                    rules.put(id + "." + name, map(template.resolve(map(map(event).get("Properties")).get("Pattern"))));
                }
            });
        }
        return rules;
    }

    private static Map<String, Map<String, Object>> sampleEvents() throws IOException {
        var out = new TreeMap<String, Map<String, Object>>();
        try (Stream<Path> files = Files.list(events)) {
            for (var file : files.filter(f -> f.toString().endsWith(".json")).toList()) {
                var name = file.getFileName().toString();
                if (!name.equals("malformed.json")) {
                    out.put(name, JSON.readValue(file.toFile(), new TypeReference<Map<String, Object>>() { }));
                }
            }
        }
        return out;
    }

    /** Actions of a function's Policies: inline documents and managed policies of this template. */
    private static Set<String> grantedActions(String function) {
        var actions = new TreeSet<String>();
        for (var statement : functionStatements(function)) {
            if ("Allow".equals(statement.get("Effect"))) {
                list(statement.get("Action")).forEach(a -> actions.add(String.valueOf(a)));
            }
        }
        return actions;
    }

    private static List<Map<String, Object>> functionStatements(String function) {
        var statements = new ArrayList<Map<String, Object>>();
        for (var policy : list(template.properties(function).get("Policies"))) {
            var document = map(policy);
            if (document.containsKey("Ref")) {
                var target = String.valueOf(document.get("Ref"));
                assertThat(template.resource(target).get("Type")).as(function + " policy " + target)
                        .isEqualTo("AWS::IAM::ManagedPolicy");
                document = map(template.properties(target).get("PolicyDocument"));
            } else if (!document.containsKey("Statement")) {
                throw new AssertionError(function + ": policy " + policy + " is neither a document nor a managed "
                        + "policy of this template (SAM policy templates are not checked; write the statements)");
            }
            list(document.get("Statement")).forEach(s -> statements.add(map(s)));
        }
        return statements;
    }

    /** Every statement of every policy document in the template, keyed by where it is. */
    private static Map<String, Map<String, Object>> allPolicyStatements() {
        var out = new LinkedHashMap<String, Map<String, Object>>();
        template.resources().forEach((id, body) -> collectStatements(id, body, out));
        return out;
    }

    private static void collectStatements(String where, Object node, Map<String, Map<String, Object>> out) {
        if (node instanceof Map<?, ?> m) {
            var statements = map(m).get("Statement");
            if (statements instanceof List<?> l && !l.isEmpty()
                    && l.stream().allMatch(s -> map(s).containsKey("Effect"))) {
                var i = 0;
                for (var s : list(statements)) {
                    out.put(where + "#" + (i++) + (map(s).containsKey("Sid") ? "(" + map(s).get("Sid") + ")" : ""),
                            map(s));
                }
            }
            map(m).forEach((k, v) -> collectStatements(where + "." + k, v, out));
        } else if (node instanceof List<?> l) {
            for (var i = 0; i < l.size(); i++) {
                collectStatements(where + "[" + i + "]", l.get(i), out);
            }
        }
    }

    private static Map<String, String> documentPatterns(String document) {
        var out = new LinkedHashMap<String, String>();
        map(map(template.properties(document).get("Content")).get("parameters")).forEach((name, spec) ->
                out.put(name, String.valueOf(map(spec).get("allowedPattern"))));
        return out;
    }

    private static String javaPattern(String className, String field) throws ReflectiveOperationException {
        var f = Class.forName("io.zkasg.core." + className).getDeclaredField(field);
        f.setAccessible(true);
        return ((Pattern) f.get(null)).pattern();
    }

    private static String required(String javaPattern) {
        return "^" + javaPattern + "$";
    }

    private static String optional(String javaPattern) {
        return "^$|^" + javaPattern + "$";
    }
}
