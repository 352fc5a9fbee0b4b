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
     * It answered {@code ruok} but not {@code srvr} in time: a server in a long GC pause, or frozen between the two
     * words. It may well be serving.
     */
    public static ServerHealth stalled(String ip, String error) {
        return new ServerHealth(ip, true, "", -1, STALLED + error);
    }

    /** Answered imok, then nothing in time: see {@link #stalled}. */
    public boolean isStalled() {
        return error.startsWith(STALLED);
    }

    /**
     * Known not to serve: it answered without being in a quorum, or its host refused the connection. A timeout is
     * not knowledge (the prober may simply not reach it), and neither is a stall.
     */
    public boolean knownNotServing() {
        return !serving() && !isStalled() && (imok || REFUSED.equals(error) || !mode.isEmpty());
    }

    private static final String REFUSED = "connection refused";
    private static final String STALLED = "stalled: ";
}
