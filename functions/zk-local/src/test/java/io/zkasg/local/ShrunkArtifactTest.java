package io.zkasg.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShrunkArtifactTest {

    @TempDir
    Path dir;

    @Test
    void require_shouldNameTheJar_whenEveryClassComesFromTheShrunkZkLambdaJar() throws IOException {
        var jar = jar(dir.resolve("a").resolve("zk-lambda.jar"), ShrunkArtifact.RUN_FROM);

        assertThat(ShrunkArtifact.require(loader(jar), true)).isEqualTo(jar.toAbsolutePath());
    }

    @Test
    void require_shouldRefuse_theShadedJarThatStillHoldsWhatTheShrinkerDrops() throws IOException {
        var entries = new java.util.ArrayList<>(ShrunkArtifact.RUN_FROM);
        entries.add(ShrunkArtifact.DROPPED);
        var jar = jar(dir.resolve("zk-lambda.jar"), entries);

        assertThatThrownBy(() -> ShrunkArtifact.require(loader(jar), false))
                .hasMessageContaining("is not the shrunk artifact");
    }

    @Test
    void require_shouldRefuse_classesFromTheModulesInsteadOfTheJar() throws IOException {
        var jar = jar(dir.resolve("zk-lambda.jar"), ShrunkArtifact.RUN_FROM.subList(1, ShrunkArtifact.RUN_FROM.size()));
        var classes = dir.resolve("classes");
        var handler = classes.resolve(ShrunkArtifact.RUN_FROM.get(0));
        Files.createDirectories(handler.getParent());
        Files.write(handler, new byte[0]);

        assertThatThrownBy(() -> ShrunkArtifact.require(loader(classes, jar), false))
                .hasMessageContaining("LaunchHookHandler.class loads from file:");
    }

    @Test
    void require_shouldRefuseASecondCopy_onlyWhenTheJarMustBeTheOnlyOne() throws IOException {
        var jar = jar(dir.resolve("zk-lambda.jar"), ShrunkArtifact.RUN_FROM);
        var sdk = jar(dir.resolve("ec2-2.57.8.jar"), List.of("software/amazon/awssdk/services/ec2/Ec2Client.class"));

        assertThat(ShrunkArtifact.require(loader(jar, sdk), false)).isEqualTo(jar.toAbsolutePath());
        assertThatThrownBy(() -> ShrunkArtifact.require(loader(jar, sdk), true))
                .hasMessageContaining("Ec2Client.class has 2 copies");
    }

    private static Path jar(Path path, List<String> entries) throws IOException {
        Files.createDirectories(path.getParent());
        try (var out = new JarOutputStream(Files.newOutputStream(path))) {
            for (var entry : entries) {
                out.putNextEntry(new JarEntry(entry));
                out.closeEntry();
            }
        }
        return path;
    }

    private static ClassLoader loader(Path... paths) throws IOException {
        var urls = new URL[paths.length];
        for (int i = 0; i < paths.length; i++) {
            urls[i] = paths[i].toUri().toURL();
        }
        return new URLClassLoader(urls, null);
    }
}
