package io.zkasg.core;

import io.zkasg.core.model.Slot;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Builds the parameters of the bootstrap and stop documents. Every value is checked against a strict pattern here,
 * before it leaves the orchestrator; the SSM document checks the same patterns again ({@code allowedPattern}) and the
 * scripts a third time ({@code scripts/lib/common.sh}), because these values end up on a shell command line. The
 * three copies are one pattern per kind: PatternsAgreeTest fails on any difference.
 */
public final class CommandParameters {

    /** 1-255: the myid range ZooKeeper documents. */
    static final Pattern NODE_ID = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]?)");
    static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}");
    static final Pattern MAC = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){5}");
    /** EBS volume ids: 8 hex digits (old format) or 17. */
    static final Pattern VOLUME_ID = Pattern.compile("vol-([0-9a-f]{8}|[0-9a-f]{17})");
    static final Pattern SERVERS = Pattern.compile(
            NODE_ID.pattern() + "=" + IPV4.pattern()
                    + "(," + NODE_ID.pattern() + "=" + IPV4.pattern() + "){0,254}");
    /** 1-65535. */
    static final Pattern PORT = Pattern.compile(
            "([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])");

    /**
     * The stop lease's fencing counter: 1 and up, at most 18 digits (a long on this side, a 64-bit integer in bash's
     * arithmetic on the instance, which compares it with the highest one it has acted on).
     */
    static final Pattern FENCE = Pattern.compile("[1-9][0-9]{0,17}");

    /** One server as {@code zk-reconfig --add} takes it. */
    static final Pattern SERVER = Pattern.compile(NODE_ID.pattern() + "=" + IPV4.pattern());
    /** A configuration's version as ZooKeeper writes it (lower-case hex): {@code zk-reconfig --from-version}. */
    static final Pattern CONFIG_VERSION = Pattern.compile("[0-9a-f]{1,16}");

    /** How a new member's blank volume is seeded: {@code zk-bootstrap --join}. */
    static final Pattern JOIN = Pattern.compile("(participant|observer)");

    private CommandParameters() {
    }

    /**
     * Parameters of the reconfig document: add server {@code nodeId} at {@code ip} ({@code add}) or remove it, on the
     * condition that the configuration is still version {@code fromVersion} (hex).
     */
    public static Map<String, String> reconfig(Settings settings, boolean add, int nodeId, String ip,
                                               String fromVersion, ScriptBundle bundle) {
        var p = new LinkedHashMap<String, String>();
        if (add) {
            put(p, "Add", nodeId + "=" + ip, SERVER);
            p.put("Remove", "");
        } else {
            p.put("Add", "");
            put(p, "Remove", Integer.toString(nodeId), NODE_ID);
        }
        put(p, "FromVersion", fromVersion, CONFIG_VERSION);
        put(p, "QuorumPort", Integer.toString(settings.quorumPort()), PORT);
        put(p, "ElectionPort", Integer.toString(settings.electionPort()), PORT);
        p.put("BundleSha256", bundle.sha256());
        p.put("Bundle", bundle.base64());
        return p;
    }

    /** Parameters of the bootstrap document for this slot, joining as a participant. */
    public static Map<String, String> bootstrap(Settings settings, Slot slot, SortedMap<Integer, String> servers,
                                                ScriptBundle bundle) {
        return bootstrap(settings, slot, servers, false, bundle);
    }

    /**
     * Parameters of the bootstrap document for this slot; {@code observer}: the slot is not in the ensemble's
     * current configuration, so a blank volume is seeded with this node as an observer ({@code zk-bootstrap --join
     * observer}: it syncs without a vote until the reconciler adds it).
     */
    public static Map<String, String> bootstrap(Settings settings, Slot slot, SortedMap<Integer, String> servers,
                                                boolean observer, ScriptBundle bundle) {
        var p = new LinkedHashMap<String, String>();
        put(p, "NodeId", Integer.toString(slot.nodeId()), NODE_ID);
        put(p, "EniIp", slot.eni().privateIp(), IPV4);
        put(p, "EniMac", slot.eni().macAddress().toLowerCase(java.util.Locale.ROOT), MAC);
        put(p, "VolumeId", slot.volume().volumeId(), VOLUME_ID);
        put(p, "Device", settings.volumeDevice(), Settings.DEVICE);
        put(p, "Servers", servers.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(",")), SERVERS);
        put(p, "ClientPort", Integer.toString(settings.clientPort()), PORT);
        put(p, "QuorumPort", Integer.toString(settings.quorumPort()), PORT);
        put(p, "ElectionPort", Integer.toString(settings.electionPort()), PORT);
        if (!settings.zkDistUrl().isEmpty()) {
            put(p, "ZkDistUrl", settings.zkDistUrl(), Settings.HTTPS_URL);
            put(p, "ZkSha512", settings.zkSha512(), Settings.SHA512);
        }
        put(p, "Join", observer ? "observer" : "participant", JOIN);
        p.put("BundleSha256", bundle.sha256());
        p.put("Bundle", bundle.base64());
        if (!servers.getOrDefault(slot.nodeId(), "").equals(slot.eni().privateIp())) {
            throw new IllegalArgumentException("server list does not map node " + slot.nodeId() + " to "
                    + slot.eni().privateIp());
        }
        return p;
    }

    /**
     * Parameters of the stop document; {@code fence} is the counter of the stop lease the sender holds: the instance
     * refuses a stop whose counter is below one it has already acted on (a stale lease holder).
     */
    public static Map<String, String> stop(String volumeId, long fence, ScriptBundle bundle) {
        var p = new LinkedHashMap<String, String>();
        put(p, "VolumeId", volumeId, VOLUME_ID);
        put(p, "Fence", Long.toString(fence), FENCE);
        p.put("BundleSha256", bundle.sha256());
        p.put("Bundle", bundle.base64());
        return p;
    }

    private static void put(Map<String, String> params, String name, String value, Pattern pattern) {
        if (value == null || !pattern.matcher(value).matches()) {
            throw new IllegalArgumentException("parameter " + name + " has a value that is not allowed: "
                    + (value == null ? "null" : "'" + value.replaceAll("[^\\x21-\\x7e]", "?") + "'"));
        }
        params.put(name, value);
    }
}
