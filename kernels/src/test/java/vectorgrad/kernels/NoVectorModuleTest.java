package vectorgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A JVM started without {@code --add-modules jdk.incubator.vector} runs the scalar path: no class the
 * kernels load on the way to deciding "no vectors" may touch the vector module. (Conv once tested its
 * implicit-GEMM and direct paths with methods of classes whose constants come from the vector classes:
 * every convolution then failed with NoClassDefFoundError in such a JVM.)
 */
class NoVectorModuleTest {
    /** Run in a child JVM without the vector module: every convolution path and the packed GEMM's shapes. */
    public static void main(String[] args) {
        Arena arena = Arena.ofAuto();
        Conv.Geometry[] geometries = {
            new Conv.Geometry(2, 32, 8, 8, 64, 3, 3, 1, 1, 1, 1, 1, 1), // lanes / implicit GEMM
            new Conv.Geometry(2, 1, 20, 20, 8, 3, 3, 1, 1, 0, 0, 1, 1), // direct
            new Conv.Geometry(2, 3, 9, 9, 4, 3, 3, 2, 2, 1, 1, 1, 1), // im2col
            new Conv.Geometry(2, 8, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8)
        }; // grouped
        for (Conv.Geometry g : geometries) {
            MemorySegment x = arena.allocate(g.inputSize() * 4),
                    w = arena.allocate(g.weightSize() * 4),
                    o = arena.allocate(g.outputSize() * 4);
            Conv.forward(g, x, w, arena.allocate(g.outC() * 4L), o);
            Conv.backwardInput(g, o, w, x);
            Conv.backwardWeight(g, x, o, w, arena.allocate(g.outC() * 4L));
        }
        Gemm.sgemm(
                false,
                true,
                64,
                128,
                4096,
                1f,
                arena.allocate(64 * 4096 * 4),
                0,
                4096,
                arena.allocate(128 * 4096 * 4),
                0,
                4096,
                0f,
                arena.allocate(64 * 128 * 4),
                0,
                128);
        System.out.println("scalar=" + !Simd.VECTOR_AVAILABLE);
    }

    @Test
    void kernelsRunWithoutTheVectorModule() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process p = new ProcessBuilder(
                        java,
                        "--enable-native-access=ALL-UNNAMED",
                        "-cp",
                        System.getProperty("java.class.path"),
                        NoVectorModuleTest.class.getName())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), "child JVM without the vector module failed:\n" + out);
        assertTrue(out.contains("scalar=true"), out);
    }
}
