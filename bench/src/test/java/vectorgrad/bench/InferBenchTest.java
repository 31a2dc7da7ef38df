package vectorgrad.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class InferBenchTest {
    @Test
    void childrenGetTheVectorModuleWhenThisJvmHasNone() {
        assertEquals(
                List.of("-Xmx1g", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"),
                InferBench.childFlags(List.of("-Xmx1g", "-agentlib:jdwp=transport=dt_socket")));
    }

    @Test
    void childrenKeepThisJvmsFlagsWhenItHasThem() {
        List<String> launcher = List.of(
                "--add-modules=jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-XX:Tier4MinInvocationThreshold=20",
                "-XX:AOTCache=app.aot");
        assertEquals(launcher.subList(0, 3), InferBench.childFlags(launcher));
    }
}
