package io.zkasg.stack;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * template.yaml as plain maps, with CloudFormation's short tags ({@code !Ref}, {@code !Sub}, {@code !GetAtt}...)
 * turned into their long form, and a resolver that evaluates the intrinsic functions the template uses for one set
 * of parameter values. Attributes that only exist after deployment ({@code !GetAtt}, {@code Ref} of a resource
 * without a name) resolve to a readable placeholder such as {@code <NodeEni1.PrimaryPrivateIpAddress>}.
 */
public final class CfnTemplate {

    private static final Pattern SUB_VARIABLE = Pattern.compile("\\$\\{([^}!][^}]*)}");

    private final Map<String, Object> root;
    private final Map<String, String> parameters;

    private CfnTemplate(Map<String, Object> root, Map<String, String> overrides) {
        this.root = root;
        this.parameters = new LinkedHashMap<>();
        map(root.get("Parameters")).forEach((name, spec) -> {
            var fallback = map(spec).get("Default");
            if (fallback != null) {
                parameters.put(name, String.valueOf(fallback));
            }
        });
        parameters.putAll(overrides);
        parameters.put("AWS::Region", "us-east-1");
        parameters.put("AWS::AccountId", "123456789012");
        parameters.put("AWS::Partition", "aws");
        parameters.put("AWS::StackName", "zk-demo");
    }

    public static CfnTemplate load(Path file, Map<String, String> parameterValues) throws IOException {
        try (Reader reader = Files.newBufferedReader(file)) {
            Map<String, Object> root = new Yaml(new ShortTagConstructor()).load(reader);
            return new CfnTemplate(root, parameterValues);
        }
    }

    /** Finds template.yaml from the module directory Maven runs the tests in (or any directory below the root). */
    public static Path locate() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("template.yaml")) && Files.isDirectory(dir.resolve("events"))) {
                return dir.resolve("template.yaml");
            }
        }
        throw new IllegalStateException("template.yaml not found above " + Path.of("").toAbsolutePath());
    }

    public Map<String, Object> root() {
        return root;
    }

    public Map<String, Object> resources() {
        return map(root.get("Resources"));
    }

    /** Does the resource exist for these parameter values (no {@code Condition}, or one that holds)? */
    public boolean exists(String logicalId) {
        var condition = resource(logicalId).get("Condition");
        return condition == null || condition(String.valueOf(condition));
    }

    public Map<String, Object> resource(String logicalId) {
        var resource = map(resources().get(logicalId));
        if (resource.isEmpty()) {
            throw new IllegalArgumentException("no resource " + logicalId + " in the template");
        }
        return resource;
    }

    /** Logical ids of the resources of one type that exist for these parameter values, in template order. */
    public List<String> resourcesOfType(String type) {
        var ids = new ArrayList<String>();
        resources().forEach((id, body) -> {
            if (type.equals(map(body).get("Type")) && exists(id)) {
                ids.add(id);
            }
        });
        return ids;
    }

    public Map<String, Object> properties(String logicalId) {
        return map(resource(logicalId).get("Properties"));
    }

    /** Evaluates every intrinsic function inside {@code node}. */
    public Object resolve(Object node) {
        if (node instanceof List<?> list) {
            var out = new ArrayList<Object>();
            for (var item : list) {
                var value = resolve(item);
                if (!NO_VALUE.equals(value)) {
                    out.add(value);
                }
            }
            return out;
        }
        if (!(node instanceof Map<?, ?> raw)) {
            return node;
        }
        var m = map(raw);
        if (m.size() == 1) {
            var entry = m.entrySet().iterator().next();
            var arg = entry.getValue();
            switch (entry.getKey()) {
                case "Ref":
                    return ref(String.valueOf(arg));
                case "Fn::Sub":
                    return sub(arg);
                case "Fn::GetAtt": {
                    var parts = list(arg);
                    return "<" + parts.get(0) + "." + parts.get(1) + ">";
                }
                case "Fn::If": {
                    var parts = list(arg);
                    return resolve(condition(String.valueOf(parts.get(0))) ? parts.get(1) : parts.get(2));
                }
                case "Fn::FindInMap": {
                    var parts = list(resolve(arg));
                    return String.valueOf(map(map(map(root.get("Mappings")).get(String.valueOf(parts.get(0))))
                            .get(String.valueOf(parts.get(1)))).get(String.valueOf(parts.get(2))));
                }
                case "Fn::Join": {
                    var parts = list(arg);
                    var items = list(resolve(parts.get(1)));
                    return String.join(String.valueOf(parts.get(0)), items.stream().map(String::valueOf).toList());
                }
                default:
                    break;
            }
        }
        var out = new LinkedHashMap<String, Object>();
        m.forEach((k, v) -> {
            var value = resolve(v);
            if (!NO_VALUE.equals(value)) {
                out.put(k, value);
            }
        });
        return out;
    }

    /**
     * The template with {@code conditions} decided for these parameter values and everything else left as written:
     * resources and outputs under a false one are gone, {@code Fn::If} on them is replaced by its branch, and they
     * leave the Conditions section with every condition only they used. What cfn-lint reads to check one ensemble
     * size alone.
     */
    public Map<String, Object> folded(Set<String> conditions) {
        var out = new LinkedHashMap<String, Object>();
        root.forEach((section, body) -> {
            if (section.equals("Conditions")) {
                var kept = new LinkedHashMap<String, Object>(map(body));
                kept.keySet().removeAll(conditions);
                out.put(section, kept);
            } else if (section.equals("Resources") || section.equals("Outputs")) {
                var kept = new LinkedHashMap<String, Object>();
                map(body).forEach((id, entry) -> {
                    var on = map(entry).get("Condition");
                    if (on == null || !conditions.contains(String.valueOf(on))) {
                        kept.put(id, fold(entry, conditions));
                    } else if (condition(String.valueOf(on))) {
                        var copy = new LinkedHashMap<String, Object>(map(fold(entry, conditions)));
                        copy.remove("Condition");
                        kept.put(id, copy);
                    }
                });
                out.put(section, kept);
            } else {
                out.put(section, fold(body, conditions));
            }
        });
        var kept = map(out.get("Conditions"));
        for (int before = -1; before != kept.size(); ) {
            before = kept.size();
            var used = new java.util.HashSet<String>();
            usedConditions(out, used);
            kept.keySet().retainAll(used);
        }
        return out;
    }

    /** Names used as a resource's or output's Condition, as the first argument of Fn::If, or by another condition. */
    private static void usedConditions(Object node, Set<String> out) {
        if (node instanceof List<?> items) {
            items.forEach(item -> usedConditions(item, out));
        } else if (node instanceof Map<?, ?> raw) {
            map(raw).forEach((k, v) -> {
                if (k.equals("Condition") && v instanceof String name) {
                    out.add(name);
                } else if (k.equals("Fn::If")) {
                    out.add(String.valueOf(list(v).get(0)));
                }
                usedConditions(v, out);
            });
        }
    }

    private Object fold(Object node, Set<String> conditions) {
        if (node instanceof List<?> items) {
            var out = new ArrayList<Object>();
            for (var item : items) {
                var value = fold(item, conditions);
                if (value != FOLDED_AWAY) {
                    out.add(value);
                }
            }
            return out;
        }
        if (!(node instanceof Map<?, ?> raw)) {
            return node;
        }
        var m = map(raw);
        if (m.size() == 1 && m.containsKey("Fn::If")) {
            var parts = list(m.get("Fn::If"));
            var name = String.valueOf(parts.get(0));
            if (conditions.contains(name)) {
                var branch = condition(name) ? parts.get(1) : parts.get(2);
                return NO_VALUE_REF.equals(branch) ? FOLDED_AWAY : fold(branch, conditions);
            }
        }
        var out = new LinkedHashMap<String, Object>();
        m.forEach((k, v) -> {
            var value = fold(v, conditions);
            if (value != FOLDED_AWAY) {
                out.put(k, value);
            }
        });
        return out;
    }

    private static final Map<String, Object> NO_VALUE_REF = Map.of("Ref", "AWS::NoValue");
    /** What a folded {@code Fn::If} that chose {@code AWS::NoValue} leaves: nothing, not even its key. */
    private static final Object FOLDED_AWAY = new Object();

    public String resolveString(Object node) {
        return String.valueOf(resolve(node));
    }

    /** Evaluates a named condition of the Conditions section. */
    public boolean condition(String name) {
        var body = map(root.get("Conditions")).get(name);
        if (body == null) {
            throw new IllegalArgumentException("no condition " + name);
        }
        return evaluate(body);
    }

    /** Evaluates a condition-like expression (a Rules assertion: Fn::Equals, Fn::Not, Fn::And, Fn::Or). */
    public boolean holds(Object expression) {
        return evaluate(expression);
    }

    private boolean evaluate(Object node) {
        var m = map(node);
        var entry = m.entrySet().iterator().next();
        var args = entry.getValue();
        return switch (entry.getKey()) {
            case "Fn::Equals" -> {
                var parts = list(args);
                yield resolveString(parts.get(0)).equals(resolveString(parts.get(1)));
            }
            case "Fn::Not" -> !evaluate(list(args).get(0));
            case "Fn::And" -> list(args).stream().allMatch(this::evaluate);
            case "Fn::Or" -> list(args).stream().anyMatch(this::evaluate);
            case "Condition" -> condition(String.valueOf(args));
            default -> throw new IllegalArgumentException("unsupported condition function " + entry.getKey());
        };
    }

    private static final String NO_VALUE = "<AWS::NoValue>";

    private Object ref(String name) {
        if (name.equals("AWS::NoValue")) {
            return NO_VALUE;
        }
        if (parameters.containsKey(name)) {
            return parameters.get(name);
        }
        var resource = map(resources().get(name));
        if (resource.isEmpty()) {
            throw new IllegalArgumentException("Ref to unknown name " + name);
        }
        // Resources whose Ref is the name the template gives them (SSM documents, the group, parameters).
        var explicitName = switch (String.valueOf(resource.get("Type"))) {
            case "AWS::SSM::Document", "AWS::SSM::Parameter" -> map(resource.get("Properties")).get("Name");
            case "AWS::AutoScaling::AutoScalingGroup" -> map(resource.get("Properties")).get("AutoScalingGroupName");
            default -> null;
        };
        return explicitName != null ? resolveString(explicitName) : "<" + name + ">";
    }

    private String sub(Object arg) {
        String text;
        Map<String, Object> variables = Map.of();
        if (arg instanceof List<?> parts) {
            text = String.valueOf(parts.get(0));
            variables = map(parts.get(1));
        } else {
            text = String.valueOf(arg);
        }
        var out = new StringBuilder();
        Matcher m = SUB_VARIABLE.matcher(text);
        while (m.find()) {
            var name = m.group(1);
            String value;
            if (variables.containsKey(name)) {
                value = resolveString(variables.get(name));
            } else if (name.contains(".") && !parameters.containsKey(name)) {
                value = "<" + name + ">";
            } else {
                value = String.valueOf(ref(name));
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString().replace("${!", "${");
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @SuppressWarnings("unchecked")
    public static List<Object> list(Object o) {
        if (o instanceof List<?> l) {
            return (List<Object>) l;
        }
        return o == null ? List.of() : List.of(o);
    }

    /** SnakeYAML constructor that turns {@code !Name value} into {@code {"Fn::Name": value}} ({@code Ref} stays). */
    private static final class ShortTagConstructor extends SafeConstructor {

        ShortTagConstructor() {
            super(new LoaderOptions());
            this.yamlMultiConstructors.put("!", new ShortTag());
        }

        private final class ShortTag extends AbstractConstruct {
            @Override
            public Object construct(Node node) {
                var tag = node.getTag().getValue().substring(1);
                Object value;
                if (node instanceof ScalarNode scalar) {
                    value = constructScalar(scalar);
                } else if (node instanceof SequenceNode sequence) {
                    value = constructSequence(sequence);
                } else {
                    value = constructMapping((MappingNode) node);
                }
                var out = new LinkedHashMap<String, Object>();
                switch (tag) {
                    case "Ref", "Condition" -> out.put(tag, value);
                    case "GetAtt" -> out.put("Fn::GetAtt",
                            value instanceof String s ? List.of(s.substring(0, s.indexOf('.')),
                                    s.substring(s.indexOf('.') + 1)) : value);
                    default -> out.put("Fn::" + tag, value);
                }
                return out;
            }
        }
    }
}
