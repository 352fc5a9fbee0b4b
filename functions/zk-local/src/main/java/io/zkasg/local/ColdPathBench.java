package io.zkasg.local;

import io.zkasg.flows.CloudDriver;
import io.zkasg.flows.Functions;
import io.zkasg.lambda.Wiring;
import io.zkasg.testkit.Delivery;
import io.zkasg.testkit.EventJson;
import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.FakeClock;
import io.zkasg.testkit.stub.AwsStubServer;
import io.zkasg.testkit.stub.FakeCloudEndpoint;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Prints the cold path of one uncontended launch through the production wiring and the real SDK adapters, against a
 * local AWS-shaped endpoint served by the fake cloud: JVM start to completed hook, the AWS calls it made, then the
 * warm time per launch. A benchmark program, not a test: run it with {@code make bench}.
 */
public final class ColdPathBench {

    private ColdPathBench() {
    }

    public static void main(String[] args) {
        long main = System.currentTimeMillis();
        long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
        int warmRuns = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        // make bench runs on target/artifact-classpath.txt: the shrunk jar is the only copy of the functions' code.
        var artifact = ShrunkArtifact.require(ColdPathBench.class.getClassLoader(), true);
        try (var stub = AwsStubServer.start()) {
            System.setProperty("aws.endpointUrl", stub.endpoint().toString());
            System.setProperty("aws.region", "us-east-1");
            System.setProperty("aws.accessKeyId", "AKIDEXAMPLE");
            System.setProperty("aws.secretAccessKey", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
            var env = new HashMap<>(CloudDriver.DEMO_ENV);
            env.put("RESUME_QUEUE_URL", stub.endpoint() + "/123456789012/zk-demo-resume");
            env.put("STOP_LEASE_TABLE", "zk-demo-stop-lease");
            var cloud = seed(stub, env);

            long beforeWiring = System.currentTimeMillis();
            // The journal goes to stdout in Lambda; here it would drown the figures, so it is counted, not printed.
            var figures = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
            System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            var functions = new Functions(Wiring.production(env));
            long wired = System.currentTimeMillis();
            launchOnce(cloud, functions, "i-0aaaaaaaaaaaaaaa1");
            long done = System.currentTimeMillis();

            var calls = new LinkedHashMap<String, Integer>();
            stub.requests().forEach(r -> calls.merge(r.operation(), 1, Integer::sum));
            figures.printf("cold: JVM start -> main %d ms, main -> wiring built %d ms, wiring -> hook completed "
                    + "%d ms, total JVM start -> hook completed %d ms%n", main - jvmStart, wired - beforeWiring,
                    done - wired, done - jvmStart);
            figures.println("cold: functions from " + artifact + " (shrunk, the only copy on the class path)");
            figures.println("cold: AWS requests " + stub.requests().size() + " " + calls
                    + "; completions " + cloud.completions());

            long total = 0;
            for (int i = 0; i < warmRuns; i++) {
                stub.reset();
                var fresh = seed(stub, env);
                long t = System.nanoTime();
                launchOnce(fresh, functions, String.format("i-0aaaaaaaaaaa%04x", i));
                total += System.nanoTime() - t;
                if (fresh.completions().size() != 1) {
                    throw new IllegalStateException("warm run " + i + " did not complete: " + fresh.completions());
                }
            }
            figures.printf("warm: %.2f ms per launch (event -> command sent -> status -> hook completed), mean of "
                    + "%d%n", total / 1e6 / warmRuns, warmRuns);
        }
    }

    private static FakeCloud seed(AwsStubServer stub, Map<String, String> env) {
        var clock = new FakeClock(Instant.now());
        var cloud = new FakeCloud(clock).group("zk-demo-asg", "zk-demo-launch", "zk-demo-terminate",
                java.time.Duration.ofSeconds(900));
        for (int n = 1; n <= 3; n++) {
            cloud.addSlot("zkasg:cluster", "zk-demo", "zkasg:node-id", n, CloudDriver.DEMO_AZS.get(n - 1),
                    "10.0." + n + ".10");
        }
        FakeCloudEndpoint.serve(stub, cloud, io.zkasg.core.Settings.fromEnv(env).cluster());
        return cloud;
    }

    private static void launchOnce(FakeCloud cloud, Functions functions, String instanceId) {
        var event = cloud.launch(instanceId, "us-east-1a", null, false);
        cloud.tick();
        var sent = functions.launch(EventJson.lifecycle(event, Instant.now()).getBytes(StandardCharsets.UTF_8));
        if (!"CommandSent".equals(sent.get("outcome"))) {
            throw new IllegalStateException("launch did not send the bootstrap: " + sent);
        }
        for (var delivery : cloud.takeDue()) {
            if (delivery instanceof Delivery.CommandStatus status) {
                functions.commandStatus(EventJson.commandStatus(status, Instant.now())
                        .getBytes(StandardCharsets.UTF_8));
            }
        }
    }
}
