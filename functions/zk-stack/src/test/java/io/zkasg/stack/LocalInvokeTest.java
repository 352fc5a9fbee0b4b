package io.zkasg.stack;

import static io.zkasg.stack.CfnTemplate.map;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sam local invoke} as the README documents it: samconfig.toml points local invocations at
 * events/env-vars.json, which gives every function every variable the template gives it, with the template's
 * values where they resolve without a deployed stack and real-looking ones where they do not (the resume queue's
 * URL), all accepted by the functions' start-up validation; {@code make events} writes sample events whose
 * timestamps are now, so a launch is not ignored as older than the heartbeat timeout.
 */
class LocalInvokeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ENV_VARS = "events/env-vars.json";

    @Test
    void samconfig_shouldPointLocalInvocationsAtTheEnvVarsFile() throws Exception {
        var samconfig = Files.readAllLines(root().resolve("samconfig.toml"));
        var section = samconfig.indexOf("[default.local_invoke.parameters]");
        assertThat(section).as("samconfig.toml has [default.local_invoke.parameters]").isNotNegative();
        var next = samconfig.subList(section + 1, samconfig.size()).stream()
                .takeWhile(line -> !line.startsWith("[")).toList();
        assertThat(next).contains("env_vars = \"" + ENV_VARS + "\"");
    }

    @Test
    void envVarsFile_shouldNameEveryVariableOfEveryFunction_withValuesTheFunctionsAccept() throws Exception {
        var template = CfnTemplate.load(CfnTemplate.locate(), Map.of());
        Map<String, Map<String, String>> file = JSON.readValue(root().resolve(ENV_VARS).toFile(),
                new TypeReference<>() { });
        var global = file.getOrDefault("Parameters", Map.of());
        var globals = map(map(map(map(template.root().get("Globals")).get("Function")).get("Environment"))
                .get("Variables"));

        var functions = new ArrayList<String>();
        template.resources().forEach((id, body) -> {
            if ("AWS::Serverless::Function".equals(map(body).get("Type"))) {
                functions.add(id);
            }
        });
        assertThat(functions).hasSizeGreaterThanOrEqualTo(5);
        assertThat(file.keySet()).as("top-level keys: Parameters and function logical ids")
                .allMatch(k -> k.equals("Parameters") || functions.contains(k));

        for (var function : functions) {
            var declared = new TreeMap<String, Object>(globals);
            declared.putAll(map(map(template.properties(function).get("Environment")).get("Variables")));
            var local = new TreeMap<String, String>(global);
            local.putAll(file.getOrDefault(function, Map.of()));

            assertThat(local.keySet()).as(function + ": variables in " + ENV_VARS)
                    .isEqualTo(declared.keySet());
            declared.forEach((name, value) -> {
                var resolved = template.resolveString(value);
                if (resolved.contains("<")) {
                    // A resource attribute only a deployed stack knows.
                    assertThat(local.get(name)).as(function + " " + name).doesNotContain("<");
                } else {
                    assertThat(local.get(name)).as(function + " " + name + " (the template's default)")
                            .isEqualTo(resolved);
                }
            });
            assertThat(local.get("RESUME_QUEUE_URL")).as(function + ": a queue URL as SQS gives it")
                    .matches("https://sqs\\.[a-z0-9-]+\\.amazonaws\\.com/[0-9]{12}/[A-Za-z0-9_-]{1,80}");
            var env = Map.copyOf(local);
            assertThat(Class.forName("io.zkasg.core.Settings").getMethod("fromEnv", Map.class).invoke(null, env))
                    .as(function + ": Settings accepts the file").isNotNull();
            assertThat(Class.forName("io.zkasg.core.HealthSettings").getMethod("fromEnv", Map.class)
                    .invoke(null, env)).as(function + ": HealthSettings accepts the file").isNotNull();
        }
    }

    @Test
    void makeEvents_shouldWriteTheSampleEventsWithTheCurrentTime(@TempDir Path out) throws Exception {
        var before = Instant.now().minusSeconds(2);
        var process = new ProcessBuilder("make", "--no-print-directory", "events", "EVENTS_OUT=" + out)
                .directory(root().toFile()).redirectErrorStream(true).start();
        var log = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(log).isZero();

        List<Path> samples;
        try (Stream<Path> files = Files.list(root().resolve("events"))) {
            samples = files.filter(p -> p.toString().endsWith(".json"))
                    .filter(p -> !p.toString().endsWith("env-vars.json")).sorted().toList();
        }
        assertThat(samples).isNotEmpty();
        for (var sample : samples) {
            var fresh = out.resolve(sample.getFileName());
            assertThat(fresh).exists();
            var original = Files.readString(sample);
            var copy = Files.readString(fresh);
            if (!original.contains("\"time\"")) {
                continue;
            }
            // Regex, not a JSON parser: malformed.json is cut short on purpose.
            var matcher = Pattern.compile("\"time\": \"([^\"]*)\"").matcher(copy);
            assertThat(matcher.find()).isTrue();
            var time = Instant.parse(matcher.group(1));
            assertThat(Duration.between(before, time).toSeconds()).as(sample.getFileName() + " time")
                    .isBetween(0L, 120L);
            // Only timestamps change.
            assertThat(copy.replaceAll("\"(time|Time|requested-date-time)\": \"[^\"]*\"", "T"))
                    .isEqualTo(original.replaceAll("\"(time|Time|requested-date-time)\": \"[^\"]*\"", "T"));
        }
    }

    private static Path root() {
        return CfnTemplate.locate().getParent();
    }
}
