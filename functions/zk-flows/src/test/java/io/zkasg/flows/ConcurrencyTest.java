package io.zkasg.flows;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.testkit.Delivery;
import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.Interleaver;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Many launches into the same and different AZs, with duplicated, reordered and late events, run through the real
 * handlers with every cloud call an interleaving point. Reproduce a failure with
 * -Dzkasg.seed=N -Dzkasg.interleavings=1.
 */
class ConcurrencyTest {

    private static final long BASE_SEED = Long.getLong("zkasg.seed", 20261125L);
    private static final int RUNS = Integer.getInteger("zkasg.interleavings", 1000);

    @Test
    void launches_shouldNeverShareASlot_completeEveryHookOnce_andLeakNothing_overSeededInterleavings() {
        int switches = 0;
        for (int run = 0; run < RUNS; run++) {
            long seed = BASE_SEED + run;
            try {
                switches += scenario(seed);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("interleaving seed " + seed + " failed (rerun with -Dzkasg.seed=" + seed
                        + " -Dzkasg.interleavings=1): " + e.getMessage(), e);
            }
        }
        assertThat(switches).as("the runs really interleaved").isGreaterThan(RUNS * 20);
    }

    private int scenario(long seed) {
        var random = new SplittableRandom(seed);
        var env = new HashMap<>(CloudDriver.DEMO_ENV);
        env.remove("TERMINATE_HOOK_NAME");
        var journal = new TailBuffer();
        var driver = CloudDriver.demo(seed, new PrintStream(journal, true, java.nio.charset.StandardCharsets.UTF_8),
                env, 2);
        var cloud = driver.cloud();
        var interleaver = new Interleaver(seed);
        cloud.beforeCall(op -> interleaver.yieldPoint());
        cloud.staleReads(random.nextInt(4));
        cloud.latencies(Duration.ofSeconds(random.nextInt(3)), Duration.ofSeconds(random.nextInt(3)));
        cloud.boot(Duration.ofSeconds(random.nextInt(20)), Duration.ofSeconds(random.nextInt(90)));
        cloud.commandOutcome(c -> random.nextInt(10) == 0 ? "Failed" : "Success");

        var launched = new ArrayList<String>();
        int launches = 3 + random.nextInt(6);
        for (int i = 0; i < launches; i++) {
            var az = CloudDriver.DEMO_AZS.get(random.nextInt(CloudDriver.DEMO_AZS.size()));
            launched.add(cloud.launch(az));
        }

        var late = new ArrayList<Delivery>();
        int delivered = 0;
        for (int round = 0; round < 500; round++) {
            var due = new ArrayList<>(cloud.takeDue());
            due.addAll(late);
            late.clear();
            if (due.isEmpty()) {
                var next = cloud.nextDue();
                if (next.isEmpty()) {
                    break;
                }
                driver.clock().set(next.get());
                continue;
            }
            var batch = new ArrayList<Delivery>();
            for (var d : due) {
                batch.add(d);
                int dice = random.nextInt(10);
                if (dice == 0) {
                    batch.add(d); // duplicate delivery, concurrent with the original
                } else if (dice == 1) {
                    late.add(d); // duplicate delivery, after everything else of this round
                }
            }
            for (int i = batch.size() - 1; i > 0; i--) { // reordered
                var j = random.nextInt(i + 1);
                var t = batch.get(i);
                batch.set(i, batch.get(j));
                batch.set(j, t);
            }
            delivered += batch.size();
            assertThat(delivered).as("deliveries stay bounded (duplicates must not multiply)").isLessThan(2000);
            for (var d : batch) {
                interleaver.spawn(CloudDriver.describe(d), () -> driver.deliver(d));
            }
            interleaver.runAll();
            if (late.isEmpty() && cloud.nextDue().isPresent()) {
                driver.clock().advance(Duration.ofSeconds(1 + random.nextInt(5)));
            }
        }
        try {
            assertQuiescentInvariants(cloud, launched);
        } catch (AssertionError e) {
            var tail = driver.transcript().subList(Math.max(0, driver.transcript().size() - 12),
                    driver.transcript().size());
            throw new AssertionError(e.getMessage() + "\nlast deliveries:\n" + String.join("\n", tail)
                    + "\njournal tail:\n" + journal.tail(20), e);
        }
        return interleaver.switches();
    }

    /** Keeps the last journal lines only, so a failing seed can say what happened without storing every run. */
    static final class TailBuffer extends OutputStream {
        private final java.util.ArrayDeque<String> lines = new java.util.ArrayDeque<>();
        private final StringBuilder current = new StringBuilder();

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                lines.addLast(current.toString());
                current.setLength(0);
                if (lines.size() > 200) {
                    lines.removeFirst();
                }
            } else {
                current.append((char) b);
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }

        synchronized String tail(int n) {
            var all = new ArrayList<>(lines);
            return String.join("\n", all.subList(Math.max(0, all.size() - n), all.size()));
        }
    }

    private static void assertQuiescentInvariants(FakeCloud cloud, List<String> launched) {
        assertThat(cloud.pending()).as("every delivery was handled").isEmpty();
        assertThat(cloud.timedOutActions()).as("no hook was left to time out").isEmpty();
        var completions = cloud.completions().stream()
                .collect(Collectors.groupingBy(c -> c.substring(0, c.indexOf('=')), Collectors.counting()));
        for (var id : launched) {
            assertThat(completions.get(id + "/zk-demo-launch")).as("hook of " + id + " completed once").isEqualTo(1L);
        }
        var enis = cloud.eniIds();
        var volumes = cloud.volumeIds();
        var inService = launched.stream().filter(id -> cloud.lifecycleState(id).equals("InService")).toList();
        for (int node = 1; node <= enis.size(); node++) {
            var eniHolder = cloud.eniHolder(enis.get(node - 1));
            var volumeHolder = cloud.volumeHolder(volumes.get(node - 1));
            assertThat(volumeHolder).as("node " + node + ": ENI and volume held together").isEqualTo(eniHolder);
            if (eniHolder.isPresent()) {
                var holder = eniHolder.get();
                assertThat(inService).as("node " + node + " is held by a member in service").contains(holder);
                assertThat(cloud.instanceTags(holder)).containsEntry("zkasg:node-id", Integer.toString(node));
            }
        }
        for (var id : inService) {
            var held = enis.stream().filter(e -> cloud.eniHolder(e).filter(id::equals).isPresent()).count();
            assertThat(held).as(id + " holds exactly one slot").isEqualTo(1);
            var node = cloud.instanceTags(id).get("zkasg:node-id");
            assertThat(cloud.commandsSent()).as(id + " was bootstrapped as node " + node)
                    .anyMatch(c -> c.instanceId().equals(id) && c.parameters().get("NodeId").equals(node));
        }
        // A slot is free only if no launch is left wanting it: every AZ with a free slot has no abandoned launch
        // that lost for want of a slot after the slot was freed is hard to state; the weaker, exact statement:
        // an instance that is not in service holds nothing.
        for (var id : launched) {
            if (!inService.contains(id)) {
                assertThat(enis).noneMatch(e -> cloud.eniHolder(e).filter(id::equals).isPresent());
                assertThat(volumes).noneMatch(v -> cloud.volumeHolder(v).filter(id::equals).isPresent());
            }
        }
    }
}
