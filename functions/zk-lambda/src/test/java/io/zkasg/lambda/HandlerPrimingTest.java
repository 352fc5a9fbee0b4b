package io.zkasg.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.aws.AwsClients;
import io.zkasg.aws.SocketZkProbe;
import io.zkasg.core.HealthSettings;
import io.zkasg.core.Settings;
import io.zkasg.testkit.stub.AwsStubServer;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.regions.Region;

class HandlerPrimingTest {

    private static final Map<String, String> ENV = Map.of("CLUSTER_NAME", "zk-demo", "ASG_NAME", "zk-demo-asg",
            "LAUNCH_HOOK_NAME", "zk-demo-launch", "TERMINATE_HOOK_NAME", "zk-demo-terminate",
            "BOOTSTRAP_DOCUMENT", "zk-demo-bootstrap", "STOP_DOCUMENT", "zk-demo-stop",
            "HEARTBEAT_TIMEOUT_SECONDS", "900", "STOP_LEASE_TABLE", "zk-demo-stop-lease");

    @Test
    void run_shouldDriveEveryHandlerThroughItsPath_withoutARequestLeavingTheProcess() {
        // GIVEN: production-configured clients whose endpoint would record any request
        try (var stub = AwsStubServer.start();
             var clients = AwsClients.forEndpoint(stub.endpoint(), AwsBasicCredentials.create("AKIDTEST", "secret"),
                     Region.US_EAST_1)) {

            // WHEN: the five handlers rehearse over the canned-response clients
            var failed = clients.offline(offline -> HandlerPriming.run(Settings.fromEnv(ENV),
                    HealthSettings.fromEnv(ENV), stub.endpoint() + "/123456789012/zk-demo-resume", offline,
                    new SocketZkProbe(), Wiring.bundledScripts()));

            // THEN: nothing reached the endpoint. Three handlers answered; the launch went as far as deferring
            // itself through SQS (whose client rejects the canned empty answer: no MD5 of the body), the health check
            // as far as building an ensemble out of no slot at all.
            assertThat(stub.requests()).isEmpty();
            assertThat(failed).hasSize(2);
            assertThat(failed.get(0)).startsWith("LaunchHookHandler").contains("MD5 returned by SQS");
            assertThat(failed.get(1)).startsWith("HealthCheckHandler").contains("at least one server");
        }
    }
}
