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

    /** The host answered but nothing listens on the port: the server is down, not merely out of reach. */
    public static ServerHealth refused(String ip) {
        return new ServerHealth(ip, false, "", -1, REFUSED);
    }

    /**
     * Known not to serve: it answered without being in a quorum, or its host refused the connection. A timeout is
     * not knowledge (the prober may simply not reach it).
     */
    public boolean knownNotServing() {
        return !serving() && (imok || REFUSED.equals(error) || !mode.isEmpty());
    }

    private static final String REFUSED = "connection refused";
}
