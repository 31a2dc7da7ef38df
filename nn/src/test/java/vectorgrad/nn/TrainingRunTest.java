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
        TrainingRun whole = TrainingRun.start(3000, step(a, new Adam(a.parameters()))).printEvery(Duration.ZERO, "loglik");
        assertEquals(3000, whole.await());
        assertEquals(TrainingRun.State.FINISHED, whole.state());

        TextbookModels.Y b = new TextbookModels.Y();
        TrainingRun run = TrainingRun.start(3000, step(b, new Adam(b.parameters()))).printEvery(Duration.ZERO, "loglik");
        int pauses = 0;
        while (run.state() != TrainingRun.State.FINISHED) {
            long at = run.pause();
            float alpha = b.f.alpha.item(); // read while paused: stable
            Thread.sleep(2);
            assertEquals(at, run.steps(), "nothing runs while paused");
            assertEquals(alpha, b.f.alpha.item());
            pauses++;
            run.resume();
            Thread.sleep(1);
        }
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
        Thread.sleep(50);
        run.pause();
        opt.setLr(0.01);
        run.resume();
        Thread.sleep(50);
        long steps = run.stop();
        assertEquals(TrainingRun.State.STOPPED, run.state());
        assertTrue(steps > 0);
        assertEquals(steps, run.steps());
        double fitted = m.f.beta.item();
        assertEquals(0.5, fitted, 0.1, "lr 0.01 fits beta quickly");
    }

    @Test
    void progressIsRateLimitedAndFailuresAreKept() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        TrainingRun run = TrainingRun.start(n -> {
            if (n == 2000) throw new IllegalStateException("step " + n + " failed");
            return n;
        }).printEvery(Duration.ofMillis(20), "n").printTo(new PrintStream(buf, true));
        run.await();
        assertEquals(TrainingRun.State.FAILED, run.state());
        assertTrue(run.failure().getMessage().contains("step 2000 failed"));
        assertEquals(2000, run.steps());
        String out = buf.toString();
        assertTrue(out.contains("[training] stopped by java.lang.IllegalStateException: step 2000 failed"), out);
        assertTrue(out.lines().count() < 50, "at most one line per 20 ms: " + out);
    }
}
