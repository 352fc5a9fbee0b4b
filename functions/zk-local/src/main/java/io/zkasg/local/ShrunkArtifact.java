package io.zkasg.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarFile;

/**
 * Which jar the functions run from. The local programs (the end-to-end scenario, the cold-path bench) must run the
 * handlers from the shrunk {@code zk-lambda.jar} that {@code make build-<Fn>} gives {@code sam build}, not from the
 * modules' classes: {@link #require} proves it from the class loader, before anything runs.
 */
public final class ShrunkArtifact {

    /** The deployed jar's file name (Makefile JAR, template.yaml CodeUri via make build-Fn). */
    static final String JAR_NAME = "zk-lambda.jar";

    /**
     * A class of the full SDK that no function reaches (the adapters never describe VPCs): the shrinker drops it, so
     * its absence tells the shrunk jar from the shaded one.
     */
    static final String DROPPED = "software/amazon/awssdk/services/ec2/model/DescribeVpcsRequest.class";

    /** The handlers, their composition root, the domain, an adapter, an SDK client and Jackson. */
    static final List<String> RUN_FROM = List.of("io/zkasg/lambda/LaunchHookHandler.class",
            "io/zkasg/lambda/Wiring.class", "io/zkasg/core/LaunchUseCase.class", "io/zkasg/aws/AwsEc2.class",
            "software/amazon/awssdk/services/ec2/Ec2Client.class",
            "com/fasterxml/jackson/databind/ObjectMapper.class");

    private ShrunkArtifact() {
    }

    /**
     * Checks that every class of {@link #RUN_FROM} loads from one jar named {@code zk-lambda.jar} that lacks
     * {@link #DROPPED} (the shrunk artifact) and returns that jar. With {@code onlyCopy}, also that the class path
     * holds no second copy of any of them (nothing the artifact lacks can come from elsewhere).
     *
     * @throws IllegalStateException naming what came from where, otherwise
     */
    public static Path require(ClassLoader loader, boolean onlyCopy) {
        Path jar = null;
        var problems = new ArrayList<String>();
        for (var name : RUN_FROM) {
            List<URL> copies;
            try {
                copies = Collections.list(loader.getResources(name));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (copies.isEmpty()) {
                problems.add(name + " is not on the class path");
                continue;
            }
            var from = jarOf(copies.get(0));
            if (from == null || !from.getFileName().toString().equals(JAR_NAME)) {
                problems.add(name + " loads from " + copies.get(0) + ", not from " + JAR_NAME);
            } else if (jar == null) {
                jar = from;
            } else if (!jar.equals(from)) {
                problems.add(name + " loads from " + from + ", not from " + jar);
            }
            if (onlyCopy && copies.size() > 1) {
                problems.add(name + " has " + copies.size() + " copies on the class path: " + copies);
            }
        }
        if (jar != null) {
            try (var file = new JarFile(jar.toFile())) {
                if (file.getEntry(DROPPED) != null) {
                    problems.add(jar + " holds " + DROPPED + ": it is not the shrunk artifact");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the functions must run from the shrunk " + JAR_NAME + " (build it with "
                    + "`mvn package`; run with target/artifact-classpath.txt): " + String.join("; ", problems));
        }
        return jar;
    }

    private static Path jarOf(URL url) {
        if (!"jar".equals(url.getProtocol())) {
            return null;
        }
        try {
            var connection = (JarURLConnection) url.openConnection();
            return Path.of(connection.getJarFileURL().toURI()).toAbsolutePath();
        } catch (IOException | java.net.URISyntaxException e) {
            return null;
        }
    }
}
