/*
 * Any of bench/'s JMH benchmark classes, two builds timed in one JVM: each build's shaded bench jar loaded by
 * a class loader of its own, the class instantiated in each, its @Param fields set from the command line,
 * its setup methods called, then the benchmark method called on A and B in turn (B first every other
 * time), W warm-up and N timed pairs. Printed: each build's median time and the median of the per-pair
 * ratios B/A. On a shared machine whose speed moves by tens of percent within a minute, the pairs see the
 * same machine where two JMH runs one after the other do not.
 *
 *   $JAVA_HOME/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
 *       -XX:Tier4MinInvocationThreshold=20 -Dvectorgrad.threads=1 bench/scripts/PairedBenchmark.java \
 *       OLD/bench/target/vectorgrad-bench.jar bench/target/vectorgrad-bench.jar \
 *       ConvLayersBenchmark fwdBwd layer=s1_32,batch=64 20 60
 *
 * Arguments: jarA jarB class method params W N, params as name=value[,name=value...] or - (a @Param not
 * given takes the first value its annotation lists). A jar may be
 * followed by @key=value[,key=value...]: system properties set around each of that build's calls (for
 * settings the code reads at every call; one jar against itself then compares two settings. A setting read
 * by a static initialiser is not one of them: the class may be initialised outside the calls).
 */
import java.lang.reflect.*;
import java.net.*;
import java.nio.file.*;
import java.util.*;

public class PairedBenchmark {
    record Build(Object state, Method call, Object[] args, String[] props) {
        void run() throws Exception {
            for (String kv : props) System.setProperty(kv.split("=", 2)[0], kv.split("=", 2)[1]);
            try {
                call.invoke(state, args);
            } finally {
                for (String kv : props) System.clearProperty(kv.split("=", 2)[0]);
            }
        }
    }

    static Build load(String jarAndProps, String cls, String method, String params) throws Exception {
        String[] jp = jarAndProps.split("@", 2);
        String jar = jp[0];
        String[] props = jp.length > 1 ? jp[1].split(",") : new String[0];
        ClassLoader cl = new URLClassLoader(
                new URL[] {Path.of(jar).toUri().toURL()}, ClassLoader.getPlatformClassLoader());
        Class<?> c = Class.forName("vectorgrad.bench." + cls, true, cl);
        Object o = c.getConstructor().newInstance();
        // every @Param field at its first listed value, then the command line's
        Map<String, String> values = new LinkedHashMap<>();
        for (Field f : c.getFields())
            for (var an : f.getAnnotations())
                if (an.annotationType().getSimpleName().equals("Param")) {
                    String[] listed = (String[]) an.annotationType().getMethod("value").invoke(an);
                    if (listed.length > 0) values.put(f.getName(), listed[0]);
                }
        if (!params.equals("-"))
            for (String kv : params.split(",")) {
                String[] p = kv.split("=", 2);
                values.put(p[0], p[1]);
            }
        for (var e : values.entrySet()) {
            Field f = c.getField(e.getKey());
            Class<?> t = f.getType();
            String v = e.getValue();
            f.set(o, t == int.class ? (Object) Integer.parseInt(v) : t == boolean.class ? (Object) Boolean.parseBoolean(v) : v);
        }
        setUp(o);
        Method call = Arrays.stream(c.getMethods())
                .filter(m -> m.getName().equals(method))
                .findFirst()
                .orElseThrow(() -> new NoSuchMethodException(cls + "." + method));
        // a benchmark method's parameters are JMH state objects of their own: made and set up the same way
        Object[] args = new Object[call.getParameterCount()];
        for (int i = 0; i < args.length; i++) {
            args[i] = call.getParameterTypes()[i].getConstructor().newInstance();
            setUp(args[i]);
        }
        return new Build(o, call, args, props);
    }

    /** Calls the object's JMH setup methods that take no arguments. */
    static void setUp(Object o) throws Exception {
        for (Method m : o.getClass().getMethods())
            for (var an : m.getAnnotations())
                if (an.annotationType().getSimpleName().equals("Setup") && m.getParameterCount() == 0) m.invoke(o);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    public static void main(String[] a) throws Exception {
        Build x = load(a[0], a[2], a[3], a[4]), y = load(a[1], a[2], a[3], a[4]);
        int warm = Integer.parseInt(a[5]), n = Integer.parseInt(a[6]);
        double[] tx = new double[n], ty = new double[n], ratio = new double[n];
        for (int i = -warm; i < n; i++) {
            boolean yFirst = (i & 1) == 1;
            double dx = 0, dy = 0;
            for (int side = 0; side < 2; side++) {
                Build b = (side == 0) == yFirst ? y : x;
                long t0 = System.nanoTime();
                b.run();
                double d = (System.nanoTime() - t0) / 1e6;
                if (b == x) dx = d;
                else dy = d;
            }
            if (i >= 0) {
                tx[i] = dx;
                ty[i] = dy;
                ratio[i] = dy / dx;
            }
        }
        double[] r = ratio.clone();
        Arrays.sort(r);
        System.out.printf(
                "%s.%s %s: A %.3f ms, B %.3f ms (medians of %d), B/A median %.3f (quartiles %.3f-%.3f)%n",
                a[2], a[3], a[4], median(tx), median(ty), n, median(ratio), r[n / 4], r[(3 * n) / 4]);
    }
}
