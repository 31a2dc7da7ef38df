// The textbook's example 1 (linear regression by maximum likelihood), typed at the JShell prompt.
class StraightLine extends Module {
    Parameter alpha = new Parameter(Tensor.scalar(1));
    Parameter beta = new Parameter(Tensor.scalar(1));
    Tensor forward(Tensor x) { return alpha.add(beta.mul(x)); }
}
class Y extends Module {
    StraightLine f = new StraightLine();
    Parameter sigma = new Parameter(Tensor.scalar(1));
    Tensor forward(Tensor x, Tensor y) {
        Tensor pred = f.forward(x);
        return sigma.pow(2).mul(2 * Math.PI).log().mul(-0.5).sub(y.sub(pred).pow(2).div(sigma.pow(2).mul(2)));
    }
}
var data = LinearRegression.synthetic(1000, 2, 0.5, 0.3, 0);
var x = Tensor.of(data.x());
var y = Tensor.of(data.y());
var model = new Y();
var optimizer = new Adam(model.parameters());
model.namedParameters().keySet()
// the loop runs on a background thread; the prompt stays free
var run = TrainingRun.start(step -> {
    optimizer.zeroGrad();
    Tensor e = model.forward(x, y).mean().neg();
    e.backward();
    optimizer.step();
    return -e.item();
}).printEvery(Duration.ofSeconds(5), "loglik");
Thread.sleep(300);
var pausedAt = run.pause();
System.out.printf("paused at step %d: alpha=%.4f beta=%.4f sigma=%.4f loglik=%.4f%n", run.steps(), model.f.alpha.item(), model.f.beta.item(), model.sigma.item(), run.last());
optimizer.setLr(0.01);
run.resume();
while (run.steps() < pausedAt + 20000) Thread.sleep(10);
run.stop();
System.out.printf("stopped at step %d: alpha=%.4f beta=%.4f sigma=%.4f loglik=%.4f%n", run.steps(), model.f.alpha.item(), model.f.beta.item(), model.sigma.item(), run.last());
