package io.zkasg.lambda;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zkasg.aws.AwsAutoScaling;
import io.zkasg.aws.AwsClients;
import io.zkasg.aws.AwsEc2;
import io.zkasg.aws.AwsSsm;
import io.zkasg.aws.DynamoStopLease;
import io.zkasg.aws.SqsResumeScheduler;
import io.zkasg.core.HealthSettings;
import io.zkasg.core.HookTicket;
import io.zkasg.core.ScriptBundle;
import io.zkasg.core.Settings;
import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.port.ZkProbe;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * SnapStart priming of the handlers: each of the five functions handles one event of its kind, through its Lambda
 * entry point, on a rehearsal {@link Wiring} whose AWS clients answer every call with an empty success from the
 * SDK's canned-response HTTP client (so the instance is "gone", the slots empty) and whose journal and metrics go
 * nowhere. That loads and runs the event parsing and rules, the use cases' first steps, the ticket codec, the
 * journal, the metrics and the answers before the snapshot, without a request leaving the process.
 */
final class HandlerPriming {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INSTANCE = "i-00000000000000000";
    private static final String TOKEN = "00000000-0000-0000-0000-000000000000";

    private HandlerPriming() {
    }

    /**
     * Runs each handler once on a rehearsal wiring over {@code offline} (the production settings, clients and
     * probe); failures are swallowed (the rehearsal's cloud is empty).
     *
     * @return the handlers that failed, with what they threw (empty when all five answered)
     */
    static List<String> run(Settings settings, HealthSettings health, String queueUrl, AwsClients.Offline offline,
                   ZkProbe probe, ScriptBundle bundle) {
        var rehearsal = new Wiring(settings, new AwsEc2(offline.ec2()), new AwsAutoScaling(offline.autoScaling()),
                new AwsSsm(offline.ssm()), probe,
                new DynamoStopLease(offline.dynamoDb(), settings.stopLeaseTable(), Clock.systemUTC()),
                codec -> new SqsResumeScheduler(offline.sqs(), queueUrl, codec), Clock.systemUTC(), duration -> {
                }, new SplittableRandom(), bundle, new PrintStream(OutputStream.nullOutputStream()))
                .withHealth(probe, health);
        var now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        var ticket = new HookTicket(new LifecycleRef(settings.groupName(), settings.launchHookName(), INSTANCE,
                TOKEN), now, now, 2, "0000000000000000");
        var resume = new LaunchResumeHandler(rehearsal);
        var batch = Map.of("Records", List.of(Map.of("messageId", "priming", "body", resume.encode(ticket))));
        List<Map.Entry<RequestStreamHandler, Object>> events = List.of(
                Map.entry(new LaunchHookHandler(rehearsal), lifecycle(settings.groupName(), settings.launchHookName(),
                        Hook.LAUNCH, now)),
                Map.entry(new TerminateHookHandler(rehearsal), lifecycle(settings.groupName(),
                        settings.terminateHookName(), Hook.TERMINATE, now)),
                Map.entry(new CommandStatusHandler(rehearsal), Map.of("version", "0", "id", "priming",
                        "source", "aws.ssm", "detail-type", Events.COMMAND_INVOCATION_DETAIL_TYPE,
                        "time", now.toString(), "detail", Map.of("command-id", TOKEN, "instance-id", INSTANCE,
                                "document-name", settings.bootstrapDocument(), "status", "Success"))),
                Map.entry(resume, batch),
                Map.entry(new HealthCheckHandler(rehearsal), Map.of("version", "0", "id", "priming",
                        "source", "aws.events", "detail-type", "Scheduled Event", "time", now.toString(),
                        "detail", Map.of())));
        var failed = new ArrayList<String>();
        for (var event : events) {
            try {
                event.getKey().handleRequest(new ByteArrayInputStream(json(event.getValue())),
                        OutputStream.nullOutputStream(), null);
            } catch (IOException | RuntimeException e) {
                // What ran before the failure is primed all the same.
                failed.add(event.getKey().getClass().getSimpleName() + ": " + e);
            }
        }
        return failed;
    }

    private static Map<String, Object> lifecycle(String group, String hookName, Hook hook, Instant time) {
        return Map.of("version", "0", "id", "priming", "source", "aws.autoscaling", "detail-type", hook.detailType,
                "time", time.toString(), "detail", Map.of("LifecycleActionToken", TOKEN, "AutoScalingGroupName", group,
                        "LifecycleHookName", hookName, "EC2InstanceId", INSTANCE,
                        "LifecycleTransition", hook.transition));
    }

    private static byte[] json(Object value) {
        try {
            return JSON.writeValueAsString(value).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
