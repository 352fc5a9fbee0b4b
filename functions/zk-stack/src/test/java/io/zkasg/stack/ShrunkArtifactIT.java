package io.zkasg.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.aws.AwsClients;
import io.zkasg.testkit.stub.AwsStubServer;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.utils.builder.SdkBuilder;

/**
 * The shrunk artifact can still make every AWS call the adapters make. Runs in zk-local's failsafe execution, whose
 * class path holds the shrunk {@code zk-lambda.jar} as the only copy of the SDK and the adapters. The operations are
 * the ones {@link TemplateTest} grants in IAM, read from the adapters' bytecode (here: the shrunk jar's); each is
 * called through the shrunk jar's client against the AWS-shaped stub and must come back as a response or an AWS error,
 * never as a missing class or method.
 */
class ShrunkArtifactIT {

    @Test
    void theSdkOnTheClassPathIsTheShrunkArtifact() throws Exception {
        var location = Ec2Client.class.getProtectionDomain().getCodeSource().getLocation().toString();
        assertThat(location).endsWith("zk-lambda/target/zk-lambda.jar");
        // An operation no code calls: its model classes were removed by the shrinker.
        assertThat(getClass().getClassLoader()
                .getResource("software/amazon/awssdk/services/ec2/model/DescribeVpcsRequest.class")).isNull();
    }

    @Test
    void theArtifactHoldsOnlyTheDomainTheAdaptersAndTheHandlers() throws Exception {
        // Nothing test-only ships: no fake cloud, no flow driver, no local runner; only these packages of ours.
        var jar = Path.of(Ec2Client.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (var zip = new ZipFile(jar.toFile())) {
            var packages = zip.stream().map(ZipEntry::getName)
                    .filter(n -> n.startsWith("io/zkasg/") && n.endsWith(".class"))
                    .map(n -> n.substring(0, n.lastIndexOf('/')))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertThat(packages).containsExactlyInAnyOrder("io/zkasg/core", "io/zkasg/core/model",
                    "io/zkasg/core/port", "io/zkasg/aws", "io/zkasg/lambda");
        }
    }

    @Test
    void everyOperationTheAdaptersCallRunsFromTheShrunkArtifact() throws Exception {
        var actions = SdkCalls.actionsCalledUnder("io/zkasg/aws").keySet();
        assertThat(actions).contains("ec2:DescribeInstances", "autoscaling:CompleteLifecycleAction",
                "ssm:SendCommand", "sqs:SendMessage", "dynamodb:UpdateItem");
        var failures = new ArrayList<String>();
        try (var stub = AwsStubServer.start();
             var clients = AwsClients.forEndpoint(stub.endpoint(), AwsBasicCredentials.create("AKIDTEST", "secret"),
                     Region.US_EAST_1)) {
            Map<String, Object> byService = Map.of("ec2", clients.ec2(), "autoscaling", clients.autoScaling(),
                    "ssm", clients.ssm(), "sqs", clients.sqs(), "dynamodb", clients.dynamoDb());
            for (var action : actions) {
                var service = action.substring(0, action.indexOf(':'));
                var operation = action.substring(action.indexOf(':') + 1);
                var client = byService.get(service);
                if (client == null) {
                    failures.add(action + ": no client for " + service + " in this test");
                    continue;
                }
                int before = stub.requests().size();
                var outcome = call(client, operation);
                if (outcome != null) {
                    failures.add(action + ": " + outcome);
                } else if (stub.requests().size() == before) {
                    failures.add(action + ": no request reached the stub");
                }
            }
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void snapStartPrimingRunsEveryOperationTheAdaptersCallWithoutTheNetwork() {
        var actions = SdkCalls.actionsCalledUnder("io/zkasg/aws").keySet();
        try (var stub = AwsStubServer.start();
             var clients = AwsClients.forEndpoint(stub.endpoint(), AwsBasicCredentials.create("AKIDTEST", "secret"),
                     Region.US_EAST_1)) {
            var primed = clients.primeOffline();

            assertThat(stub.requests()).isEmpty();
            var missing = new TreeSet<String>();
            for (var action : actions) {
                var service = action.substring(0, action.indexOf(':'));
                var operation = action.substring(action.indexOf(':') + 1);
                for (var suffix : new String[] {"Request", "Response"}) {
                    var model = "software.amazon.awssdk.services." + service + ".model." + operation + suffix;
                    if (!primed.contains(model)) {
                        missing.add(model);
                    }
                }
            }
            assertThat(missing).as("operations the adapters call that priming does not run").isEmpty();
        }
    }

    /**
     * Calls {@code operation} with an empty request (SendMessage: with a body); null when it ran (a response or an AWS
     * error came back).
     */
    private static String call(Object client, String operation) throws Exception {
        var name = operation.substring(0, 1).toLowerCase(Locale.ROOT) + operation.substring(1);
        Method method = Arrays.stream(client.getClass().getInterfaces())
                .flatMap(i -> Arrays.stream(i.getMethods()))
                .filter(m -> m.getName().equals(name) && m.getParameterCount() == 1
                        && m.getParameterTypes()[0].getSimpleName().endsWith("Request"))
                .findFirst().orElse(null);
        if (method == null) {
            return "the client has no method " + name;
        }
        var factory = method.getParameterTypes()[0].getMethod("builder");
        var builder = (SdkBuilder<?, ?>) factory.invoke(null);
        // SQS's client checks the MD5 of the message body it sends, so that one field cannot stay empty.
        if (operation.equals("SendMessage")) {
            factory.getReturnType().getMethod("messageBody", String.class).invoke(builder, "{}");
        }
        try {
            var response = method.invoke(client, builder.build());
            return response == null ? "null response" : null;
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof AwsServiceException aws && aws.awsErrorDetails().errorCode() != null) {
                return null;
            }
            // A missing class or method (NoClassDefFoundError, NoSuchMethodError) or a response it cannot parse.
            return String.valueOf(e.getCause());
        }
    }
}
