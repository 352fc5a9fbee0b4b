package io.zkasg.local.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.local.e2e.ReplacementPicture.Event;
import io.zkasg.local.e2e.ReplacementPicture.Recording;
import io.zkasg.local.e2e.ReplacementPicture.Sample;
import io.zkasg.local.e2e.ReplacementPicture.State;
import io.zkasg.local.e2e.ReplacementPicture.Write;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

class ReplacementPictureTest {

    @Test
    void svg_shouldBeWellFormed_andShowLatencyLeaderStatesAndEventsOnOneAxis() throws Exception {
        var writes = new ArrayList<Write>();
        for (long t = 0; t < 10_000; t += 50) {
            writes.add(new Write(1_000_000 + t, t == 3_000 ? 5_300 : 4));
        }
        var samples = List.of(
                new Sample(1_000_000, Map.of(1, State.SERVING, 2, State.SERVING, 3, State.SERVING), 3),
                new Sample(1_003_000, Map.of(1, State.SERVING, 2, State.SERVING, 3, State.STOPPED), 0),
                new Sample(1_008_000, Map.of(1, State.SERVING, 2, State.SERVING, 3, State.REPLACED), 2),
                new Sample(1_009_000, Map.of(1, State.SERVING, 2, State.SERVING, 3, State.REJOINED), 2));
        var events = List.of(new Event(1_003_000, "host of i-3 dies <now>"),
                new Event(1_006_000, "launch i-9 -> Completed CONTINUE"));

        var svg = ReplacementPicture.svg(new Recording("crash of node 3 (the leader)", 1_000_000, 1_010_000, writes,
                samples, events));

        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertThat(doc.getDocumentElement().getTagName()).isEqualTo("svg");
        var texts = new ArrayList<String>();
        var nodes = doc.getElementsByTagName("text");
        for (int i = 0; i < nodes.getLength(); i++) {
            texts.add(nodes.item(i).getTextContent());
        }
        assertThat(texts).contains("crash of node 3 (the leader)", "leader", "node 1", "node 2", "node 3", "node 2",
                "serving", "leaving", "stopped", "replaced", "rejoined", "5300")
                .anyMatch(t -> t.contains("host of i-3 dies <now>"))
                .anyMatch(t -> t.contains("+6.00 s  launch i-9 -> Completed CONTINUE"));
        // The 5.3 s write is the tallest bar, drawn in red, 3 s into the 10 s axis.
        var bars = doc.getElementsByTagName("rect");
        Element tallest = null;
        for (int i = 0; i < bars.getLength(); i++) {
            var bar = (Element) bars.item(i);
            if (bar.getAttribute("width").equals("1.5") && (tallest == null || Double.parseDouble(
                    bar.getAttribute("height")) > Double.parseDouble(tallest.getAttribute("height")))) {
                tallest = bar;
            }
        }
        assertThat(tallest).isNotNull();
        assertThat(tallest.getAttribute("fill")).isEqualTo("#c62828");
        assertThat(Double.parseDouble(tallest.getAttribute("x"))).isCloseTo(110 + 830 * 0.3, within());
    }

    @Test
    void state_shouldTellServingLeavingStoppedReplacedAndRejoined() {
        assertThat(ReplacementPicture.state(true, "InService", "leader")).isEqualTo(State.SERVING);
        assertThat(ReplacementPicture.state(true, "Terminating:Wait", "follower")).isEqualTo(State.LEAVING);
        assertThat(ReplacementPicture.state(true, "InService", "down")).isEqualTo(State.STOPPED);
        assertThat(ReplacementPicture.state(true, "", "down")).isEqualTo(State.STOPPED);
        assertThat(ReplacementPicture.state(false, "Pending:Wait", "down")).isEqualTo(State.REPLACED);
        assertThat(ReplacementPicture.state(false, "InService", "follower")).isEqualTo(State.REJOINED);
    }

    private static org.assertj.core.data.Offset<Double> within() {
        return org.assertj.core.data.Offset.offset(1.0);
    }
}
