package io.zkasg.local.e2e;

import io.zkasg.stack.CfnTemplate;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Command documents of template.yaml, read from the template itself (intrinsic functions resolved for one
 * {@code ClusterName}), and what SSM makes of a SendCommand before the agent runs it: the parameters are checked
 * against the document (an undeclared name, a missing one without default, or a value outside its
 * {@code allowedPattern} fails as SendCommand's {@code InvalidParameters} would, before anything runs), defaults
 * fill the rest, and each {@code {{Name}}} in the step inputs is replaced by the value, textually.
 */
public final class SsmDocuments {

    /** One {@code aws:runShellScript} step, parameters substituted. */
    public record Step(String name, List<String> runCommand, Duration timeout) {
    }

    /** What SSM answers with {@code InvalidParameters} / {@code InvalidDocument} at SendCommand. */
    public static final class Rejected extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        Rejected(String message) {
            super(message);
        }
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([A-Za-z0-9_.-]+)\\s*}}");
    /** The agent's bounds for timeoutSeconds; outside them (or unreadable) it uses 3600 s. */
    private static final int MIN_TIMEOUT_S = 5;
    private static final int MAX_TIMEOUT_S = 28_800;
    private static final int DEFAULT_TIMEOUT_S = 3600;

    private final Map<String, Map<String, Object>> byName = new LinkedHashMap<>();

    private SsmDocuments(CfnTemplate template) {
        for (var id : template.resourcesOfType("AWS::SSM::Document")) {
            var properties = template.properties(id);
            if (!"Command".equals(properties.get("DocumentType"))) {
                continue;
            }
            var name = template.resolveString(properties.get("Name"));
            byName.put(name, CfnTemplate.map(template.resolve(properties.get("Content"))));
        }
    }

    /** The template's Command documents, named as a stack with this {@code ClusterName} names them. */
    public static SsmDocuments fromTemplate(Path templateFile, String clusterName) throws IOException {
        return new SsmDocuments(CfnTemplate.load(templateFile, Map.of("ClusterName", clusterName)));
    }

    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /** The steps the agent runs for {@code SendCommand(documentName, parameters)} on a Linux instance. */
    public List<Step> render(String documentName, Map<String, String> parameters) {
        var content = byName.get(documentName);
        if (content == null) {
            throw new Rejected("InvalidDocument: no Command document " + documentName + " in the template");
        }
        var values = values(documentName, CfnTemplate.map(content.get("parameters")), parameters);
        var steps = new ArrayList<Step>();
        for (var raw : CfnTemplate.list(content.get("mainSteps"))) {
            var step = CfnTemplate.map(raw);
            if (!"aws:runShellScript".equals(step.get("action"))) {
                throw new IllegalStateException(documentName + ": the local cloud runs only aws:runShellScript, not "
                        + step.get("action"));
            }
            var precondition = CfnTemplate.map(step.get("precondition"));
            if (!precondition.isEmpty() && !List.of("platformType", "Linux")
                    .equals(CfnTemplate.list(precondition.get("StringEquals")))) {
                continue; // a step for another platform is skipped, as the agent does
            }
            var inputs = CfnTemplate.map(step.get("inputs"));
            var lines = new ArrayList<String>();
            for (var line : CfnTemplate.list(inputs.get("runCommand"))) {
                lines.add(substitute(String.valueOf(line), values));
            }
            var timeout = inputs.containsKey("timeoutSeconds")
                    ? timeoutSeconds(substitute(String.valueOf(inputs.get("timeoutSeconds")), values))
                    : DEFAULT_TIMEOUT_S;
            steps.add(new Step(String.valueOf(step.get("name")), List.copyOf(lines), Duration.ofSeconds(timeout)));
        }
        return steps;
    }

    private static Map<String, String> values(String document, Map<String, Object> declared,
                                              Map<String, String> given) {
        for (var name : given.keySet()) {
            if (!declared.containsKey(name)) {
                throw new Rejected("InvalidParameters: " + document + " has no parameter " + name);
            }
        }
        var values = new LinkedHashMap<String, String>();
        declared.forEach((name, rawSpec) -> {
            var spec = CfnTemplate.map(rawSpec);
            var value = given.containsKey(name) ? given.get(name)
                    : spec.containsKey("default") ? String.valueOf(spec.get("default")) : null;
            if (value == null) {
                throw new Rejected("InvalidParameters: " + document + " needs parameter " + name);
            }
            var pattern = spec.get("allowedPattern");
            if (pattern != null && !Pattern.compile(String.valueOf(pattern)).matcher(value).find()) {
                throw new Rejected("InvalidParameters: " + document + " parameter " + name + " does not match "
                        + pattern);
            }
            values.put(name, value);
        });
        return values;
    }

    private static String substitute(String text, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(text);
        var out = new StringBuilder();
        while (m.find()) {
            var value = values.get(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(value != null ? value : m.group()));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static int timeoutSeconds(String text) {
        try {
            var n = (int) Double.parseDouble(text.strip());
            return n < MIN_TIMEOUT_S || n > MAX_TIMEOUT_S ? DEFAULT_TIMEOUT_S : n;
        } catch (NumberFormatException e) {
            return DEFAULT_TIMEOUT_S;
        }
    }
}
