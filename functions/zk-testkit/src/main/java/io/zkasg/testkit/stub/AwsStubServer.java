package io.zkasg.testkit.stub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An AWS-shaped HTTP endpoint on 127.0.0.1 for EC2, Auto Scaling (query protocol, XML), SSM (JSON 1.1), SQS and
 * DynamoDB (JSON 1.0; DynamoDB's GetItem and UpdateItem work on a small in-memory table with DynamoDB's expression
 * rules, see {@link DynamoDbTables}). Point an SDK client at {@link #endpoint()} (or set {@code AWS_ENDPOINT_URL}
 * to it): the server tells the services apart by {@code X-Amz-Target} or by the {@code Action}/{@code Version}
 * form fields, records every request, and answers each operation from, in order: its queue of one-shot replies, its
 * handler set with {@link #on}, or a built-in success reply rendered from the recorded-shape templates next to this
 * class.
 *
 * <pre>{@code
 * try (AwsStubServer aws = AwsStubServer.start()) {
 *     aws.enqueue("AttachNetworkInterface", AwsStubServer.error("InvalidNetworkInterface.InUse", "in use"));
 *     aws.throttle("DescribeVolumes", 2);                      // next two calls: throttled in the service's dialect
 *     aws.on("DescribeInstances", request -> AwsShapes.describeInstances(List.of(view)));
 *     ... call the SDK ...
 *     assertThat(aws.requests("AttachNetworkInterface").get(1).param("DeviceIndex")).isEqualTo("1");
 * }
 * }</pre>
 */
public final class AwsStubServer implements AutoCloseable {

    /** The services the stub speaks, with the protocol details that tell them apart. */
    public enum Service {
        EC2("2016-11-15"), AUTOSCALING("2011-01-01"), SSM("AmazonSSM"), SQS("AmazonSQS"),
        DYNAMODB("DynamoDB_20120810");

        private final String marker;

        Service(String marker) {
            this.marker = marker;
        }

        boolean isJson() {
            return this == SSM || this == SQS || this == DYNAMODB;
        }

        String contentType() {
            return switch (this) {
                case SSM -> "application/x-amz-json-1.1";
                case SQS, DYNAMODB -> "application/x-amz-json-1.0";
                default -> "text/xml";
            };
        }
    }

    /**
     * One recorded request.
     *
     * @param params the form fields of a query-protocol request (EC2, Auto Scaling); empty for JSON services
     * @param body the raw body (the JSON document for SSM and SQS)
     */
    public record Request(Service service, String operation, Map<String, String> params, String body,
                          Map<String, List<String>> headers) {

        public String param(String name) {
            return params.get(name);
        }

        /** Form fields whose name starts with {@code prefix}, e.g. {@code Filter.} or {@code InstanceIds.member.}. */
        public Map<String, String> params(String prefix) {
            Map<String, String> selected = new LinkedHashMap<>();
            params.forEach((k, v) -> {
                if (k.startsWith(prefix)) {
                    selected.put(k, v);
                }
            });
            return selected;
        }

        /** The JSON body as maps, lists, strings, BigDecimals and Booleans. */
        @SuppressWarnings("unchecked")
        public Map<String, Object> json() {
            return body.isBlank() ? Map.of() : (Map<String, Object>) Json.parse(body);
        }

        /** The first value of a header (names compared without case). */
        public String header(String name) {
            for (Map.Entry<String, List<String>> h : headers.entrySet()) {
                if (h.getKey().equalsIgnoreCase(name) && !h.getValue().isEmpty()) {
                    return h.getValue().get(0);
                }
            }
            return null;
        }
    }

    /** A reply: HTTP status and body; the content type follows the service. */
    public record Response(int status, String body) {
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9_]+)}");

    private final HttpServer server;
    private final ExecutorService executor;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, Function<Request, Response>> handlers = new ConcurrentHashMap<>();
    private final Map<String, Deque<Function<Request, Response>>> queued = new ConcurrentHashMap<>();
    private final DynamoDbTables dynamo = new DynamoDbTables();
    private volatile Function<Request, Response> gate = request -> null;

    private AwsStubServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Starts a stub on 127.0.0.1 at an ephemeral port. */
    public static AwsStubServer start() {
        // Without TCP_NODELAY the JDK server's separate header and body writes meet the client's delayed ACK, and
        // every call takes ~40 ms more than AWS would: read once, when the first server is made.
        System.setProperty("sun.net.httpserver.nodelay", System.getProperty("sun.net.httpserver.nodelay", "true"));
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
                Thread t = new Thread(r, "aws-stub");
                t.setDaemon(true);
                return t;
            });
            AwsStubServer stub = new AwsStubServer(server, executor);
            server.createContext("/", stub::handle);
            server.setExecutor(executor);
            server.start();
            return stub;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /**
     * Points an AWS CLI (or any SDK) run with {@code env} at this stub: its endpoint, a region, example credentials,
     * and no configuration or credentials file or pager of the machine's.
     */
    public void pointCli(Map<String, String> env) {
        env.put("AWS_ENDPOINT_URL", endpoint().toString());
        env.put("AWS_DEFAULT_REGION", "us-east-1");
        env.put("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
        env.put("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        env.put("AWS_CONFIG_FILE", "/dev/null");
        env.put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        env.put("AWS_PAGER", "");
    }

    /** Answers every later call of {@code operation} with {@code handler} (after any queued replies). */
    public AwsStubServer on(String operation, Function<Request, Response> handler) {
        handlers.put(operation, Objects.requireNonNull(handler));
        return this;
    }

    /** Answers the next calls of {@code operation}, one reply each, in order; then the handler takes over. */
    @SafeVarargs
    public final AwsStubServer enqueue(String operation, Function<Request, Response>... replies) {
        Deque<Function<Request, Response>> queue = queued.computeIfAbsent(operation, k -> new ArrayDeque<>());
        synchronized (queue) {
            for (Function<Request, Response> reply : replies) {
                queue.addLast(Objects.requireNonNull(reply));
            }
        }
        return this;
    }

    /**
     * Throttles the next {@code times} calls of {@code operation} the way the service does: EC2
     * {@code RequestLimitExceeded} (503), Auto Scaling {@code Throttling} (400), SSM, SQS and DynamoDB
     * {@code ThrottlingException} (400).
     */
    public AwsStubServer throttle(String operation, int times) {
        for (int i = 0; i < times; i++) {
            enqueue(operation, AwsStubServer::throttledReply);
        }
        return this;
    }

    /**
     * Runs {@code gate} on every request before it is answered (after it is recorded); a reply from it answers the
     * request instead (e.g. {@link #throttledReply} from a token bucket), null lets the request through. For models of
     * what AWS does to every call alike: request throttling, latency.
     */
    public AwsStubServer gate(Function<Request, Response> value) {
        this.gate = Objects.requireNonNull(value);
        return this;
    }

    /** Every request received so far, in arrival order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public List<Request> requests(String operation) {
        return requests.stream().filter(r -> r.operation().equals(operation)).toList();
    }

    public int count(String operation) {
        return requests(operation).size();
    }

    /** Forgets recorded requests, handlers and queued replies. */
    public void reset() {
        requests.clear();
        handlers.clear();
        queued.clear();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    /** An error reply in the dialect of whichever service is called, with HTTP status 400. */
    public static Function<Request, Response> error(String code, String message) {
        return error(code, message, 400);
    }

    /** An error reply in the dialect of whichever service is called. */
    public static Function<Request, Response> error(String code, String message, int status) {
        return request -> errorResponse(request.service(), code, message, status);
    }

    /** A fixed reply. */
    public static Function<Request, Response> reply(Response response) {
        return request -> response;
    }

    public static Response errorResponse(Service service, String code, String message, int status) {
        Map<String, String> values = Map.of("code", xml(code), "message", xml(message), "requestId", requestId());
        return switch (service) {
            case EC2 -> new Response(status, render("ec2/error.xml", values));
            case AUTOSCALING -> new Response(status, render("autoscaling/error.xml", Map.of(
                    "type", status >= 500 ? "Receiver" : "Sender",
                    "code", xml(code), "message", xml(message), "requestId", requestId())));
            case SSM, SQS -> new Response(status, render(service.name().toLowerCase(Locale.ROOT) + "/error.json",
                    Map.of("code", Json.escape(code), "message", Json.escape(message))));
            case DYNAMODB -> new Response(status, DynamoDbTables.error(code, message, null).body());
        };
    }

    /**
     * Loads a template from this package's resources and replaces each {@code ${name}}. Values go in as given:
     * escape leaf values with {@link #xml} or {@link #jsonText} first. A placeholder without a value is an error.
     */
    public static String render(String template, Map<String, String> values) {
        String text = load(template);
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder(text.length() + 256);
        while (m.find()) {
            String value = values.get(m.group(1));
            if (value == null) {
                throw new IllegalArgumentException(template + ": no value for ${" + m.group(1) + "}");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    public static String xml(String s) {
        if (s == null) {
            return "";
        }
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
                .replace("'", "&apos;");
    }

    public static String jsonText(String s) {
        return s == null ? "" : Json.escape(s);
    }

    static String requestId() {
        return UUID.randomUUID().toString();
    }

    private static final Map<String, String> TEMPLATES = new ConcurrentHashMap<>();

    /** A template's text, read once (a describe renders one template per tag and attachment). */
    private static String load(String template) {
        return TEMPLATES.computeIfAbsent(template, AwsStubServer::read);
    }

    private static String read(String template) {
        try (InputStream in = AwsStubServer.class.getResourceAsStream(template)) {
            if (in == null) {
                throw new IllegalArgumentException("no template " + template);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The service's own refusal of a throttled request (the codes and statuses of {@link #throttle}). */
    public static Response throttledReply(Request request) {
        return switch (request.service()) {
            case EC2 -> errorResponse(Service.EC2, "RequestLimitExceeded", "Request limit exceeded.", 503);
            case AUTOSCALING -> errorResponse(Service.AUTOSCALING, "Throttling", "Rate exceeded", 400);
            case SSM, SQS -> errorResponse(request.service(), "ThrottlingException", "Rate exceeded", 400);
            case DYNAMODB -> errorResponse(Service.DYNAMODB, "ThrottlingException", "Rate of requests exceeds the "
                    + "allowed throughput.", 400);
        };
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] raw = exchange.getRequestBody().readAllBytes();
            String body = new String(raw, StandardCharsets.UTF_8);
            Map<String, List<String>> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k, List.copyOf(v)));
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            Request request;
            if (target != null && target.contains(".")) {
                String prefix = target.substring(0, target.indexOf('.'));
                Service service = null;
                for (Service s : Service.values()) {
                    if (s.isJson() && s.marker.equals(prefix)) {
                        service = s;
                    }
                }
                if (service == null) {
                    send(exchange, Service.SSM, new Response(400, "{\"__type\":\"UnknownOperationException\"}"));
                    return;
                }
                request = new Request(service, target.substring(target.indexOf('.') + 1), Map.of(), body,
                        Collections.unmodifiableMap(headers));
            } else {
                Map<String, String> form = parseForm(body);
                String version = form.getOrDefault("Version", "");
                Service service = version.equals(Service.AUTOSCALING.marker) ? Service.AUTOSCALING : Service.EC2;
                request = new Request(service, form.getOrDefault("Action", ""), Collections.unmodifiableMap(form),
                        body, Collections.unmodifiableMap(headers));
            }
            requests.add(request);
            Response refused = gate.apply(request);
            send(exchange, request.service(), refused != null ? refused : respond(request));
        } catch (RuntimeException e) {
            // A broken handler should fail the test loudly, not hang the client.
            byte[] bytes = ("stub failure: " + e).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(500, bytes.length);
            exchange.getResponseBody().write(bytes);
        }
    }

    private Response respond(Request request) {
        Deque<Function<Request, Response>> queue = queued.get(request.operation());
        if (queue != null) {
            Function<Request, Response> next;
            synchronized (queue) {
                next = queue.pollFirst();
            }
            if (next != null) {
                return next.apply(request);
            }
        }
        Function<Request, Response> handler = handlers.get(request.operation());
        if (handler != null) {
            return handler.apply(request);
        }
        if (request.service() == Service.DYNAMODB) {
            return dynamo.handle(request);
        }
        return defaultResponse(request);
    }

    private static void send(HttpExchange exchange, Service service, Response response) throws IOException {
        byte[] bytes = response.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", service.contentType());
        exchange.getResponseHeaders().set("x-amzn-RequestId", requestId());
        exchange.sendResponseHeaders(response.status(), bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
        }
    }

    private static Map<String, String> parseForm(String body) {
        Map<String, String> form = new LinkedHashMap<>();
        if (body.isEmpty()) {
            return form;
        }
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            form.put(URLDecoder.decode(key, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
        return form;
    }

    /** The plain success reply of an operation (what the stub answers when nothing else was programmed). */
    public static Response ok(Request request) {
        return defaultResponse(request);
    }

    /** Plain successes for the operations the adapters use; anything else is an unknown operation. */
    private static Response defaultResponse(Request request) {
        String id = requestId();
        return switch (request.operation()) {
            case "DescribeInstances" -> AwsShapes.describeInstances(List.of());
            case "DescribeNetworkInterfaces" -> AwsShapes.describeNetworkInterfaces(List.of(), null);
            case "DescribeVolumes" -> AwsShapes.describeVolumes(List.of(), null);
            case "AttachNetworkInterface" -> new Response(200, render("ec2/AttachNetworkInterface.xml",
                    Map.of("requestId", id, "attachmentId", "eni-attach-" + suffix())));
            case "AttachVolume" -> new Response(200, render("ec2/AttachVolume.xml", Map.of("requestId", id,
                    "volumeId", xml(request.param("VolumeId")), "instanceId", xml(request.param("InstanceId")),
                    "device", xml(request.param("Device")))));
            case "DetachVolume" -> new Response(200, render("ec2/DetachVolume.xml", Map.of("requestId", id,
                    "volumeId", xml(request.param("VolumeId")), "instanceId", xml(request.param("InstanceId")),
                    "device", "/dev/xvdf")));
            case "ModifyNetworkInterfaceAttribute", "DetachNetworkInterface", "CreateTags" ->
                    new Response(200, render("ec2/return-true.xml",
                            Map.of("action", request.operation(), "requestId", id)));
            case "DescribeAutoScalingInstances" -> AwsShapes.describeAutoScalingInstances(List.of(), null);
            case "DescribeAutoScalingGroups" -> {
                // Every group asked for exists and has no suspended process.
                Map<String, List<String>> groups = new LinkedHashMap<>();
                for (int i = 1; request.param("AutoScalingGroupNames.member." + i) != null; i++) {
                    groups.put(request.param("AutoScalingGroupNames.member." + i), List.of());
                }
                yield AwsShapes.describeAutoScalingGroups(groups);
            }
            case "CompleteLifecycleAction", "RecordLifecycleActionHeartbeat", "SetInstanceHealth",
                 "SuspendProcesses", "TerminateInstanceInAutoScalingGroup" ->
                    new Response(200, render("autoscaling/empty-result.xml",
                            Map.of("action", request.operation(), "requestId", id)));
            case "DescribeInstanceInformation" -> AwsShapes.describeInstanceInformation(Map.of());
            case "SendCommand" -> AwsShapes.sendCommand(request, UUID.randomUUID().toString());
            case "SendMessage" -> {
                Object messageBody = request.json().get("MessageBody");
                yield new Response(200, render("sqs/SendMessage.json", Map.of(
                        "md5", md5Hex(messageBody == null ? "" : messageBody.toString()),
                        "messageId", UUID.randomUUID().toString())));
            }
            case "GetQueueUrl" -> errorResponse(Service.SQS, "QueueDoesNotExist",
                    "The specified queue does not exist.", 400);
            default -> errorResponse(request.service(), request.service().isJson()
                    ? "UnknownOperationException" : "InvalidAction",
                    "The stub has no reply for " + request.operation(), 400);
        };
    }

    static String suffix() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 17);
    }

    /** SQS clients check the body's MD5 in SendMessage's answer. */
    static String md5Hex(String text) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            return HexFormat.of().formatHex(md5.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
