package io.zkasg.stack;

import static io.zkasg.stack.CfnTemplate.map;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sam build} as SAM runs it: for every function whose {@code Metadata.BuildMethod} is {@code makefile}, SAM
 * runs {@code make build-<LogicalId> ARTIFACTS_DIR=<dir>} in the project directory (build_in_source) and zips what
 * lands in that directory; the java21 runtime puts {@code lib/*.jar} on the class path and loads the Handler class.
 * The jar is built once (a file target): after Maven's own package phase, each target only copies it.
 */
class MakefileBuildTest {

    @Test
    void everyMakefileFunction_shouldBuildWithItsOwnTarget_intoTheLayoutTheJavaRuntimeLoads(@TempDir Path tmp)
            throws Exception {
        var file = CfnTemplate.locate();
        var template = CfnTemplate.load(file, Map.of());
        var handlers = new TreeMap<String, String>();
        template.resources().forEach((id, body) -> {
            var resource = map(body);
            if ("makefile".equals(map(resource.get("Metadata")).get("BuildMethod"))) {
                handlers.put(id, String.valueOf(map(resource.get("Properties")).get("Handler")));
            }
        });
        assertThat(handlers).as("functions built by the Makefile").hasSizeGreaterThanOrEqualTo(5);

        for (var entry : handlers.entrySet()) {
            var artifacts = tmp.resolve(entry.getKey());
            Files.createDirectories(artifacts);
            make(file.getParent(), "build-" + entry.getKey(), "ARTIFACTS_DIR=" + artifacts);

            List<Path> jars;
            try (Stream<Path> lib = Files.list(artifacts.resolve("lib"))) {
                jars = lib.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
            }
            assertThat(jars).as(entry.getKey() + ": lib/*.jar").isNotEmpty();
            try (Stream<Path> top = Files.list(artifacts)) {
                assertThat(top.map(p -> p.getFileName().toString())).as(entry.getKey() + ": artifacts")
                        .containsExactly("lib");
            }
            assertHandlerLoads(entry.getKey(), entry.getValue(), jars);
        }
    }

    /** Loads the handler from the artifacts' jars alone (no test class path), as the runtime would. */
    private static void assertHandlerLoads(String function, String handler, List<Path> jars) throws Exception {
        var parts = handler.split("::");
        assertThat(parts).as(function + " handler " + handler).hasSize(2);
        var urls = new ArrayList<URL>();
        for (var jar : jars) {
            urls.add(jar.toUri().toURL());
        }
        try (var loader = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            var type = Class.forName(parts[0], false, loader);
            assertThat(type.getClassLoader()).as(function + ": loaded from lib/").isSameAs(loader);
            assertThat(Modifier.isPublic(type.getModifiers())).as(function + ": public class").isTrue();
            assertThat(Arrays.stream(type.getMethods()).map(java.lang.reflect.Method::getName))
                    .as(function + ": public method " + parts[1]).contains(parts[1]);
            // The runtime instantiates the handler with its no-argument constructor.
            assertThat(type.getConstructor()).isNotNull();
        }
    }

    private static void make(Path dir, String... args) throws IOException, InterruptedException {
        var command = new ArrayList<>(List.of("make", "--no-print-directory"));
        command.addAll(List.of(args));
        var process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        var out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(15, TimeUnit.MINUTES)).as("make " + String.join(" ", args)).isTrue();
        assertThat(process.exitValue()).as("make " + String.join(" ", args) + ":\n" + out).isZero();
    }
}
