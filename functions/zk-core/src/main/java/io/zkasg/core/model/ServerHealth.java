package io.zkasg.core.model;

/**
 * What one ZooKeeper server answered to the four-letter words, as operators check it.
 *
 * @param imok {@code ruok} answered {@code imok}
 * @param mode from {@code srvr}: leader, follower, observer, standalone, or empty when it did not answer
 * @param zxid from {@code srvr}, -1 when unknown
 * @param error why the probe failed (connection refused, timeout, not whitelisted...), empty when it did not
 */
public record ServerHealth(String ip, boolean imok, String mode, long zxid, String error) {

    /** Serving clients as a member of a quorum. */
    public boolean serving() {
        return imok && ("leader".equals(mode) || "follower".equals(mode));
    }

    public static ServerHealth unreachable(String ip, String error) {
        return new ServerHealth(ip, false, "", -1, error);
    }
}
