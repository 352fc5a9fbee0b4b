package io.zkasg.aws;

import io.zkasg.core.model.ServerHealth;
import io.zkasg.core.port.ZkProbe;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** The ZkProbe over a plain TCP socket: {@code ruok}, then {@code srvr}, each on its own connection as 4lw need. */
public final class SocketZkProbe implements ZkProbe {

    @Override
    public ServerHealth probe(String ip, int port, Duration timeout) {
        try {
            var ruok = ask(ip, port, "ruok", timeout);
            if (!ruok.strip().equals("imok")) {
                return new ServerHealth(ip, false, "", -1, "ruok answered '" + ruok.strip() + "'");
            }
            var srvr = ask(ip, port, "srvr", timeout);
            var mode = "";
            long zxid = -1;
            for (var line : srvr.split("\n")) {
                if (line.startsWith("Mode:")) {
                    mode = line.substring(5).strip();
                } else if (line.startsWith("Zxid:")) {
                    zxid = Long.decode(line.substring(5).strip());
                }
            }
            return new ServerHealth(ip, true, mode, zxid, mode.isEmpty() ? srvr.strip() : "");
        } catch (java.net.ConnectException e) {
            return ServerHealth.refused(ip);
        } catch (IOException | NumberFormatException e) {
            return ServerHealth.unreachable(ip, e.toString());
        }
    }

    private static String ask(String ip, int port, String word, Duration timeout) throws IOException {
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress(ip, port), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            socket.getOutputStream().write(word.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
