package io.zkasg.local.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The ZooKeeper download the instances get in the local cloud: a binary release tarball
 * ({@code apache-zookeeper-<v>-bin/{bin,conf,lib}}) packed from the ZooKeeper jars Maven resolved for this module
 * (target/zookeeper-release/lib), served over HTTPS by {@code openssl s_server -WWW} on {@link #IP} in the router
 * namespace, with a certificate of a CA made for this run. The instances trust that CA the way a node trusts its
 * system store: curl reads {@code CURL_CA_BUNDLE}, here the host's system bundle plus this CA (on a real node the CA
 * would be added to the store with update-ca-trust); the scripts themselves are unchanged and never skip
 * verification.
 */
public final class Mirror implements AutoCloseable {

    /** The mirror's address: on the router, reached from every subnet through its gateway. */
    public static final String IP = "10.0.99.1";

    private static final Path SYSTEM_BUNDLE = Path.of("/etc/ssl/certs/ca-certificates.crt");

    private final Path dir;
    private final String routerNetns;
    private final String version;
    private final String url;
    private final String sha512;
    private final Path caBundle;
    private Process server;

    private Mirror(Path dir, String routerNetns, String version, String url, String sha512, Path caBundle) {
        this.dir = dir;
        this.routerNetns = routerNetns;
        this.version = version;
        this.url = url;
        this.sha512 = sha512;
        this.caBundle = caBundle;
    }

    /** Packs the release, makes the CA and the server certificate, adds {@link #IP} to the router. */
    public static Mirror create(Path dir, String routerNetns, Path releaseLib) throws IOException {
        var version = zookeeperVersion(releaseLib);
        var name = "apache-zookeeper-" + version + "-bin";
        var staging = dir.resolve("staging/" + name);
        Files.createDirectories(staging.resolve("lib"));
        Files.createDirectories(staging.resolve("conf"));
        Files.createDirectories(staging.resolve("bin"));
        try (var jars = Files.list(releaseLib)) {
            for (var jar : jars.filter(p -> p.toString().endsWith(".jar")).toList()) {
                Files.copy(jar, staging.resolve("lib").resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.writeString(staging.resolve("conf/zoo_sample.cfg"),
                "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/tmp/zookeeper\nclientPort=2181\n");
        Files.writeString(staging.resolve("bin/README"), "This tarball was packed by the zkasg local cloud from "
                + "Maven Central's ZooKeeper " + version + " jars; zkasg runs lib/* with conf/ on the class path "
                + "(scripts/bin/zk-run), not the release's bin/ scripts.\n");
        var www = dir.resolve("www/dist/zookeeper/zookeeper-" + version);
        Files.createDirectories(www);
        var tarball = www.resolve(name + ".tar.gz");
        Sh.run("tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "-czf", tarball.toString(),
                "-C", dir.resolve("staging").toString(), name);
        var sha512 = sha512(tarball);
        Files.writeString(www.resolve(name + ".tar.gz.sha512"), sha512 + "  " + name + ".tar.gz\n");

        var ca = dir.resolve("ca");
        Files.createDirectories(ca);
        Sh.run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-days", "2", "-subj", "/CN=zkasg local cloud CA " + dir.getParent().getFileName(),
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout", ca.resolve("ca.key").toString(), "-out", ca.resolve("ca.crt").toString());
        Sh.run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", "/CN=" + IP, "-keyout", ca.resolve("server.key").toString(),
                "-out", ca.resolve("server.csr").toString());
        Files.writeString(ca.resolve("server.ext"), "subjectAltName=IP:" + IP + "\nbasicConstraints=CA:FALSE\n"
                + "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n");
        Sh.run("openssl", "x509", "-req", "-in", ca.resolve("server.csr").toString(),
                "-CA", ca.resolve("ca.crt").toString(), "-CAkey", ca.resolve("ca.key").toString(),
                "-CAcreateserial", "-days", "2", "-extfile", ca.resolve("server.ext").toString(),
                "-out", ca.resolve("server.crt").toString());
        var bundle = ca.resolve("trusted-bundle.crt");
        var system = Files.isReadable(SYSTEM_BUNDLE) ? Files.readString(SYSTEM_BUNDLE) : "";
        Files.writeString(bundle, system + Files.readString(ca.resolve("ca.crt")), StandardCharsets.US_ASCII);

        Sh.run("ip", "-n", routerNetns, "addr", "add", IP + "/32", "dev", "lo");
        var url = "https://" + IP + "/dist/zookeeper/zookeeper-" + version + "/" + name + ".tar.gz";
        return new Mirror(dir, routerNetns, version, url, sha512, bundle);
    }

    public String version() {
        return version;
    }

    public String url() {
        return url;
    }

    public String sha512() {
        return sha512;
    }

    /** What the instances trust (CURL_CA_BUNDLE): the system store plus this run's CA. */
    public Path caBundle() {
        return caBundle;
    }

    public synchronized boolean up() {
        return server != null && server.isAlive();
    }

    /** Starts serving (idempotent); returns once the port accepts connections. */
    public synchronized void start() {
        if (up()) {
            return;
        }
        var ca = dir.resolve("ca");
        try {
            server = new ProcessBuilder("nsenter", "--net=/run/netns/" + routerNetns, "--", "openssl", "s_server",
                    "-WWW", "-quiet", "-accept", IP + ":443", "-cert", ca.resolve("server.crt").toString(),
                    "-key", ca.resolve("server.key").toString())
                    .directory(dir.resolve("www").toFile()).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (int i = 0; i < 100 && !listening(); i++) {
            sleep(50);
        }
        if (!listening()) {
            throw new IllegalStateException("the mirror did not start; see " + dir.resolve("server.log"));
        }
    }

    /** Stops serving: the address refuses connections from then on. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        server.destroy();
        try {
            server.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server = null;
    }

    @Override
    public void close() {
        stop();
    }

    /** Whether something accepts TCP connections on the mirror's port, as seen from the router. */
    public boolean listening() {
        var r = Sh.exec(List.of("nsenter", "--net=/run/netns/" + routerNetns, "--", "bash", "-c",
                "exec 3<>/dev/tcp/" + IP + "/443"));
        return r.ok();
    }

    static String zookeeperVersion(Path lib) throws IOException {
        try (var jars = Files.list(lib)) {
            return jars.map(p -> p.getFileName().toString())
                    .filter(n -> n.matches("zookeeper-\\d+\\.\\d+\\.\\d+\\.jar"))
                    .map(n -> n.substring("zookeeper-".length(), n.length() - ".jar".length())).findFirst()
                    .orElseThrow(() -> new IOException("no zookeeper-<version>.jar in " + lib
                            + " (built by `mvn package` in functions/zk-local)"));
        }
    }

    static String sha512(Path file) throws IOException {
        try {
            var digest = MessageDigest.getInstance("SHA-512");
            try (var in = Files.newInputStream(file)) {
                var buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    digest.update(buffer, 0, n);
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
