package io.zkasg.lambda;

import io.zkasg.testkit.stub.AwsStubServer;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Child-JVM side of {@link SnapStartHooksTest}: builds the production wiring against a local AWS stub, lets a GC run,
 * then drives two checkpoint/restore cycles through org.crac (bound to {@code io.zkasg.lambda.cracfake}) and prints
 * what it saw as {@code key=value} lines. Credentials come from the container credentials endpoint the parent serves.
 */
public final class SnapStartDrill {

    private static final Pattern KEY_ID = Pattern.compile("Credential=([A-Z0-9]+)/");

    private SnapStartDrill() {
    }

    public static void main(String[] args) throws Exception {
        try (var stub = AwsStubServer.start()) {
            System.setProperty("aws.endpointUrl", stub.endpoint().toString());
            System.setProperty("aws.region", "us-east-1");
            var env = new HashMap<>(Map.of("CLUSTER_NAME", "zk-demo", "ASG_NAME", "zk-demo-asg",
                    "LAUNCH_HOOK_NAME", "zk-demo-launch", "TERMINATE_HOOK_NAME", "zk-demo-terminate",
                    "BOOTSTRAP_DOCUMENT", "zk-demo-bootstrap", "STOP_DOCUMENT", "zk-demo-stop",
                    "HEARTBEAT_TIMEOUT_SECONDS", "900"));
            env.put("RESUME_QUEUE_URL", stub.endpoint() + "/123456789012/zk-demo-resume");
            ProductionWiring.build(env);
            var random = registeredRandom();
            var stateBefore = random.state();

            // The hooks are reachable only from where ProductionWiring keeps them: a GC here collects them unless
            // that reference is strong. Wait until a canary shows a collection really happened.
            var canary = new WeakReference<>(new Object());
            for (int i = 0; i < 50 && canary.get() != null; i++) {
                System.gc();
                Thread.sleep(20);
            }
            System.out.println("gc=" + (canary.get() == null));

            org.crac.Core.checkpointRestore();
            int firstPriming = stub.requests().size();
            System.out.println("primingCalls=" + firstPriming);
            System.out.println("keyFirstCheckpoint=" + lastKeyId(stub));
            System.out.println("reseeded=" + (random.state() != stateBefore));

            var stateAfterFirst = random.state();
            org.crac.Core.checkpointRestore();
            System.out.println("primingCallsSecond=" + (stub.requests().size() - firstPriming));
            System.out.println("keySecondCheckpoint=" + lastKeyId(stub));
            System.out.println("reseededSecond=" + (random.state() != stateAfterFirst));
        }
        System.exit(0);
    }

    /** In its own frame, so no reference to the hooks stays on this thread's stack across the GC. */
    private static ProductionWiring.Reseeded registeredRandom() {
        return ((ProductionWiring.SnapStartHooks) ProductionWiring.snapStartHooks()).random();
    }

    private static String lastKeyId(AwsStubServer stub) {
        var requests = stub.requests();
        if (requests.isEmpty()) {
            return "none";
        }
        var auth = requests.get(requests.size() - 1).header("Authorization");
        var m = auth == null ? null : KEY_ID.matcher(auth);
        return m != null && m.find() ? m.group(1) : "unsigned";
    }
}
