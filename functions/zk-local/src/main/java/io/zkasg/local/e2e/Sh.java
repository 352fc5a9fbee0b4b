package io.zkasg.local.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command of the host (ip, losetup, nsenter...) and waits for it. */
final class Sh {

    /** A finished command. */
    record Result(int code, String out) {
        boolean ok() {
            return code == 0;
        }
    }

    private Sh() {
    }

    /** Runs {@code cmd}; stdout and stderr merged; killed after 60 s. */
    static Result exec(List<String> cmd) {
        try {
            var process = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            var out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(124, out);
            }
            return new Result(process.exitValue(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(130, "interrupted");
        }
    }

    /** Runs {@code cmd} and returns its output; fails with the output when it exits non-zero. */
    static String run(String... cmd) {
        var result = exec(List.of(cmd));
        if (!result.ok()) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited " + result.code() + ": "
                    + result.out().strip());
        }
        return result.out();
    }

    /** Runs {@code cmd}, ignoring its exit code (cleanup). */
    static Result quiet(String... cmd) {
        return exec(List.of(cmd));
    }
}
