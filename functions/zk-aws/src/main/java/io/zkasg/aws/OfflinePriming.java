package io.zkasg.aws;

import io.zkasg.core.HookTicket;
import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.model.LifecycleResult;
import io.zkasg.core.port.ClusterTags;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.core.SdkField;
import software.amazon.awssdk.core.SdkPojo;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.protocol.MarshallingType;
import software.amazon.awssdk.core.traits.ListTrait;
import software.amazon.awssdk.core.traits.MapTrait;
import software.amazon.awssdk.core.warmup.http.CannedResponseHttpClient;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * SnapStart priming without a request on the network: every operation the adapters call runs once, through the
 * adapters, over clients configured like the production ones (same retries, interceptors, signer, region and endpoint
 * rules) whose HTTP client is the SDK's canned-response client (the one its own {@code SdkWarmUp} uses: {@code
 * <Response/>} for the query protocols of EC2 and Auto Scaling, {@code {}} for the JSON ones). That loads and runs
 * each operation's request marshalling, signing, endpoint resolution and response unmarshalling. An empty response
 * reaches none of the nested model classes a real one holds (an EC2 {@code Instance} alone is a few hundred classes),
 * so an interceptor walks the field metadata of every request and response and builds each nested model once.
 * Nothing leaves the process; every failure of a call is swallowed (an empty answer is not what the adapters expect).
 */
final class OfflinePriming {

    /** Well-formed but never allocated ids (nothing is sent anywhere anyway). */
    private static final String INSTANCE = AwsClients.PRIME_INSTANCE_ID;
    private static final String ENI = "eni-00000000000000000";
    private static final String VOLUME = "vol-00000000000000000";

    private OfflinePriming() {
    }

    /**
     * Runs the adapters' operations over canned clients made by {@code configure} (the production settings).
     *
     * @return the names of the model classes built (the request and response types and all they can hold)
     */
    static Set<String> run(Configurer configure) {
        var models = new ModelWalk();
        withCanned(configure, models, clients -> {
            var tags = new ClusterTags("zkasg:cluster", "zk-priming", "zkasg:node-id", "");
            var ref = new LifecycleRef("zk-priming-asg", "zk-priming-launch", INSTANCE,
                    "00000000-0000-0000-0000-000000000000");
            var ec2Port = new AwsEc2(clients.ec2());
            var asgPort = new AwsAutoScaling(clients.autoScaling());
            var ssmPort = new AwsSsm(clients.ssm());
            var lease = new DynamoStopLease(clients.dynamoDb(), "zk-priming-stop-lease", Clock.systemUTC());
            var scheduler = new SqsResumeScheduler(clients.sqs(),
                    "https://sqs.us-east-1.amazonaws.com/000000000000/zk-priming", ticket -> "{}");
            List<Runnable> calls = List.of(
                    () -> ec2Port.describeInstance(INSTANCE),
                    () -> ec2Port.clusterEnis(tags),
                    () -> ec2Port.clusterVolumes(tags, "us-east-1a"),
                    () -> ec2Port.attachEni(ENI, INSTANCE, 1),
                    () -> ec2Port.attachVolume(VOLUME, INSTANCE, "/dev/sdf"),
                    () -> ec2Port.keepEniOnTermination(ENI, "eni-attach-00000000000000000"),
                    () -> ec2Port.detachEni("eni-attach-00000000000000000", false),
                    () -> ec2Port.detachVolume(VOLUME, INSTANCE, false),
                    () -> ec2Port.tagInstance(INSTANCE, Map.of("zkasg:node-id", "1")),
                    () -> asgPort.members(List.of(INSTANCE)),
                    () -> asgPort.groupMembers(ref.groupName()),
                    () -> asgPort.recordHeartbeat(ref),
                    () -> asgPort.completeLifecycleAction(ref, LifecycleResult.CONTINUE),
                    () -> asgPort.markUnhealthy(INSTANCE),
                    () -> asgPort.terminateInGroup(INSTANCE),
                    () -> asgPort.ensureAzRebalanceSuspended(ref.groupName()),
                    () -> ssmPort.agentStatus(INSTANCE),
                    () -> ssmPort.commandStatus("00000000-0000-0000-0000-000000000000", INSTANCE),
                    () -> ssmPort.sendCommand(INSTANCE, "zk-priming-bootstrap", Map.of("NodeId", "1"), "priming",
                            Duration.ofMinutes(10)),
                    () -> lease.current(tags.clusterName()),
                    () -> lease.acquire(tags.clusterName(), INSTANCE, 1, Duration.ofMinutes(10)),
                    () -> lease.renew(tags.clusterName(), INSTANCE, 1, Duration.ofMinutes(10)),
                    () -> lease.release(tags.clusterName(), INSTANCE, 1),
                    () -> scheduler.resumeLater(HookTicket.first(ref, Instant.now()), Duration.ofSeconds(30)),
                    // The adapter suspends AZRebalance only when a describe shows it running: an empty answer
                    // does not, so the call runs here directly.
                    () -> clients.autoScaling().suspendProcesses(r -> r.autoScalingGroupName(ref.groupName())
                            .scalingProcesses("AZRebalance")),
                    // Not an adapter's: AwsClients#prime's own read of SQS.
                    () -> clients.sqs().getQueueUrl(r -> r.queueName("zk-priming")));
            for (var call : calls) {
                try {
                    call.run();
                } catch (RuntimeException e) {
                    // An empty canned answer is not a real one; the paths ran all the same.
                }
            }
            return null;
        });
        return models.classes();
    }

    /**
     * Builds the five clients with {@code configure} (the production settings) and {@code extra} (may be null) over
     * canned-response HTTP clients and static credentials, hands them to {@code use}, and closes them.
     */
    static <T> T withCanned(Configurer configure, ExecutionInterceptor extra,
                            Function<AwsClients.Offline, T> use) {
        var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDPRIMING", "priming"));
        try (var query = canned("<Response/>");
             var json = canned("{}");
             var ec2 = configure.apply(Ec2Client.builder(), extra).httpClient(query)
                     .credentialsProvider(credentials).build();
             var autoScaling = configure.apply(AutoScalingClient.builder(), extra).httpClient(query)
                     .credentialsProvider(credentials).build();
             var ssm = configure.apply(SsmClient.builder(), extra).httpClient(json)
                     .credentialsProvider(credentials).build();
             var sqs = configure.apply(SqsClient.builder(), extra).httpClient(json)
                     .credentialsProvider(credentials).build();
             var dynamoDb = configure.apply(DynamoDbClient.builder(), extra).httpClient(json)
                     .credentialsProvider(credentials).build()) {
            return use.apply(new AwsClients.Offline(ec2, autoScaling, ssm, sqs, dynamoDb));
        }
    }

    private static CannedResponseHttpClient canned(String body) {
        return CannedResponseHttpClient.builder().responseBody(body.getBytes(StandardCharsets.UTF_8)).statusCode(200)
                .build();
    }

    /** Applies the production configuration to a builder and adds one more interceptor (when not null). */
    interface Configurer {
        <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B apply(B builder,
                                                                                 ExecutionInterceptor extra);
    }

    /**
     * Builds every model class that a request or response of the intercepted calls can hold, once per class, from
     * the SDK's field metadata (structures through their builders, list members, map values).
     */
    static final class ModelWalk implements ExecutionInterceptor {

        private final Set<String> seen = new HashSet<>();

        @Override
        public void afterUnmarshalling(Context.AfterUnmarshalling context, ExecutionAttributes attributes) {
            walk(context.request());
            walk(context.response());
        }

        Set<String> classes() {
            return Set.copyOf(seen);
        }

        void walk(SdkPojo pojo) {
            // Nested structures come as their builders (Instance$BuilderImpl): named by the model class.
            if (pojo == null || !seen.add(pojo.getClass().getName().replace("$BuilderImpl", ""))) {
                return;
            }
            pojo.sdkFields().forEach(this::walk);
        }

        private void walk(SdkField<?> field) {
            var type = field.marshallingType();
            if (type == MarshallingType.SDK_POJO) {
                walk(field.constructor().get());
            } else if (type == MarshallingType.LIST) {
                walk(field.getRequiredTrait(ListTrait.class).memberFieldInfo());
            } else if (type == MarshallingType.MAP) {
                walk(field.getRequiredTrait(MapTrait.class).valueFieldInfo());
            }
        }
    }
}
