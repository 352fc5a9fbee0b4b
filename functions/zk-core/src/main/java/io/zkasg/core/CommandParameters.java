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

    private CommandParameters() {
    }

    /** Parameters of the bootstrap document for this slot. */
    public static Map<String, String> bootstrap(Settings settings, Slot slot, SortedMap<Integer, String> servers,
                                                ScriptBundle bundle) {
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
