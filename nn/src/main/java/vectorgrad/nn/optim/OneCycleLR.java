package vectorgrad.nn.optim;

/**
 * The 1cycle policy, as {@code OneCycleLR(optimizer, max_lr, total_steps, pct_start=0.3,
 * anneal_strategy='cos', cycle_momentum=True, base_momentum=0.85, max_momentum=0.95, div_factor=25,
 * final_div_factor=1e4, three_phase=False)}: the learning rate rises from {@code max_lr/div_factor} to
 * {@code max_lr} over the first {@code pct_start} of the steps, then falls to
 * {@code max_lr/div_factor/final_div_factor}; the momentum (SGD's momentum or Adam's beta1) moves the
 * opposite way between {@code max_momentum} and {@code base_momentum}. With {@code three_phase} the fall
 * first returns to the initial rate, then anneals to the minimum. Step it once per batch; construction sets
 * the initial values, and a step past {@code total_steps} is an error, as in PyTorch. With parameter groups,
 * one {@code maxLr} applies to every group, or {@code maxLrs} gives each its own.
 */
public final class OneCycleLR extends LRScheduler {
    private final int totalSteps;
    private final boolean cosine, cycleMomentum;
    private final double[][] phases; // {endStep, startLr, endLr, startMomentum, endMomentum}, lr for max_lr = 1
    private final double[] maxLrs; // per group

    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps) {
        this(optimizer, maxLr, totalSteps, 0.3, "cos", true, 0.85, 0.95, 25, 1e4, false);
    }

    public OneCycleLR(
            Optimizer optimizer,
            double maxLr,
            int totalSteps,
            double pctStart,
            String annealStrategy,
            boolean cycleMomentum,
            double baseMomentum,
            double maxMomentum,
            double divFactor,
            double finalDivFactor,
            boolean threePhase) {
        this(
                optimizer,
                perGroup(optimizer, maxLr),
                totalSteps,
                pctStart,
                annealStrategy,
                cycleMomentum,
                baseMomentum,
                maxMomentum,
                divFactor,
                finalDivFactor,
                threePhase);
    }

    /** {@code maxLrs}: one per parameter group. */
    public OneCycleLR(
            Optimizer optimizer,
            double[] maxLrs,
            int totalSteps,
            double pctStart,
            String annealStrategy,
            boolean cycleMomentum,
            double baseMomentum,
            double maxMomentum,
            double divFactor,
            double finalDivFactor,
            boolean threePhase) {
        super(optimizer);
        if (maxLrs.length != optimizer.paramGroups().size()) {
            throw new IllegalArgumentException(
                    "expected " + optimizer.paramGroups().size() + " values for max_lr, got " + maxLrs.length);
        }
        this.maxLrs = maxLrs.clone();
        if (totalSteps <= 0)
            throw new IllegalArgumentException("Expected positive integer total_steps, but got " + totalSteps);
        if (!(pctStart >= 0 && pctStart <= 1))
            throw new IllegalArgumentException("Expected float between 0 and 1 pct_start, but got " + pctStart);
        if (!"cos".equals(annealStrategy) && !"linear".equals(annealStrategy))
            throw new IllegalArgumentException(
                    "anneal_strategy must by one of 'cos' or 'linear', instead got " + annealStrategy);
        this.totalSteps = totalSteps;
        this.cosine = "cos".equals(annealStrategy);
        this.cycleMomentum = cycleMomentum;
        double maxLr = 1, initial = maxLr / divFactor, min = initial / finalDivFactor;
        phases = threePhase
                ? new double[][] {
                    {pctStart * totalSteps - 1, initial, maxLr, maxMomentum, baseMomentum},
                    {2 * pctStart * totalSteps - 2, maxLr, initial, baseMomentum, maxMomentum},
                    {totalSteps - 1, initial, min, maxMomentum, maxMomentum}
                }
                : new double[][] {
                    {pctStart * totalSteps - 1, initial, maxLr, maxMomentum, baseMomentum},
                    {totalSteps - 1, maxLr, min, baseMomentum, maxMomentum}
                };
        if (cycleMomentum) optimizer.cycledMomentum(); // fails early for an optimizer without momentum
        apply(0);
    }

    private static double[] perGroup(Optimizer optimizer, double maxLr) {
        double[] m = new double[optimizer.paramGroups().size()];
        java.util.Arrays.fill(m, maxLr);
        return m;
    }

    private double anneal(double start, double end, double pct) {
        return cosine ? end + (start - end) / 2 * (Math.cos(Math.PI * pct) + 1) : (end - start) * pct + start;
    }

    /** {lr for max_lr = 1, momentum} at step {@code step}. */
    private double[] at(int step) {
        if (step > totalSteps)
            throw new IllegalStateException(
                    "Tried to step " + step + " times. The specified number of total steps is " + totalSteps);
        double start = 0;
        for (int i = 0; i < phases.length; i++) {
            double end = phases[i][0];
            if (step <= end || i == phases.length - 1) {
                double pct = (step - start) / (end - start);
                return new double[] {anneal(phases[i][1], phases[i][2], pct), anneal(phases[i][3], phases[i][4], pct)};
            }
            start = end;
        }
        throw new AssertionError();
    }

    @Override
    void apply(int step) {
        double[] v = at(step);
        java.util.List<ParamGroup> groups = optimizer.paramGroups();
        for (int i = 0; i < maxLrs.length; i++) groups.get(i).scheduleLr(maxLrs[i] * v[0]);
        if (cycleMomentum) optimizer.setCycledMomentum(v[1]);
    }

    @Override
    protected double lrAt(int epoch, int group) {
        return maxLrs[group] * at(epoch)[0];
    }

    /** The momentum (or beta1) the last step set. */
    public double getLastMomentum() {
        return optimizer.cycledMomentum();
    }
}
