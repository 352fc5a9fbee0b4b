package io.zkasg.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * SnapStart's hooks, driven through org.crac's own API as Lambda drives them around a snapshot: the production wiring
 * registers them, a GC runs before the checkpoint, and {@code org.crac.Core.checkpointRestore()} (bound to the test
 * implementation in {@code io.zkasg.lambda.cracfake}) calls them. Runs in a child JVM: org.crac picks its
 * implementation once per JVM, and the child's environment points the SDK at container credentials served here.
 */
class SnapStartHooksTest {

    @Test
    void primingSurvivesAGcAndNoRandomStateOrCredentialsSurviveTheRestore() throws Exception {
        var issued = new AtomicInteger();
        var credentials = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        // The container credentials endpoint (as Lambda serves it to SnapStart functions): a new key on each fetch,
        // valid for an hour, so the SDK caches what it fetched.
        credentials.createContext("/creds", exchange -> {
            var body = String.format("{\"AccessKeyId\":\"AKIDSNAP%04d\",\"SecretAccessKey\":\"secret\","
                    + "\"Token\":\"token\",\"Expiration\":\"%s\"}", issued.incrementAndGet(),
                    Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS));
            var bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        credentials.start();
        try {
            var out = drill("http://127.0.0.1:" + credentials.getAddress().getPort() + "/creds");

            assertThat(out).containsEntry("gc", "true");
            // Priming ran at the checkpoint although a GC came first: one read-only call per service, and no
            // other request (the operations and the handlers rehearse over canned-response clients).
            assertThat(Integer.parseInt(out.get("primingCalls"))).isEqualTo(5);
            assertThat(Integer.parseInt(out.get("primingCallsSecond"))).isEqualTo(5);
            // After each restore the random generator is a new one, seeded in the restored environment.
            assertThat(out).containsEntry("reseeded", "true").containsEntry("reseededSecond", "true");
            // The credentials resolved before the first snapshot are not the ones used after the restore.
            assertThat(out.get("keyFirstCheckpoint")).startsWith("AKIDSNAP");
            assertThat(out.get("keySecondCheckpoint")).startsWith("AKIDSNAP")
                    .isNotEqualTo(out.get("keyFirstCheckpoint"));
        } finally {
            credentials.stop(0);
        }
    }

    private static Map<String, String> drill(String credentialsUri) throws IOException, InterruptedException {
        var java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var command = List.of(java, "-Xmx256m", "-Dorg.crac.Core.Compat=io.zkasg.lambda.cracfake",
                "-cp", System.getProperty("java.class.path"), SnapStartDrill.class.getName());
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        var env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("AWS_"));
        env.put("AWS_CONTAINER_CREDENTIALS_FULL_URI", credentialsUri);
        env.put("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
        env.put("AWS_CONFIG_FILE", "/nonexistent/config");
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        var process = builder.start();
        var text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(text).isZero();
        var out = new HashMap<String, String>();
        text.lines().filter(l -> l.matches("[A-Za-z]+=.*"))
                .forEach(l -> out.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));
        return out;
    }
}
