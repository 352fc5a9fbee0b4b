package io.zkasg.stack;

import static io.zkasg.stack.CfnTemplate.map;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One pattern per kind of value that travels from the functions through the SSM document to the instance scripts:
 * the Java side ({@code CommandParameters}, {@code Settings}), the template ({@code allowedPattern} of the documents,
 * {@code AllowedPattern} of the stack parameters) and the scripts ({@code ZKASG_RE_*} in scripts/lib/common.sh)
 * must say the same, or a value passes CloudFormation and Java and then every bootstrap fails. Checked twice: the
 * pattern texts, and the verdicts of the scripts' own validators (bash) against Java's on sample values.
 */
class PatternsAgreeTest {

    private static final Pattern SCRIPT_PATTERN = Pattern.compile("(?m)^readonly ZKASG_RE_([A-Z0-9_]+)='([^']*)'$");

    /** Kind: script variable suffix, Java class and field, the script's validator, the template's places. */
    private record Kind(String script, String javaClass, String javaField, String validator, List<String> places) {
    }

    private static final List<Kind> KINDS = List.of(
            new Kind("NODE_ID", "CommandParameters", "NODE_ID", "is_node_id",
                    List.of("BootstrapDocument.NodeId")),
            new Kind("IPV4", "CommandParameters", "IPV4", "is_ipv4",
                    List.of("BootstrapDocument.EniIp", "?NodeIp1", "?NodeIp2", "?NodeIp3")),
            new Kind("MAC", "CommandParameters", "MAC", "is_mac", List.of("BootstrapDocument.EniMac")),
            new Kind("VOLUME_ID", "CommandParameters", "VOLUME_ID", "is_volume_id",
                    List.of("BootstrapDocument.VolumeId", "StopDocument.VolumeId")),
            new Kind("DEVICE", "Settings", "DEVICE", "is_device", List.of("BootstrapDocument.Device")),
            new Kind("PORT", "CommandParameters", "PORT", "is_port", List.of("BootstrapDocument.ClientPort",
                    "BootstrapDocument.QuorumPort", "BootstrapDocument.ElectionPort")),
            new Kind("SHA512", "Settings", "SHA512", "is_sha512",
                    List.of("?BootstrapDocument.ZkSha512", "ZooKeeperSha512")),
            new Kind("HTTPS_URL", "Settings", "HTTPS_URL", "is_url",
                    List.of("?BootstrapDocument.ZkDistUrl", "?ZooKeeperDistUrl")),
            new Kind("FENCE", "CommandParameters", "FENCE", "is_fence", List.of("StopDocument.Fence")));

    /** Values each validator is asked about: good ones, near misses and hostile ones. */
    private static final Map<String, List<String>> SAMPLES = Map.of(
            "NODE_ID", List.of("1", "9", "10", "99", "100", "199", "200", "249", "250", "255", "0", "256", "01",
                    "999", "1000", "-1", "1 ", "1;id"),
            "IPV4", List.of("10.0.1.10", "0.0.0.0", "255.255.255.255", "192.168.100.9", "10.0.1.256", "10.0.1",
                    "010.0.1.10", "10.0.1.10.1", "10.0.1.1a", "10.0.1.10\nid"),
            "MAC", List.of("02:00:00:00:00:01", "0a:1b:2c:3d:4e:5f", "0A:1B:2C:3D:4E:5F", "02:00:00:00:00",
                    "02-00-00-00-00-01", "02:00:00:00:00:01:02"),
            "VOLUME_ID", List.of("vol-0123456789abcdef0", "vol-0123abcd", "vol-0123456789", "vol-0123",
                    "vol-0123456789ABCDEF0", "snap-0123456789abcdef0", "vol-0123456789abcdef01"),
            "DEVICE", List.of("/dev/sdf", "/dev/sdp", "/dev/xvdf", "/dev/xvdp", "/dev/sda", "/dev/sdq",
                    "/dev/loop0", "/dev/nvme1n1", "/dev/../etc", "/dev/sdf1"),
            "PORT", List.of("1", "80", "2181", "9999", "10000", "59999", "60000", "64999", "65000", "65499",
                    "65500", "65529", "65530", "65535", "0", "65536", "70000", "99999", "02181", "21 81"),
            "SHA512", List.of("a".repeat(128), "0123456789abcdef".repeat(8), "A".repeat(128), "a".repeat(127),
                    "a".repeat(129), "g".repeat(128)),
            "FENCE", List.of("1", "9", "10", "42", "123456789012345678", "999999999999999999", "0", "01", "-1",
                    "1234567890123456789", "9223372036854775808", "1 ", "1;id", "1e3", "0x10"),
            "HTTPS_URL", List.of("https://archive.apache.org/dist/zookeeper/zookeeper-3.9.3/"
                            + "apache-zookeeper-3.9.3-bin.tar.gz",
                    "https://b.s3.us-east-1.amazonaws.com/zk.tgz?X-Amz-Credential=a%2Fb&X-Amz-Signature=0f,1",
                    "https://user@mirror.example:8443/zk.tgz#frag", "https://m.example/~z/a+b=c",
                    "http://archive.apache.org/zk.tgz", "ftp://m.example/zk.tgz", "https://",
                    "https://m.example/a b", "https://m.example/'x'", "https://m.example/\"x\"",
                    "https://m.example/$(id)", "https://m.example/`id`", "https://m.example/a;id",
                    "https://m.example/a|id", "https://m.example/a\nid", "https://m.example/" + "a".repeat(502),
                    "https://m.example/" + "a".repeat(503)));

    private static CfnTemplate template;
    private static Map<String, String> scriptPatterns;

    @BeforeAll
    static void load() throws IOException {
        var file = CfnTemplate.locate();
        template = CfnTemplate.load(file, Map.of());
        scriptPatterns = new TreeMap<>();
        Matcher m = SCRIPT_PATTERN.matcher(Files.readString(common()));
        while (m.find()) {
            scriptPatterns.put(m.group(1), m.group(2));
        }
    }

    @Test
    void everyKind_shouldHaveOnePatternInJavaTheTemplateAndTheScripts() throws Exception {
        assertThat(scriptPatterns.keySet()).as("ZKASG_RE_* patterns of scripts/lib/common.sh, each checked here")
                .containsExactlyInAnyOrderElementsOf(KINDS.stream().map(Kind::script).toList());
        for (var kind : KINDS) {
            var java = javaPattern(kind).pattern();
            assertThat(scriptPatterns.get(kind.script())).as("ZKASG_RE_" + kind.script() + " vs Java "
                    + kind.javaClass() + "." + kind.javaField()).isEqualTo(java);
            for (var place : kind.places()) {
                var optional = place.startsWith("?");
                var where = optional ? place.substring(1) : place;
                var expected = (optional ? "^$|^" : "^") + java + "$";
                assertThat(templatePattern(where)).as("template " + where + " vs Java " + kind.javaField())
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void scriptValidators_shouldGiveJavasVerdictOnEverySample() throws Exception {
        var values = new ArrayList<String>();
        var validators = new ArrayList<String>();
        var expected = new ArrayList<String>();
        for (var kind : KINDS) {
            var java = javaPattern(kind);
            for (var value : SAMPLES.get(kind.script())) {
                validators.add(kind.validator());
                values.add(value);
                expected.add(kind.validator() + " " + printable(value) + " -> " + java.matcher(value).matches());
            }
        }
        var verdicts = bashVerdicts(validators, values);
        var actual = new ArrayList<String>();
        for (var i = 0; i < values.size(); i++) {
            actual.add(validators.get(i) + " " + printable(values.get(i)) + " -> " + verdicts.get(i));
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(expected).as("the mirror URL with a query string is accepted")
                .contains("is_url https://b.s3.us-east-1.amazonaws.com/zk.tgz?X-Amz-Credential=a%2Fb"
                        + "&X-Amz-Signature=0f,1 -> true");
    }

    /** Runs the scripts' validators in one bash: the values go in as arguments, NUL-free, one verdict a line. */
    private static List<Boolean> bashVerdicts(List<String> validators, List<String> values) throws Exception {
        var command = new ArrayList<>(List.of("bash", "-c",
                "set -u; source \"$1\"; shift; while (($# > 1)); do if \"$1\" \"$2\"; then echo true; "
                        + "else echo false; fi; shift 2; done", "verdicts", common().toString()));
        for (var i = 0; i < values.size(); i++) {
            command.add(validators.get(i));
            command.add(values.get(i));
        }
        var process = new ProcessBuilder(command).redirectErrorStream(true).start();
        var out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(out).isZero();
        return out.lines().map(Boolean::parseBoolean).toList();
    }

    private static String templatePattern(String where) {
        var dot = where.indexOf('.');
        if (dot < 0) {
            return String.valueOf(map(map(template.root().get("Parameters")).get(where)).get("AllowedPattern"));
        }
        var parameters = map(map(template.properties(where.substring(0, dot)).get("Content")).get("parameters"));
        return String.valueOf(map(parameters.get(where.substring(dot + 1))).get("allowedPattern"));
    }

    private static Pattern javaPattern(Kind kind) throws ReflectiveOperationException {
        var field = Class.forName("io.zkasg.core." + kind.javaClass()).getDeclaredField(kind.javaField());
        field.setAccessible(true);
        return (Pattern) field.get(null);
    }

    private static Path common() {
        return CfnTemplate.locate().resolveSibling("scripts").resolve("lib").resolve("common.sh");
    }

    private static String printable(String value) {
        return value.replace("\n", "\\n");
    }

    @Test
    void staleFenceExitCode_shouldBeTheSameInTheScriptsAndJava() throws Exception {
        var exit = Pattern.compile("EXIT_STALE=([0-9]+)").matcher(Files.readString(common()));
        assertThat(exit.find()).as("EXIT_STALE in scripts/lib/common.sh").isTrue();
        assertThat(Integer.parseInt(exit.group(1))).isEqualTo(
                Class.forName("io.zkasg.core.TerminateUseCase").getField("EXIT_STALE_FENCE").getInt(null));
    }
}
