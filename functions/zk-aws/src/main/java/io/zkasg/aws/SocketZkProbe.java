package io.zkasg.aws;

import io.zkasg.core.model.Membership;
import io.zkasg.core.model.ServerFigures;
import io.zkasg.core.model.ServerHealth;
import io.zkasg.core.port.ZkProbe;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * {@link ZkProbe} over plain TCP: one connection per four-letter word, as ZooKeeper answers one word and closes. Every
 * connect and read is bounded by the timeout, and the whole answer by it too (a server that trickles bytes cannot
 * hold the health function).
 */
public final class SocketZkProbe implements ZkProbe {

    /** An answer longer than this is not a four-letter-word answer (mntr is ~2 KiB on a leader). */
    static final int MAX_ANSWER_BYTES = 64 * 1024;

    @Override
    public ServerHealth probe(String ip, int port, Duration timeout) {
        var ruok = ask(ip, port, "ruok", timeout);
        if (ruok.refused()) {
            // Its host answered: nothing listens, so the server is known to be down (the quorum guard counts that).
            return ServerHealth.refused(ip);
        }
        if (ruok.error().isPresent()) {
            return ServerHealth.unreachable(ip, ruok.error().get());
        }
        var text = ruok.text().strip();
        if (!"imok".equals(text)) {
            return ServerHealth.unreachable(ip, "ruok answered '" + shorten(text) + "'");
        }
        var srvr = ask(ip, port, "srvr", timeout);
        if (srvr.error().isPresent()) {
            // imok, then silence: a stall (a long GC pause), not a server known to be down.
            return ServerHealth.stalled(ip, "srvr: " + srvr.error().get());
        }
        var fields = fields(srvr.text(), ':');
        var mode = fields.getOrDefault("Mode", "");
        if (mode.isEmpty()) {
            // Not in a quorum ("This ZooKeeper instance is not currently serving requests") or srvr not whitelisted.
            return new ServerHealth(ip, true, "", -1, "srvr answered '" + shorten(srvr.text().strip()) + "'");
        }
        return new ServerHealth(ip, true, mode, zxid(fields.getOrDefault("Zxid", "")), "");
    }

    @Override
    public ServerFigures figures(String ip, int port, Duration timeout) {
        var mntr = ask(ip, port, "mntr", timeout);
        if (mntr.error().isPresent()) {
            return ServerFigures.none(ip);
        }
        var fields = fields(mntr.text(), '\t');
        if (!fields.containsKey("zk_server_state")) {
            return ServerFigures.none(ip);
        }
        return new ServerFigures(ip, fields.get("zk_server_state"),
                number(fields.get("zk_znode_count")), number(fields.get("zk_outstanding_requests")),
                decimal(fields.get("zk_avg_latency")), number(fields.get("zk_followers")),
                number(fields.get("zk_synced_followers")));
    }

    @Override
    public OptionalInt serverId(String ip, int port, Duration timeout) {
        var conf = ask(ip, port, "conf", timeout);
        if (conf.error().isPresent()) {
            return OptionalInt.empty();
        }
        var id = fields(conf.text(), '=').get("serverId");
        try {
            return id == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(id));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    @Override
    public Optional<Membership> membership(String ip, int port, Duration timeout) {
        var conf = ask(ip, port, "conf", timeout);
        return conf.error().isPresent() ? Optional.empty() : Membership.parse(conf.text());
    }

    /**
     * What a four-letter word got: the text the server sent before closing, or why there was none ({@code refused}
     * when the host refused the connection).
     */
    record Answer(String text, Optional<String> error, boolean refused) {
    }

    static Answer ask(String ip, int port, String word, Duration timeout) {
        var deadline = System.nanoTime() + timeout.toNanos();
        try (var socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(ip, port), millis(timeout));
            socket.getOutputStream().write(word.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            // The server closes the connection after its answer: read to the end, within what is left of the timeout.
            var out = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            var buffer = new byte[4096];
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return failed("timed out after " + timeout.toMillis() + " ms reading " + word);
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                int n = in.read(buffer);
                if (n < 0) {
                    return new Answer(out.toString(StandardCharsets.UTF_8), Optional.empty(), false);
                }
                out.write(buffer, 0, n);
                if (out.size() > MAX_ANSWER_BYTES) {
                    return failed(word + " answer longer than " + MAX_ANSWER_BYTES + " bytes");
                }
            }
        } catch (SocketTimeoutException e) {
            return failed("timed out after " + timeout.toMillis() + " ms (" + word + ")");
        } catch (ConnectException e) {
            return new Answer("", Optional.of("connection refused (" + word + ")"), true);
        } catch (IOException e) {
            return failed(e.getClass().getSimpleName() + ": " + e.getMessage() + " (" + word + ")");
        }
    }

    private static Answer failed(String why) {
        return new Answer("", Optional.of(why), false);
    }

    private static int millis(Duration timeout) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    }

    /** {@code key<sep>value} lines; srvr uses ": ", mntr a tab. */
    static Map<String, String> fields(String text, char separator) {
        var fields = new HashMap<String, String>();
        for (var line : text.split("\n")) {
            int at = line.indexOf(separator);
            if (at > 0) {
                fields.put(line.substring(0, at).strip(), line.substring(at + 1).strip());
            }
        }
        return fields;
    }

    static long zxid(String raw) {
        try {
            return raw.startsWith("0x") ? Long.parseUnsignedLong(raw.substring(2), 16) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long number(String raw) {
        try {
            return raw == null ? -1 : Long.parseLong(raw);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static double decimal(String raw) {
        try {
            return raw == null ? -1 : Double.parseDouble(raw);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String shorten(String text) {
        var oneLine = text.replaceAll("\\s+", " ");
        return oneLine.length() > 120 ? oneLine.substring(0, 120) + "..." : oneLine;
    }
}
