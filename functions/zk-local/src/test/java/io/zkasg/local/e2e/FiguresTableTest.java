package io.zkasg.local.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class FiguresTableTest {

    @Test
    void table_shouldHaveOneAlignedRowPerLaunchAndReplacement_thenClientAndMemory() {
        var launch = new E2eScenario.Launch("i-1", 1, 0.4, 0.8, 0.1);
        var crash = new E2eScenario.Replacement("crash", 2, "i-2", new E2eScenario.Launch("i-4", 2, 0.3, 0.6, 0.1),
                "DIFF", 1, 0, 786432, 12, true, 45, 2000, List.of(), true, true);
        var result = new E2eScenario.Result(List.of(launch), List.of(crash), 560 * 1024, 2000, 120, 0, true, "ok",
                true, null, null, List.of(), null);
        var bytes = new ByteArrayOutputStream();

        FiguresTable.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), result);

        var lines = bytes.toString(StandardCharsets.UTF_8).strip().lines().toList();
        assertThat(lines.get(0)).isEqualTo("== figures table");
        assertThat(lines).hasSize(7);
        assertThat(lines.subList(1, lines.size())).allSatisfy(l -> assertThat(l).hasSize(lines.get(1).length())
                .startsWith("|").endsWith("|"));
        assertThat(lines.get(3)).contains("| launch ", "| 1.30 s ");
        assertThat(lines.get(4)).contains("| crash ", "| 2 ", "| 1.00 s ", "| DIFF ", "| 0.75 MiB ", "| 12 ",
                "| 45 ms ");
        assertThat(lines.get(5)).contains("2000 + 120 znodes", "connect string unchanged: yes");
        assertThat(lines.get(6)).contains("560 MiB");
    }

    @Test
    void table_shouldHaveARowPerTwoLeaversStep_andOneForTheLostResume() {
        var pair = new E2eScenario.TwoLeavers("same moment", 0, 1, 3, 2.58, 23.72, 25.00, 314, 9000, List.of());
        var lost = new E2eScenario.LostResume(1, 3, "resume i-3 attempt 2", true, 16.2, 0, 1.57, "CONTINUE", 180,
                "2.1 -> 3.4");
        var result = new E2eScenario.Result(List.of(), List.of(), 560 * 1024, 2000, 120, 0, true, "ok", true, null,
                null, List.of(pair), lost);
        var bytes = new ByteArrayOutputStream();

        FiguresTable.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), result);

        var lines = bytes.toString(StandardCharsets.UTF_8).strip().lines().toList();
        assertThat(lines).hasSize(7);
        assertThat(lines.get(3)).contains("| two leavers, same moment ", "| 1, 3 ",
                "| second stop 1.28 s after first replacement serves ", "| 314 ms ");
        assertThat(lines.get(4)).contains("| lost resume, terminate waits ", "| 3 ",
                "| re-driven 16.20 s after the loss ",
                "| stops while below majority: 0, ended by CONTINUE ", "| 180 ms ");
    }
}
