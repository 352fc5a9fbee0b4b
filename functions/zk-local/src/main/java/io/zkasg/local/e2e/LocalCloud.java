package io.zkasg.local.e2e;

import io.zkasg.core.Settings;
import io.zkasg.testkit.CloudState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The fake cloud's rules with real side effects on this machine (root only): a "VPC router" network namespace holds
 * one bridge per AZ subnet (10.0.N.0/24, gateway 10.0.N.1) and an IMDS stub on 169.254.169.254; an instance is a
 * network namespace with a primary NIC in its subnet; an ENI is a veth pair whose instance end (with the ENI's MAC)
 * waits in a parking namespace and moves into the instance on attach; a volume is a loop device over a sparse image
 * that attach shows to the instance as a udev by-id link; Run Command runs the SSM document's own shell from
 * template.yaml ({@link SsmDocuments}, {@link RunShellScript}) in the instance's namespace.
 *
 * <p>Every object is named with the run's prefix and recorded under {@code /tmp/zkasg-e2e/<prefix>}, so that
 * {@link #close()} (also run by a shutdown hook) and {@link #sweepLeftovers()} of a later run remove it all.
 */
public final class LocalCloud implements CloudState.Listener, AutoCloseable {

    static final Path STATE_ROOT = Path.of("/tmp/zkasg-e2e");
    /** The AWS-owned document an operator sends shell commands with. */
    static final String RUN_SHELL_SCRIPT = "AWS-RunShellScript";
    static final List<String> AZS = List.of("us-east-1a", "us-east-1b", "us-east-1c");

    /** One slot's real objects. */
    record SlotObjects(int nodeId, String az, String eniId, String mac, String ip, String volumeId, String eniNic,
                       Path image, String loop) {
    }

    /** One instance's real objects. */
    static final class Node {
        final String instanceId;
        final String az;
        final String netns;
        final String primaryIp;
        final Path dir;
        final Instant launchedAt;
        volatile Instant commandSentAt;
        volatile Instant commandDoneAt;
        /** The ENI's NIC and its receive counter when it arrived (a NIC keeps its counters across namespaces). */
        volatile String eniNic = "";
        volatile long eniRxAtAttach;
        /** The router's end of the primary NIC (a port of the AZ's bridge). */
        volatile String routerPort = "";

        Node(String instanceId, String az, String netns, String primaryIp, Path dir, Instant launchedAt) {
            this.instanceId = instanceId;
            this.az = az;
            this.netns = netns;
            this.primaryIp = primaryIp;
            this.dir = dir;
            this.launchedAt = launchedAt;
        }

        Path root() {
            return dir.resolve("root");
        }

        Path log() {
            return dir.resolve("commands.log");
        }
    }

    private final String prefix;
    private final Path runDir;
    private final Path repo;
    private final SsmDocuments documents;
    private final Consumer<String> timeline;
    private final String router;
    private final String parking;
    private final String client;
    private final Map<String, SlotObjects> slotsByEni = new LinkedHashMap<>();
    private final Map<String, SlotObjects> slotsByVolume = new ConcurrentHashMap<>();
    /** The slot (and volume) each snapshot was taken of; its image is snapshots/SNAPSHOT.img. */
    private final Map<String, SlotObjects> snapshotSources = new LinkedHashMap<>();
    private final Map<String, Node> nodes = new ConcurrentHashMap<>();
    private final Map<String, String> commandResults = new ConcurrentHashMap<>();
    private final AtomicInteger instanceCounter = new AtomicInteger();
    private final ExecutorService commands = Executors.newCachedThreadPool(r -> {
        var t = new Thread(r, "run-command");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread shutdownHook;
    private volatile boolean keep;
    private volatile Path trustedBundle;

    /** Creates the router, the subnets, the parking and client namespaces and the IMDS stub. */
    public LocalCloud(Path repo, Settings settings, Consumer<String> timeline) {
        this.repo = repo;
        this.timeline = timeline;
        this.prefix = String.format("zl%04x", ThreadLocalRandom.current().nextInt(0x10000));
        this.runDir = STATE_ROOT.resolve(prefix);
        this.router = prefix + "r";
        this.parking = prefix + "k";
        this.client = prefix + "c";
        this.shutdownHook = new Thread(this::close, "local-cloud-cleanup");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            Files.createDirectories(runDir.resolve("images"));
            Files.writeString(runDir.resolve("owner"), Long.toString(ProcessHandle.current().pid()));
            traversable(runDir);
            documents = SsmDocuments.fromTemplate(repo.resolve("template.yaml"), settings.cluster().clusterName());
            buildNetwork();
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public String prefix() {
        return prefix;
    }

    public Path runDir() {
        return runDir;
    }

    /** The router's namespace (gateway of every subnet; the mirror of the run listens there). */
    public String routerNetns() {
        return router;
    }

    /**
     * What the instances' curl trusts from now on ({@code CURL_CA_BUNDLE}), as a node whose system store holds
     * this bundle's certificates.
     */
    public void trust(Path caBundle) {
        this.trustedBundle = caBundle;
    }

    /** The namespace of the clients (routed to every subnet through the router). */
    public String clientNetns() {
        return client;
    }

    /** Keep the run directory (logs) at close; the kernel objects are removed anyway. */
    public void keepLogs(boolean value) {
        this.keep = value;
    }

    // ---------------------------------------------------------------- network

    private void buildNetwork() throws IOException {
        addNetns(router);
        addNetns(parking);
        addNetns(client);
        sysctl(router, "net.ipv4.ip_forward", "1");
        // Packets for anywhere else (the host's DNS server, say) end at the router with an immediate ICMP error, so
        // a resolver inside the namespaces fails at once instead of timing out.
        sysctl(router, "net.ipv4.icmp_ratelimit", "0");
        for (int a = 1; a <= AZS.size(); a++) {
            ip(router, "link", "add", "br" + a, "type", "bridge");
            ip(router, "addr", "add", "10.0." + a + ".1/24", "dev", "br" + a);
            ip(router, "link", "set", "br" + a, "up");
        }
        ip(router, "addr", "add", "169.254.169.254/32", "dev", "lo");
        ip(router, "link", "add", "c0", "type", "veth", "peer", "name", "eth0", "netns", client);
        ip(router, "addr", "add", "10.0.9.1/24", "dev", "c0");
        ip(router, "link", "set", "c0", "up");
        ip(client, "addr", "add", "10.0.9.10/24", "dev", "eth0");
        ip(client, "link", "set", "eth0", "up");
        ip(client, "route", "add", "default", "via", "10.0.9.1");
        var imds = runDir.resolve("imds/latest/meta-data");
        Files.createDirectories(imds);
        new ProcessBuilder("nsenter", "--net=/run/netns/" + router, "--", "socat",
                "TCP-LISTEN:80,bind=169.254.169.254,reuseaddr,fork",
                "EXEC:" + repo.resolve("scripts/test/imds-stub") + " " + runDir.resolve("imds"))
                .redirectErrorStream(true).redirectOutput(runDir.resolve("imds.log").toFile()).start();
    }

    /** Creates one slot's ENI (veth with the ENI's MAC, parked) and volume (sparse image on a loop device). */
    public SlotObjects addSlot(int nodeId, String az, String eniId, String mac, String ip, String volumeId)
            throws IOException {
        int a = AZS.indexOf(az) + 1;
        var nic = "eni" + nodeId;
        ip(router, "link", "add", "e" + nodeId, "type", "veth", "peer", "name", nic, "netns", parking);
        ip(parking, "link", "set", nic, "address", mac);
        ip(router, "link", "set", "e" + nodeId, "master", "br" + a);
        ip(router, "link", "set", "e" + nodeId, "up");
        var macDir = runDir.resolve("imds/latest/meta-data/network/interfaces/macs/" + mac);
        Files.createDirectories(macDir);
        Files.writeString(macDir.resolve("subnet-ipv4-cidr-block"), "10.0." + a + ".0/24");
        traversable(macDir);
        var image = runDir.resolve("images/" + volumeId + ".img");
        // Sparse, so only what is written takes room: 1 GiB holds a 10-minute soak's txn logs (about 130 MB at the
        // steady load's 200 writes a second), which the 128 MiB of earlier runs did not ("No space left on device").
        Sh.run("truncate", "-s", "1G", image.toString());
        var loop = Sh.run("losetup", "-f", "--show", image.toString()).strip();
        var slot = new SlotObjects(nodeId, az, eniId, mac, ip, volumeId, nic, image, loop);
        synchronized (this) {
            slotsByEni.put(eniId, slot);
            slotsByVolume.put(volumeId, slot);
        }
        return slot;
    }

    /** Makes a slot's volume blank again, as a new EBS volume would be (only while it is detached). */
    public void blankVolume(String volumeId) {
        var slot = slotsByVolume.get(volumeId);
        // Right after a crash the lazy unmount of the detach may still hold the device (busy under load): retry.
        for (int attempt = 1; attempt <= 50; attempt++) {
            if (Sh.quiet("blkdiscard", slot.loop()).ok() || Sh.quiet("wipefs", "-a", "-q", slot.loop()).ok()) {
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Sh.run("wipefs", "-a", "-q", slot.loop());
    }

    // ---------------------------------------------------------------- the listener: side effects

    @Override
    public void onLaunched(String instanceId, String az) {
        if (closed.get()) {
            return; // shutting down: no new kernel objects after the cleanup
        }
        int n = instanceCounter.incrementAndGet();
        int a = AZS.indexOf(az) + 1;
        var ns = prefix + "i" + n;
        var primary = "10.0." + a + "." + (100 + n);
        var dir = runDir.resolve("inst/" + instanceId);
        try {
            for (var sub : List.of("root", "by-id", "dev", "sys")) {
                Files.createDirectories(dir.resolve(sub));
            }
            traversable(dir.resolve("root"));
            addNetns(ns);
            // As in a VPC, an address is reached only through the NIC that carries it: without this the instance
            // answers ARP for the ENI's IP on its primary NIC too, and after a replacement the router keeps sending
            // the slot's traffic to a MAC that left with the old instance until its neighbour entry expires.
            sysctl(ns, "net.ipv4.conf.all.arp_ignore", "1");
            sysctl(ns, "net.ipv4.conf.all.arp_announce", "2");
            ip(router, "link", "add", "p" + n, "type", "veth", "peer", "name", "eth0", "netns", ns);
            ip(router, "link", "set", "p" + n, "master", "br" + a);
            ip(router, "link", "set", "p" + n, "up");
            ip(ns, "addr", "add", primary + "/24", "dev", "eth0");
            ip(ns, "link", "set", "eth0", "up");
            ip(ns, "route", "add", "default", "via", "10.0." + a + ".1");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var node = new Node(instanceId, az, ns, primary, dir, Instant.now());
        node.routerPort = "p" + n;
        nodes.put(instanceId, node);
        timeline.accept("cloud: instance " + instanceId + " runs in " + az + " (netns " + ns + ", primary " + primary
                + ")");
    }

    @Override
    public void onEniAttached(String eniId, String mac, String ip, String instanceId) {
        if (closed.get()) {
            return; // shutting down: no new kernel objects after the cleanup
        }
        var slot = slotsByEni.get(eniId);
        var node = nodes.get(instanceId);
        var stats = Sh.run("ip", "-n", parking, "-j", "-s", "link", "show", "dev", slot.eniNic());
        var m = java.util.regex.Pattern.compile("\"rx\":\\{\"bytes\":(\\d+)").matcher(stats);
        node.eniRxAtAttach = m.find() ? Long.parseLong(m.group(1)) : 0;
        node.eniNic = slot.eniNic();
        ip(parking, "link", "set", slot.eniNic(), "netns", node.netns);
        timeline.accept("cloud: ENI " + eniId + " (" + ip + ", " + mac + ") attached to " + instanceId);
    }

    /**
     * The host dies: every NIC of the instance (primary and ENI) goes down at once, so nothing it still sends leaves
     * (its processes live on for a moment; a dead host sends nothing, not even from its primary address).
     */
    public void cutNetwork(String instanceId) {
        var node = nodes.get(instanceId);
        for (var nic : List.of("eth0", node.eniNic)) {
            if (!nic.isEmpty()) {
                Sh.quiet("ip", "-n", node.netns, "link", "set", "dev", nic, "down");
            }
        }
    }

    /**
     * Isolates an instance as a dead host would be, or ends that: the router's ends of its NICs (primary and ENI) go
     * down, so nothing reaches it and nothing it sends leaves (no FIN, no RST), while its own NICs, addresses and
     * routes stay as they are; bringing them up again heals it. The router's neighbour entries for its addresses
     * only fail after seconds (ARP's delay and probes), so senders get no early ICMP error, as in a VPC.
     */
    public void isolate(String instanceId, boolean isolated) {
        var node = nodes.get(instanceId);
        var ports = new ArrayList<>(List.of(node.routerPort));
        synchronized (this) {
            slotsByEni.values().stream().filter(s -> s.eniNic().equals(node.eniNic)).findFirst()
                    .ifPresent(s -> ports.add("e" + s.nodeId()));
        }
        for (var port : ports) {
            ip(router, "link", "set", "dev", port, isolated ? "down" : "up");
        }
    }

    @Override
    public void onEniDetached(String eniId, String instanceId) {
        if (closed.get()) {
            return; // shutting down: no new kernel objects after the cleanup
        }
        var slot = slotsByEni.get(eniId);
        var node = nodes.get(instanceId);
        // Moving the NIC out drops its addresses and routes in the instance, as a detach does.
        if (node != null && Sh.quiet("ip", "-n", node.netns, "link", "set", slot.eniNic(), "netns", parking).ok()) {
            Sh.quiet("ip", "-n", parking, "link", "set", slot.eniNic(), "down");
        }
        timeline.accept("cloud: ENI " + eniId + " detached from " + instanceId);
    }

    @Override
    public void onVolumeAttached(String volumeId, String instanceId, String device) {
        if (closed.get()) {
            return; // shutting down: no new kernel objects after the cleanup
        }
        var slot = slotsByVolume.get(volumeId);
        var node = nodes.get(instanceId);
        var link = node.dir.resolve("by-id/nvme-Amazon_Elastic_Block_Store_vol" + volumeId.substring(4));
        try {
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, Path.of(slot.loop()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        timeline.accept("cloud: volume " + volumeId + " attached to " + instanceId + " at " + device + " ("
                + slot.loop() + ")");
    }

    @Override
    public void onVolumeDetached(String volumeId, String instanceId) {
        if (closed.get()) {
            return; // shutting down: no new kernel objects after the cleanup
        }
        var slot = slotsByVolume.get(volumeId);
        var node = nodes.get(instanceId);
        // A forced detach takes the device away under a mount: the kernel drops the mount (lazily here).
        unmountAll(slot.loop());
        if (node != null) {
            try {
                Files.deleteIfExists(node.dir.resolve("by-id/nvme-Amazon_Elastic_Block_Store_vol"
                        + volumeId.substring(4)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        timeline.accept("cloud: volume " + volumeId + " detached from " + instanceId);
    }

    @Override
    public void onTerminated(String instanceId) {
        if (closed.get()) {
            return; // shutting down: no new kernel objects after the cleanup
        }
        var node = nodes.get(instanceId);
        if (node == null) {
            return;
        }
        killNetnsProcesses(node.netns);
        Sh.quiet("ip", "netns", "del", node.netns);
        timeline.accept("cloud: instance " + instanceId + " terminated (netns " + node.netns + " removed)");
    }

    @Override
    public void onCommandSent(CloudState.CommandInfo command) {
        if (closed.get()) {
            return; // shutting down: no new kernel objects after the cleanup
        }
        var node = nodes.get(command.instanceId());
        if (node != null) {
            node.commandSentAt = Instant.now();
        }
        commands.submit(() -> runCommand(command));
    }

    /** The fake's command outcome: null while the script runs. */
    public String outcome(CloudState.CommandInfo command) {
        return commandResults.get(command.commandId());
    }

    // ---------------------------------------------------------------- snapshots (operator restore)

    /**
     * A snapshot is a copy of the volume's image, taken while the filesystem on it (if mounted) is frozen: a point
     * in time, as an EBS snapshot's, with everything written before it and nothing after.
     */
    @Override
    public void onSnapshotCreated(String snapshotId, String volumeId) {
        if (closed.get()) {
            return;
        }
        var slot = slotsByVolume.get(volumeId);
        var copy = runDir.resolve("snapshots/" + snapshotId + ".img");
        var frozen = new ArrayList<String>();
        try {
            Files.createDirectories(copy.getParent());
            for (var target : Sh.quiet("findmnt", "-rn", "-o", "TARGET", "--source", slot.loop()).out().lines()
                    .filter(t -> !t.isBlank()).toList()) {
                if (Sh.quiet("fsfreeze", "-f", target).ok()) {
                    frozen.add(target);
                }
            }
            Sh.run("cp", "--sparse=always", slot.image().toString(), copy.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            frozen.forEach(t -> Sh.quiet("fsfreeze", "-u", t));
        }
        synchronized (this) {
            snapshotSources.put(snapshotId, slot);
        }
        timeline.accept("cloud: snapshot " + snapshotId + " of " + volumeId + " (node " + slot.nodeId() + ", "
                + (frozen.isEmpty() ? "not mounted" : "filesystem frozen meanwhile") + ")");
    }

    /** A volume from a snapshot: a copy of the snapshot's image on a loop device of its own. */
    @Override
    public void onVolumeCreated(String volumeId, String snapshotId) {
        if (closed.get()) {
            return;
        }
        SlotObjects source;
        synchronized (this) {
            source = snapshotSources.get(snapshotId);
        }
        var image = runDir.resolve("images/" + volumeId + ".img");
        Sh.run("cp", "--sparse=always", runDir.resolve("snapshots/" + snapshotId + ".img").toString(),
                image.toString());
        var loop = Sh.run("losetup", "-f", "--show", image.toString()).strip();
        var volume = new SlotObjects(source.nodeId(), source.az(), source.eniId(), source.mac(), source.ip(),
                volumeId, source.eniNic(), image, loop);
        synchronized (this) {
            slotsByVolume.put(volumeId, volume);
        }
        timeline.accept("cloud: volume " + volumeId + " from " + snapshotId + " on " + loop);
    }

    // ---------------------------------------------------------------- Run Command

    /**
     * The SSM agent's part: the document's own steps from template.yaml (parameters checked and substituted as SSM
     * does), each run as {@code aws:runShellScript} runs it, inside the instance's network namespace with the
     * instance's environment. A command SSM would have refused at SendCommand (InvalidParameters) runs nothing and
     * is reported Failed here.
     */
    private void runCommand(CloudState.CommandInfo command) {
        var node = nodes.get(command.instanceId());
        String status = "Failed";
        try {
            var env = nodeEnv(node);
            List<SsmDocuments.Step> steps;
            if (command.documentName().equals(RUN_SHELL_SCRIPT)) {
                // AWS's own document: its commands as one step. The instance's systemctl stops its pidfile-mode
                // ZooKeeper (what an operator's "systemctl stop zkasg-zookeeper.service" does on EC2).
                steps = List.of(new SsmDocuments.Step("0.aws:runShellScript",
                        List.of(command.parameters().getOrDefault("commands", "")), java.time.Duration.ofHours(1)));
                env.put("PATH", repo.resolve("scripts/test/stubs/pidfile") + ":" + System.getenv("PATH"));
            } else {
                steps = documents.render(command.documentName(), command.parameters());
            }
            var orchestration = node.dir.resolve("ssm/" + command.commandId());
            status = "Success";
            for (var step : steps) {
                var result = RunShellScript.run(step, orchestration, env,
                        List.of("nsenter", "--net=/run/netns/" + node.netns, "--"));
                // The whole output (the agent keeps it on the instance too; the API returns only its start).
                var stepDir = orchestration.resolve(step.name());
                Files.writeString(node.log(), "$ " + command.documentName() + " (" + step.name() + ") "
                        + command.commandId() + "\n" + Files.readString(stepDir.resolve("stdout"))
                        + Files.readString(stepDir.resolve("stderr")) + "-> " + result.status() + " (exit "
                        + result.exitCode() + ")\n", StandardCharsets.UTF_8,
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                if (!result.status().equals("Success")) {
                    status = result.status();
                    var lines = result.stderr().strip().lines().toList();
                    timeline.accept("cloud: command " + command.documentName() + " on " + node.instanceId + " "
                            + result.status() + " (exit " + result.exitCode() + "): "
                            + (lines.isEmpty() ? "" : lines.get(lines.size() - 1)));
                    break;
                }
            }
        } catch (SsmDocuments.Rejected e) {
            timeline.accept("cloud: SendCommand " + command.documentName() + " to " + command.instanceId()
                    + " refused: " + e.getMessage());
        } catch (Exception e) {
            status = "Failed";
            timeline.accept("cloud: command " + command.documentName() + " on " + command.instanceId()
                    + " could not run: " + e);
        }
        if (node != null) {
            node.commandDoneAt = Instant.now();
        }
        commandResults.put(command.commandId(), status);
    }

    /** The ZKASG_* environment of one instance: its own root, by-id links, pidfile mode, short waits. */
    Map<String, String> nodeEnv(Node node) {
        var env = new LinkedHashMap<String, String>();
        env.put("ZKASG_ROOT", node.root().toString());
        env.put("ZKASG_DEV_BY_ID_DIR", node.dir.resolve("by-id").toString());
        env.put("ZKASG_DEV_DIR", node.dir.resolve("dev").toString());
        env.put("ZKASG_SYS_DIR", node.dir.resolve("sys").toString());
        env.put("ZKASG_SERVICE_MODE", "pidfile");
        env.put("ZKASG_NETUTILS_UNIT", node.dir.resolve("no-net-utils").toString());
        env.put("ZKASG_POLL_INTERVAL", "0.2");
        // A smaller heap than the scripts' default (-Xmx512m) for several servers on one machine, with the same exit
        // on OutOfMemoryError (a server out of heap ends instead of limping on). Timestamps in Debian's slf4j-simple
        // log lines (a release's logback ignores these properties).
        env.put("ZKASG_JVM_OPTS", "-Xmx160m -XX:+ExitOnOutOfMemoryError -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
                + " -Xshare:auto"
                + " -Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
        env.put("ZKASG_START_TIMEOUT", "90");
        // A frozen (SIGSTOPped) ZooKeeper never acts on zk-stop's SIGTERM: it is SIGKILLed after this many seconds
        // (60 by default; a healthy one stops in about a second).
        env.put("ZKASG_STOP_TIMEOUT", "5");
        env.put("ZKASG_DEVICE_TIMEOUT", "20");
        env.put("ZKASG_NIC_TIMEOUT", "20");
        env.put("ZKASG_IMDS_TIMEOUT", "20");
        // No ZooKeeper on the instance (AL2023 has no package): it installs the release from ZkDistUrl or from the
        // copy kept on its data volume, into $ZKASG_ROOT/opt/zookeeper.
        env.put("ZKASG_SYSTEM_JAVA_DIR", node.dir.resolve("no-system-zookeeper").toString());
        var bundle = trustedBundle;
        if (bundle != null) {
            env.put("CURL_CA_BUNDLE", bundle.toString());
        }
        return env;
    }

    // ---------------------------------------------------------------- observations

    public Node node(String instanceId) {
        return nodes.get(instanceId);
    }

    public synchronized SlotObjects slot(int nodeId) {
        return slotsByEni.values().stream().filter(s -> s.nodeId() == nodeId).findFirst().orElseThrow();
    }

    /** Runs a command inside a namespace of the run (network only; mounts stay the host's). */
    public Sh.Result inNetns(String netns, String... cmd) {
        var args = new ArrayList<String>(List.of("nsenter", "--net=/run/netns/" + netns, "--"));
        args.addAll(List.of(cmd));
        return Sh.exec(args);
    }

    /** A four-letter word against 127.0.0.1:2181 inside the instance's namespace ("" when it does not answer). */
    public String fourLetter(Node node, String word) {
        var r = inNetns(node.netns, "timeout", "5", "bash", "-c",
                "exec 3<>/dev/tcp/127.0.0.1/2181 && printf '%s' \"$1\" >&3 && cat <&3", "zk4", word);
        return r.ok() ? r.out() : "";
    }

    /** Bytes received per interface of the instance (/proc/net/dev as the namespace sees it). */
    public String rxByInterface(Node node) {
        var r = inNetns(node.netns, "cat", "/proc/net/dev");
        var sb = new StringBuilder();
        for (var line : r.out().split("\n")) {
            var colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            var fields = line.substring(colon + 1).trim().split("\\s+");
            sb.append(line.substring(0, colon).strip()).append('=').append(fields[0]).append('/')
                    .append(fields[1]).append("pk ");
        }
        return sb.toString().strip();
    }

    /** Bytes received by the instance's interfaces except lo since they came to it. */
    public long rxBytes(Node node) {
        var r = inNetns(node.netns, "cat", "/proc/net/dev");
        long sum = 0;
        for (var line : r.out().split("\n")) {
            var colon = line.indexOf(':');
            var name = colon < 0 ? "lo" : line.substring(0, colon).strip();
            if (name.equals("lo")) {
                continue;
            }
            var fields = line.substring(colon + 1).trim().split("\\s+");
            sum += Long.parseLong(fields[0]) - (name.equals(node.eniNic) ? node.eniRxAtAttach : 0);
        }
        return sum;
    }

    /** Resident memory (KiB) of every process in the run's namespaces, plus this JVM. */
    public long rssKib() {
        var inodes = new java.util.HashSet<Long>();
        try (var list = Files.list(Path.of("/run/netns"))) {
            list.filter(p -> p.getFileName().toString().startsWith(prefix)).forEach(p -> {
                try {
                    inodes.add((Long) Files.getAttribute(p, "unix:ino"));
                } catch (IOException | RuntimeException e) {
                    // deleted meanwhile
                }
            });
        } catch (IOException e) {
            return 0;
        }
        long self = ProcessHandle.current().pid();
        long total = 0;
        try (var procs = Files.list(Path.of("/proc"))) {
            for (var proc : (Iterable<Path>) procs::iterator) {
                var name = proc.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    var link = Files.readSymbolicLink(proc.resolve("ns/net")).toString();
                    var ino = Long.parseLong(link.substring(link.indexOf('[') + 1, link.indexOf(']')));
                    if (Long.parseLong(name) != self && !inodes.contains(ino)) {
                        continue;
                    }
                    for (var line : Files.readAllLines(proc.resolve("status"))) {
                        if (line.startsWith("VmRSS:")) {
                            total += Long.parseLong(line.replaceAll("[^0-9]", ""));
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // gone meanwhile, or a kernel thread
                }
            }
        } catch (IOException e) {
            return total;
        }
        return total;
    }

    // ---------------------------------------------------------------- cleanup

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        commands.shutdownNow();
        cleanupRun(prefix, runDir, keep);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: this is the hook
        }
    }

    /** Removes what runs of earlier processes left behind (their owner process is gone). */
    public static List<String> sweepLeftovers() {
        var swept = new ArrayList<String>();
        try {
            Files.createDirectories(STATE_ROOT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (var dirs = Files.list(STATE_ROOT)) {
            for (var dir : dirs.toList()) {
                var name = dir.getFileName().toString();
                if (!name.matches("zl[0-9a-f]{4}")) {
                    continue;
                }
                long owner = -1;
                try {
                    owner = Long.parseLong(Files.readString(dir.resolve("owner")).strip());
                } catch (IOException | NumberFormatException e) {
                    // no owner recorded: leftovers
                }
                if (owner > 0 && ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                cleanupRun(name, dir, false);
                swept.add(name);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Namespaces of runs whose directory is gone (created while a run was being removed).
        var live = new java.util.HashSet<String>();
        try (var dirs = Files.list(STATE_ROOT)) {
            dirs.forEach(d -> live.add(d.getFileName().toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (var line : Sh.quiet("ip", "netns", "list").out().lines().toList()) {
            var ns = line.split("\\s+")[0];
            if (ns.matches("zl[0-9a-f]{4}(r|k|c|i[0-9]+)") && !live.contains(ns.substring(0, 6))) {
                killNetnsProcesses(ns);
                Sh.quiet("ip", "netns", "del", ns);
                swept.add(ns);
            }
        }
        return swept;
    }

    /** Kills the run's processes, unmounts and detaches its loop devices, deletes its namespaces and files. */
    static void cleanupRun(String prefix, Path dir, boolean keepFiles) {
        var namespaces = Sh.quiet("ip", "netns", "list").out().lines()
                .map(l -> l.split("\\s+")[0]).filter(n -> n.startsWith(prefix)).toList();
        namespaces.forEach(LocalCloud::killNetnsProcesses);
        var images = dir.resolve("images");
        if (Files.isDirectory(images)) {
            try (var files = Files.list(images)) {
                for (var image : files.toList()) {
                    for (var line : Sh.quiet("losetup", "-j", image.toString()).out().lines().toList()) {
                        var loop = line.split(":")[0];
                        if (loop.startsWith("/dev/loop")) {
                            unmountAll(loop);
                            Sh.quiet("losetup", "-d", loop);
                        }
                    }
                }
            } catch (IOException e) {
                // best effort
            }
        }
        // Mounts that no longer show their loop (detached lazily) but sit under the run directory.
        for (var target : Sh.quiet("findmnt", "-rn", "-o", "TARGET").out().lines().toList()) {
            if (target.startsWith(dir.toString() + "/")) {
                Sh.quiet("umount", "-l", target);
            }
        }
        namespaces.forEach(n -> Sh.quiet("ip", "netns", "del", n));
        if (!keepFiles) {
            Sh.quiet("rm", "-rf", "--one-file-system", dir.toString());
        }
    }

    /** SIGKILLs every process in the namespace and waits (up to 5 s) until they are gone. */
    static void killNetnsProcesses(String netns) {
        for (int round = 0; round < 25; round++) {
            var pids = Sh.quiet("ip", "netns", "pids", netns).out().lines().filter(s -> !s.isBlank()).toList();
            if (pids.isEmpty()) {
                return;
            }
            for (var pid : pids) {
                Sh.quiet("kill", "-KILL", pid.strip());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static void unmountAll(String loop) {
        for (var target : Sh.quiet("findmnt", "-rn", "-o", "TARGET", "--source", loop).out().lines().toList()) {
            if (!target.isBlank()) {
                Sh.quiet("umount", "-l", target);
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private void addNetns(String ns) {
        Sh.run("ip", "netns", "add", ns);
        ip(ns, "link", "set", "lo", "up");
    }

    private static void ip(String ns, String... args) {
        var cmd = new ArrayList<String>(List.of("ip", "-n", ns));
        cmd.addAll(List.of(args));
        Sh.run(cmd.toArray(String[]::new));
    }

    private static void sysctl(String ns, String key, String value) {
        Sh.run("nsenter", "--net=/run/netns/" + ns, "--", "sysctl", "-q", "-w", key + "=" + value);
    }

    /** Lets the zookeeper user reach {@code dir} (it runs ZooKeeper in pidfile mode). */
    private static void traversable(Path dir) throws IOException {
        for (var d = dir; d != null && !d.toString().equals("/"); d = d.getParent()) {
            if (d.startsWith(STATE_ROOT) || d.equals(STATE_ROOT)) {
                var perms = Files.getPosixFilePermissions(d);
                perms.add(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE);
                perms.add(java.nio.file.attribute.PosixFilePermission.OTHERS_READ);
                Files.setPosixFilePermissions(d, perms);
            }
        }
    }
}
