package vectorgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vectorgrad.nn.io.SafeTensors;

/** {@code ./vectorgrad tabular train}: the built-in task, a CSV classification, and bad input. */
class TabularCommandTest {
    @TempDir
    Path dir;

    @Test
    void builtInTaskReportsHowCloseItGotAndSavesTheBestModel() throws IOException {
        Path best = dir.resolve("best.safetensors");
        Cli.Run r = Cli.run(
                "tabular", "train", "--rows", "3000", "--epochs", "30", "--checkpoint", best.toString(), "--json");
        assertEquals(0, r.status(), r.err());
        String json = Cli.lastLine(r.out());
        double val = Cli.field(json, "val_loss"), bestPossible = Cli.field(json, "best_possible");
        assertEquals(0.01, bestPossible, 1e-12);
        // 30 epochs on 2,400 rows: well on the way (the untrained model's loss is about 1)
        assertTrue(val < 0.1, json);
        assertTrue(r.out().contains("this model's is"), r.out());
        assertTrue(SafeTensors.read(best).tensors().containsKey("0.weight"));
        assertEquals(Double.parseDouble(SafeTensors.read(best).metadata().get("val_loss")), val, 1e-6);
    }

    @Test
    void classifiesACsvFileAndNamesBadColumns() throws IOException {
        Path csv = dir.resolve("points.csv");
        StringBuilder sb = new StringBuilder("x,y,noise,label\n");
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        for (int i = 0; i < 600; i++) {
            double x = r.nextDouble(-1, 1), y = r.nextDouble(-1, 1);
            String label = x * x + y * y < 0.3 ? "inner" : x > 0 ? "right" : "left";
            sb.append(x)
                    .append(',')
                    .append(y)
                    .append(',')
                    .append(r.nextDouble())
                    .append(',')
                    .append(label)
                    .append('\n');
        }
        Files.writeString(csv, sb);
        Cli.Run run = Cli.run(
                "tabular",
                "train",
                "--data",
                csv.toString(),
                "--target",
                "label",
                "--features",
                "x,y",
                "--classification",
                "--epochs",
                "60",
                "--checkpoint",
                dir.resolve("c.safetensors").toString(),
                "--json");
        assertEquals(0, run.status(), run.err());
        assertTrue(Cli.field(Cli.lastLine(run.out()), "val_accuracy") > 0.85, run.out());
        assertTrue(run.out().contains("3 classes"), run.out());

        Cli.Run bad = Cli.run("tabular", "train", "--data", csv.toString(), "--target", "colour");
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("colour") && bad.err().contains(csv.toString()), bad.err());
        Cli.Run noTarget = Cli.run("tabular", "train", "--data", csv.toString());
        assertEquals(2, noTarget.status());
        assertTrue(noTarget.err().contains("--target COLUMN is required"), noTarget.err());
    }
}
