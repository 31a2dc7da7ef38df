package vectorgrad.kernels;

/**
 * {@link VectorExp}'s exp for one value, the same bits as each of its lanes, and its constants: in a class
 * without vector fields, so the scalar twins ({@link ColdKernels}) and the scalar paths use it without
 * initialising the vector classes (their loading took 35-45 ms of a first one-image inference).
 */
final class ScalarExp {
    private ScalarExp() {}

    private static final boolean FMA = Config.FMA;
    static final float LOG2E = 1.44269504f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    static final float C2 = 0.5f, C3 = 1.6666666e-1f, C4 = 4.1666668e-2f, C5 = 8.333334e-3f, C6 = 1.3888889e-3f;
    /** 1.5·2^23: adding and subtracting it rounds a float of magnitude below 2^22 to the nearest integer. */
    static final float ROUND = 12582912f;
    /** Below this exp is taken as 0 (under float's normal range); above HIGHEST, +∞. */
    static final float LOWEST = -87.3f, HIGHEST = 88.7f;

    /** {@code 2^k·p(r)} as {@link VectorExp} computes a lane; 0 below {@link #LOWEST}, +∞ above {@link #HIGHEST}, NaN kept. */
    static float exp(float x) {
        if (Float.isNaN(x)) return x;
        if (x < LOWEST) return 0f;
        if (x > HIGHEST) return Float.POSITIVE_INFINITY;
        float k = x * LOG2E + ROUND - ROUND;
        float r = FMA ? Math.fma(k, -LN2_HI, x) : k * -LN2_HI + x;
        r = FMA ? Math.fma(k, -LN2_LO, r) : k * -LN2_LO + r;
        float p = FMA ? Math.fma(r, C6, C5) : r * C6 + C5;
        p = FMA ? Math.fma(p, r, C4) : p * r + C4;
        p = FMA ? Math.fma(p, r, C3) : p * r + C3;
        p = FMA ? Math.fma(p, r, C2) : p * r + C2;
        p = FMA ? Math.fma(p, r, 1f) : p * r + 1f;
        p = FMA ? Math.fma(p, r, 1f) : p * r + 1f;
        return p * Float.intBitsToFloat(((int) k + 127) << 23);
    }
}
