package io.zkasg.local.runtime;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The Lambda Runtime API (version 2018-06-01) on 127.0.0.1, for one runtime process: {@code GET
 * /runtime/invocation/next} hands out queued events (long poll), {@code POST /runtime/invocation/{id}/response} and
 * {@code /error} complete them, {@code POST /runtime/init/error} records an init failure. Records when the runtime
 * first asked for an event: the end of its init, as Lambda measures "Init Duration". A SnapStart runtime
 * ({@code AWS_LAMBDA_INITIALIZATION_TYPE=snap-start}) first runs its beforeCheckpoint hooks and asks {@code GET
 * /runtime/restore/next}, which Lambda answers once a snapshot of it has been restored: here at once, in the same
 * process (no snapshot is taken); the time of that request is recorded. {@code /runtime/restore/error} is a failure.
 */
final class LocalRuntimeApi implements AutoCloseable {

    private static final String PREFIX = "/2018-06-01/runtime/";

    /** What came back for one invocation: the response body or the error, and when. */
    record Outcome(boolean error, String body, long atNanos) {
    }

    private record Pending(String id, byte[] event) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
        var t = new Thread(r, "runtime-api");
        t.setDaemon(true);
        return t;
    });
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Map<String, CompletableFuture<Outcome>> outcomes = new ConcurrentHashMap<>();
    private final CompletableFuture<Long> firstNext = new CompletableFuture<>();
    private final CompletableFuture<Long> restoreNext = new CompletableFuture<>();
    private final CompletableFuture<String> initError = new CompletableFuture<>();

    LocalRuntimeApi() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext(PREFIX, this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** The value of AWS_LAMBDA_RUNTIME_API for the runtime. */
    String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** System.nanoTime() of the runtime's first /next, waiting up to {@code seconds}; fails on an init error. */
    long awaitInit(long seconds) throws Exception {
        var first = CompletableFuture.anyOf(firstNext, initError).get(seconds, TimeUnit.SECONDS);
        if (first instanceof String error) {
            throw new IllegalStateException("init error: " + error);
        }
        return (Long) first;
    }

    /** System.nanoTime() of the runtime's /restore/next (a SnapStart runtime's end of init), or null if none came. */
    Long restoreRequested() {
        return restoreNext.getNow(null);
    }

    /** Queues one event and waits for its outcome. */
    Outcome invoke(byte[] event, long seconds) throws Exception {
        var id = UUID.randomUUID().toString();
        var outcome = new CompletableFuture<Outcome>();
        outcomes.put(id, outcome);
        queue.add(new Pending(id, event));
        return outcome.get(seconds, TimeUnit.SECONDS);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            var path = exchange.getRequestURI().getPath().substring(PREFIX.length());
            var body = exchange.getRequestBody().readAllBytes();
            if (path.equals("invocation/next") && exchange.getRequestMethod().equals("GET")) {
                firstNext.complete(System.nanoTime());
                Pending next = queue.take();
                var headers = exchange.getResponseHeaders();
                headers.add("Lambda-Runtime-Aws-Request-Id", next.id());
                headers.add("Lambda-Runtime-Deadline-Ms", Long.toString(System.currentTimeMillis() + 900_000));
                headers.add("Lambda-Runtime-Invoked-Function-Arn",
                        "arn:aws:lambda:us-east-1:123456789012:function:zk-bench");
                headers.add("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0");
                headers.add("Content-Type", "application/json");
                send(exchange, 200, next.event());
            } else if (path.startsWith("invocation/") && (path.endsWith("/response") || path.endsWith("/error"))) {
                var id = path.substring("invocation/".length(), path.lastIndexOf('/'));
                var outcome = outcomes.remove(id);
                if (outcome == null) {
                    send(exchange, 400, "{\"errorMessage\":\"unknown request id\"}".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                outcome.complete(new Outcome(path.endsWith("/error"), new String(body, StandardCharsets.UTF_8),
                        System.nanoTime()));
                send(exchange, 202, "{\"status\":\"OK\"}".getBytes(StandardCharsets.UTF_8));
            } else if (path.equals("restore/next") && exchange.getRequestMethod().equals("GET")) {
                restoreNext.complete(System.nanoTime());
                send(exchange, 200, new byte[0]);
            } else if (path.equals("init/error") || path.equals("restore/error")) {
                initError.complete(new String(body, StandardCharsets.UTF_8));
                send(exchange, 202, "{\"status\":\"OK\"}".getBytes(StandardCharsets.UTF_8));
            } else {
                send(exchange, 404, "{\"errorMessage\":\"not found\"}".getBytes(StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            exchange.getResponseBody().write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
