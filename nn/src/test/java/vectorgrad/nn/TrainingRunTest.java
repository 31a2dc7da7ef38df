package vectorgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.optim.Adam;
import vectorgrad.nn.train.TrainingRun;

class TrainingRunTest {
    final Tensor x, y;

    TrainingRunTest() {
        Generator g = new Generator(9);
        x = Tensor.randn(g, 200);
        y = x.mul(0.5f).add(2f).add(Tensor.randn(g, 200).mul(0.3f));
    }

    TrainingRun.Step step(TextbookModels.Y model, Adam opt) {
        return n -> {
            opt.zeroGrad();
            Tensor e = model.forward(x, y).mean().neg();
            e.backward();
            opt.step();
            return -e.item();
        };
    }

    @Test
    void pausingInspectingAndResumingContinuesTheSameTrajectory() throws Exception {
        TextbookModels.Y a = new TextbookModels.Y();
        TrainingRun whole =
                TrainingRun.start(3000, step(a, new Adam(a.parameters()))).printEvery(Duration.ZERO, "loglik");
        assertEquals(3000, whole.await());
        assertEquals(TrainingRun.State.FINISHED, whole.state());

        TextbookModels.Y b = new TextbookModels.Y();
        TrainingRun run =
                TrainingRun.start(3000, step(b, new Adam(b.parameters()))).printEvery(Duration.ZERO, "loglik");
        int pauses = 0;
        while (run.state() == TrainingRun.State.RUNNING || run.state() == TrainingRun.State.PAUSED) {
            long at = run.pause();
            float alpha = b.f.alpha.item(); // read while paused: stable
            Thread.sleep(2);
            assertEquals(at, run.steps(), "nothing runs while paused");
            assertEquals(alpha, b.f.alpha.item());
            pauses++;
            run.resume();
            Thread.sleep(1);
        }
        assertEquals(TrainingRun.State.FINISHED, run.state());
        assertTrue(pauses > 1);
        assertEquals(a.f.alpha.item(), b.f.alpha.item(), 0f, "paused " + pauses + " times, same bits");
        assertEquals(a.sigma.item(), b.sigma.item(), 0f);
        assertEquals(whole.last(), run.last());
    }

    @Test
    void learningRateChangesWhilePausedAndStopEndsAtAStepBoundary() throws Exception {
        TextbookModels.Y m = new TextbookModels.Y();
        Adam opt = new Adam(m.parameters());
        TrainingRun run = TrainingRun.start(step(m, opt)).printEvery(Duration.ZERO, "loglik");
        while (run.steps() < 100) Thread.sleep(1);
        run.pause();
        opt.setLr(0.01);
        run.resume();
        while (run.steps() < 4000) Thread.sleep(1);
        long steps = run.stop();
        assertEquals(TrainingRun.State.STOPPED, run.state());
        assertTrue(steps > 0);
        assertEquals(steps, run.steps());
        double fitted = m.f.beta.item();
        assertEquals(0.5, fitted, 0.1, "lr 0.01 fits beta quickly");
    }

    @Test
    void controlFromInsideAStepDoesNotDeadlock() throws Exception {
        TrainingRun[] self = new TrainingRun[1];
        TrainingRun run = TrainingRun.start(n -> {
                    while (self[0] == null) Thread.onSpinWait();
                    if (n == 10) self[0].stop(); // a step that decides the run has converged
                    return n;
                })
                .printEvery(Duration.ZERO, "n");
        self[0] = run;
        assertEquals(11, run.await());
        assertEquals(TrainingRun.State.STOPPED, run.state());
        TrainingRun finished = TrainingRun.start(0, n -> n);
        assertEquals(0, finished.await());
        assertEquals(0, finished.pause(), "pausing a finished run returns at once");
    }

    @Test
    void progressIsRateLimitedAndFailuresAreKept() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        TrainingRun run = TrainingRun.start(n -> {
                    if (n == 200) throw new IllegalStateException("step " + n + " failed");
                    Thread.sleep(1); // ~200 ms in all: room for a few reports, not one per step
                    return n;
                })
                .printEvery(Duration.ofMillis(40), "n")
                .printTo(new PrintStream(buf, true));
        run.await();
        double ms = (System.nanoTime() - t0) / 1e6;
        assertEquals(TrainingRun.State.FAILED, run.state());
        assertTrue(run.failure().getMessage().contains("step 200 failed"));
        assertEquals(200, run.steps());
        String out = buf.toString();
        assertTrue(out.contains("[training] stopped by java.lang.IllegalStateException: step 200 failed"), out);
        long reports = out.lines().filter(l -> l.startsWith("[training] step=")).count();
        assertTrue(reports >= 1 && reports <= ms / 40 + 1, reports + " reports in " + ms + " ms: " + out);
    }
}
