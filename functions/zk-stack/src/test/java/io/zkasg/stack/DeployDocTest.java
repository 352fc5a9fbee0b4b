package io.zkasg.stack;

import static io.zkasg.stack.CfnTemplate.map;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/deploy.md describes the stack that template.yaml creates: its parameter table names every parameter once,
 * with the template's default ("empty" for an empty default, a blank cell for a required parameter), the functions
 * and managed policies it lists are the template's, and every VPC endpoint the stack can create is in its network
 * section.
 */
class DeployDocTest {

    private static final Pattern ROW = Pattern.compile("^\\| `([A-Za-z0-9]+)` \\|([^|]*)\\|");

    @Test
    void parameterTable_shouldNameEveryParameterWithItsDefault() throws Exception {
        var template = CfnTemplate.load(CfnTemplate.locate(), Map.of());
        var expected = new LinkedHashMap<String, String>();
        map(template.root().get("Parameters")).forEach((name, spec) -> {
            var fallback = map(spec).get("Default");
            expected.put(name, fallback == null ? "" : String.valueOf(fallback).isEmpty() ? "empty"
                    : "`" + fallback + "`");
        });

        var documented = new LinkedHashMap<String, String>();
        var duplicates = new ArrayList<String>();
        for (var line : section("## Parameters").split("\n")) {
            var m = ROW.matcher(line);
            if (m.find() && documented.put(m.group(1), m.group(2).trim()) != null) {
                duplicates.add(m.group(1));
            }
        }
        assertThat(duplicates).as("parameters documented twice").isEmpty();
        assertThat(documented).as("docs/deploy.md parameter table (name -> default)")
                .containsExactlyInAnyOrderEntriesOf(expected);
    }

    @Test
    void createdResources_shouldListEveryFunctionAndManagedPolicy() throws Exception {
        var template = CfnTemplate.load(CfnTemplate.locate(), Map.of());
        var created = section("## What gets created");
        var missing = new TreeSet<String>();
        var functions = 0;
        for (var entry : template.resources().entrySet()) {
            var type = String.valueOf(map(entry.getValue()).get("Type"));
            if (type.equals("AWS::Serverless::Function")) {
                functions++;
            }
            if ((type.equals("AWS::Serverless::Function") || type.equals("AWS::IAM::ManagedPolicy"))
                    && !created.contains("`" + entry.getKey() + "`")) {
                missing.add(entry.getKey());
            }
        }
        assertThat(missing).as("functions and managed policies missing from 'What gets created'").isEmpty();
        assertThat(created).contains("**Functions** (" + words(functions) + ",");
    }

    @Test
    void networkSection_shouldNameEveryEndpointTheStackCanCreate() throws Exception {
        var template = CfnTemplate.load(CfnTemplate.locate(), Map.of());
        var network = section("## Network");
        var missing = new TreeSet<String>();
        template.resources().forEach((id, body) -> {
            if ("AWS::EC2::VPCEndpoint".equals(map(body).get("Type"))) {
                var service = template.resolveString(map(map(body).get("Properties")).get("ServiceName"));
                var name = service.substring(service.lastIndexOf('.') + 1);
                var gateway = "Gateway".equals(map(map(body).get("Properties")).get("VpcEndpointType"));
                var named = gateway ? network.contains(name.equals("s3") ? "S3" : "DynamoDB")
                        : network.contains("`." + name + "`") || network.contains("com.amazonaws.<region>." + name);
                if (!named) {
                    missing.add(id + " (" + name + ")");
                }
            }
        });
        assertThat(missing).as("endpoints not named in docs/deploy.md, Network").isEmpty();
    }

    private static String section(String heading) throws Exception {
        var doc = Files.readString(CfnTemplate.locate().resolveSibling("docs").resolve("deploy.md"));
        var start = doc.indexOf("\n" + heading + "\n");
        assertThat(start).as(heading + " in docs/deploy.md").isNotNegative();
        var end = doc.indexOf("\n## ", start + heading.length() + 2);
        return doc.substring(start, end < 0 ? doc.length() : end);
    }

    private static String words(int n) {
        return switch (n) {
            case 4 -> "four";
            case 5 -> "five";
            case 6 -> "six";
            case 7 -> "seven";
            default -> Integer.toString(n);
        };
    }
}
