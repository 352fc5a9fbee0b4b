package io.zkasg.stack;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * The AWS operations the adapters call, read from their bytecode: every {@code INVOKEINTERFACE} on a
 * {@code software/amazon/awssdk/services/<svc>/<Svc>Client}, mapped to the IAM action {@code <svc>:<Operation>}
 * ({@code describeInstancesPaginator} counts as {@code DescribeInstances}).
 */
final class SdkCalls {

    private static final Pattern CLIENT =
            Pattern.compile("software/amazon/awssdk/services/([a-z0-9]+)/[A-Za-z0-9]+Client");
    /** Client methods that are not AWS operations. */
    private static final Set<String> NOT_OPERATIONS = Set.of("close", "serviceName", "serviceClientConfiguration",
            "waiter", "utilities", "create", "builder");

    private SdkCalls() {
    }

    /**
     * IAM action to the classes that call it, for every class under {@code packagePath} on the class path that ships:
     * test outputs (zk-aws's test-jar, which zk-stack also runs) are not adapters, e.g. the contract test that pins
     * the operator restore's calls, which the operator's own credentials make, never a function's role.
     */
    static TreeMap<String, Set<String>> actionsCalledUnder(String packagePath) {
        var found = new TreeMap<String, Set<String>>();
        try {
            var roots = Collections.list(SdkCalls.class.getClassLoader().getResources(packagePath));
            for (URL url : roots) {
                if (isTestOutput(url)) {
                    continue;
                }
                if (url.getProtocol().equals("file")) {
                    try (Stream<Path> files = Files.walk(Path.of(url.toURI()))) {
                        for (Path file : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                            try (InputStream in = Files.newInputStream(file)) {
                                scan(in, found);
                            }
                        }
                    }
                } else if (url.getProtocol().equals("jar")) {
                    var connection = (JarURLConnection) url.openConnection();
                    try (var jar = connection.getJarFile()) {
                        for (var entry : Collections.list(jar.entries())) {
                            if (entry.getName().startsWith(packagePath + "/") && entry.getName().endsWith(".class")) {
                                try (InputStream in = jar.getInputStream(entry)) {
                                    scan(in, found);
                                }
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return found;
    }

    static boolean isTestOutput(URL url) {
        var path = url.getPath();
        return path.contains("/test-classes/") || path.contains("-tests.jar!");
    }

    private static void scan(InputStream classFile, TreeMap<String, Set<String>> found) throws IOException {
        var reader = new ClassReader(classFile);
        var className = reader.getClassName().replace('/', '.');
        reader.accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String method, String desc, boolean itf) {
                        var client = CLIENT.matcher(owner);
                        if (opcode == Opcodes.INVOKEINTERFACE && client.matches() && !NOT_OPERATIONS.contains(method)) {
                            found.computeIfAbsent(action(client.group(1), method), k -> new TreeSet<>()).add(className);
                        }
                    }
                };
            }
        }, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
    }

    static String action(String service, String method) {
        var operation = method.endsWith("Paginator") ? method.substring(0, method.length() - "Paginator".length())
                : method;
        return service + ":" + operation.substring(0, 1).toUpperCase(Locale.ROOT) + operation.substring(1);
    }
}
