package io.zkasg.local.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One {@code aws:runShellScript} step run the way the SSM agent runs it on Linux: the {@code runCommand} lines,
 * joined with newlines, are written to {@code <orchestration dir>/<step>/_script.sh} (mode 0700), which is run as
 * {@code sh -c <script> ""} in that directory, in a process group of its own, stdout and stderr each to a file;
 * exit status 0 is Success, any other Failed; past the step's timeout the group is killed and the step TimedOut
 * (a process the script detached into another session, such as ZooKeeper, lives on). The invocation's output is the
 * first 24,000 characters of stdout and the first 8,000 of stderr, as GetCommandInvocation returns them.
 */
public final class RunShellScript {

    static final int STDOUT_LIMIT = 24_000;
    static final int STDERR_LIMIT = 8_000;

    /** The step's result. */
    public record Result(String status, int exitCode, String stdout, String stderr) {
    }

    private RunShellScript() {
    }

    /**
     * Runs {@code step} with {@code env} added to this process's environment; {@code wrapper} is put in front of
     * the command (e.g. {@code nsenter --net=...} to run it inside an instance's namespace; nsenter execs in place).
     */
    public static Result run(SsmDocuments.Step step, Path orchestrationDir, Map<String, String> env,
                             List<String> wrapper) throws IOException, InterruptedException {
        var dir = orchestrationDir.resolve(step.name());
        Files.createDirectories(dir);
        var script = dir.resolve("_script.sh");
        Files.writeString(script, String.join("\n", step.runCommand()) + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        var cmd = new ArrayList<>(wrapper);
        // setsid: the script leads its own process group (the agent sets Setpgid), so a timeout kills the group.
        cmd.addAll(List.of("setsid", "sh", "-c", script.toString(), ""));
        var stdout = dir.resolve("stdout");
        var stderr = dir.resolve("stderr");
        var builder = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        builder.environment().putAll(env);
        var process = builder.start();
        String status;
        int code;
        if (process.waitFor(step.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
            code = process.exitValue();
            status = code == 0 ? "Success" : "Failed";
        } else {
            new ProcessBuilder("kill", "-KILL", "--", "-" + process.pid()).start().waitFor();
            process.waitFor();
            code = process.exitValue();
            status = "TimedOut";
        }
        return new Result(status, code, prefix(stdout, STDOUT_LIMIT), prefix(stderr, STDERR_LIMIT));
    }

    private static String prefix(Path file, int limit) throws IOException {
        var text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        return text.length() <= limit ? text : text.substring(0, limit);
    }
}
