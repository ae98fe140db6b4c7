// Nabla's second guide: beyond gradients. Jacobians (tape and transform), Hessians three ways, custom gradients
// (clipping, numerical stability, a gradcheck that catches a wrong one), forward mode, and a small fit with Adam.
// Each section prints what it computes next to the value worked out by hand; the program exits with code 1 if any differs.
using Nabla;
using Nabla.Optimizers;

int failures = 0;
void Show(string what, double value, double expected, double tol = 1e-6)
{
    bool ok = Math.Abs(value - expected) <= tol * (1 + Math.Abs(expected));
    if (!ok) failures++;
    Console.WriteLine($"{(ok ? " " : "!")} {what,-58} {value,12:G6}   (expected {expected:G6})");
}
void Section(string title) => Console.WriteLine($"\n== {title}");

// ------------------------------------------------------------------------------------------------ 1. Jacobians
Section("1. Jacobians: tape.Jacobian, tape.BatchJacobian, Autodiff.Jacobian");
{
    // y = sigmoid(x + delta) for 201 points; the Jacobian with respect to the scalar delta has y's shape.
    var x = TF.Linspace(-10.0, 10.0, 201, DType.Float64);
    var delta = new Variable(0.0);
    Tensor y;
    var tape = new GradientTape();
    using (tape) y = TF.Sigmoid(x + delta);
    var j = tape.Jacobian(y, delta)!;
    Console.WriteLine($"  Jacobian of a [201] target w.r.t. a scalar: shape {Shapes(j)}");
    Show("dy[100]/d delta = sigmoid'(0)", j[100].ToDouble(), 0.25);

    // A matrix-valued function of a matrix: the Jacobian's shape is target.Shape ++ source.Shape.
    var w = new Variable(TF.Constant(new[,] { { 1.0, 2.0 }, { 3.0, 4.0 } }));
    var input = TF.Constant(new[,] { { 1.0, -1.0 } });
    var t2 = new GradientTape(persistent: true);
    Tensor h;
    using (t2) h = TF.Tanh(TF.MatMul(input, w));
    var jw = t2.Jacobian(h, w)!;
    Console.WriteLine($"  Jacobian of tanh(x W) [1, 2] w.r.t. W [2, 2]: shape {Shapes(jw)}");
    // d h[0, k] / d W[i, k] = x[0, i] (1 - h[0, k]^2); zero when the columns differ.
    var h01 = h[0, 1].ToDouble();
    Show("dh[0,1]/dW[1,1] = x1 (1 - h1^2)", jw[0, 1, 1, 1].ToDouble(), -1 * (1 - h01 * h01));
    Show("dh[0,1]/dW[1,0] = 0", jw[0, 1, 1, 0].ToDouble(), 0.0);

    // Per-example Jacobians: row b of the target depends only on row b of the source.
    var batch = TF.Constant(new[,] { { 1.0, 2.0 }, { 3.0, 4.0 } });
    var t3 = new GradientTape();
    t3.Watch(batch);
    var sq = batch * batch;
    t3.Dispose();
    var jb = t3.BatchJacobian(sq, batch)!;
    Console.WriteLine($"  BatchJacobian of x*x for x [2, 2]: shape {Shapes(jb)}, values {jb}");
    Show("jb[1, 1, 1] = 2 x[1, 1]", jb[1, 1, 1].ToDouble(), 8.0);

    // The transform: f runs once; an element-wise f costs one backward pass (the Jacobian is diagonal).
    var ja = Autodiff.Jacobian(v => TF.Exp(v) * 2.0, TF.Constant(new[] { 0.0, 1.0, 2.0 }));
    Show("Autodiff.Jacobian(2 e^x)[2, 2] = 2 e^2", ja[2, 2].ToDouble(), 2 * Math.Exp(2));
    Show("Autodiff.Jacobian(2 e^x)[2, 1] = 0", ja[2, 1].ToDouble(), 0.0);
}

// ------------------------------------------------------------------------------------------------ 2. Hessians
Section("2. Hessians: nested tapes, Autodiff.Hessian, Hessian-vector products");
{
    // f(x) = x0^2 x1 + sin(x1): H = [[2 x1, 2 x0], [2 x0, -sin x1]]
    Tensor F(Tensor x) => x[0] * x[0] * x[1] + TF.Sin(x[1]);
    var x = TF.Constant(new[] { 1.5, 0.5 });

    // (a) nested tapes: the inner gradient is recorded by the outer tape, whose Jacobian is the Hessian
    var outer = new GradientTape();
    Tensor g;
    using (outer)
    {
        outer.Watch(x);
        var inner = new GradientTape();
        Tensor y;
        using (inner) { inner.Watch(x); y = F(x); }
        g = inner.Gradient(y, x)!;
    }
    var hTape = outer.Jacobian(g, x)!;
    Show("nested tapes: H[0, 0] = 2 x1", hTape[0, 0].ToDouble(), 1.0);
    Show("nested tapes: H[0, 1] = 2 x0", hTape[0, 1].ToDouble(), 3.0);

    // (b) the transform
    var hAuto = Autodiff.Hessian(F, x);
    Show("Autodiff.Hessian: H[1, 1] = -sin x1", hAuto[1, 1].ToDouble(), -Math.Sin(0.5));

    // (c) forward-over-reverse: a ForwardAccumulator around a tape gives H v without forming H
    var v = TF.Constant(new[] { 1.0, -2.0 });
    Tensor backward;
    var acc = new ForwardAccumulator(x, v);
    using (acc)
    {
        var tape = new GradientTape();
        Tensor y;
        using (tape) { tape.Watch(x); y = F(x); }
        backward = tape.Gradient(y, x)!;
    }
    var hv = acc.Jvp(backward)!;
    Show("forward-over-reverse (H v)[0] = 2 x1 - 4 x0", hv[0].ToDouble(), 1.0 - 6.0);
    Show("Autodiff.Hvp (H v)[1] = 2 x0 + 2 sin x1", Autodiff.Hvp(F, x, v)[1].ToDouble(), 3.0 + 2 * Math.Sin(0.5));
}

// ------------------------------------------------------------------------------------------------ 3. Custom gradients
Section("3. Custom gradients: clipping, numerical stability, second order, gradcheck");
{
    // An identity whose gradient is clipped to norm 0.5 (TensorFlow's guide): d(v*v)/dv = 4 becomes 2.
    Tensor ClipByNorm(Tensor t, double norm) => t * norm / TF.Maximum(TF.Sqrt(TF.ReduceSum(t * t)), norm);
    var clipGradients = TF.CustomGradient(y => (y, dy => ClipByNorm(dy, 0.5)));
    var vv = new Variable(2.0);
    Tensor output;
    var tape = new GradientTape();
    using (tape) output = clipGradients(vv * vv);
    Show("clipped gradient of v*v at 2", tape.Gradient(output, vv)!.ToDouble(), 2.0);

    // log(1 + e^x) with a stable gradient: in Float32 plain autodiff gives NaN at x = 100 (e^100 overflows: inf/inf).
    var log1pexp = TF.CustomGradient(x =>
    {
        var e = TF.Exp(x);
        return (TF.Log(1.0 + e), up => up * (1.0 - 1.0 / (1.0 + e)));
    });
    Show("d/dx log(1 + e^x) at 100f (custom)", Autodiff.Grad(log1pexp)(TF.Constant(100f)).ToDouble(), 1.0);
    Console.WriteLine($"  the same without the custom gradient: {Autodiff.Grad(x => TF.Log(1.0 + TF.Exp(x)))(TF.Constant(100f)).ToDouble()}");
    // The gradient function is differentiable: the second derivative flows through `e`.
    Show("d2/dx2 log(1 + e^x) at 0 = sigmoid'(0)", Autodiff.Grad(Autodiff.Grad(log1pexp))(TF.Constant(0.0)).ToDouble(), 0.25);

    // A gradcheck: reverse, forward and central differences, element by element (PyTorch's tolerances).
    var good = Autodiff.CheckGradients(log1pexp, TF.Constant(new[] { -1.0, 0.5, 2.0 }), order: 2);
    Console.WriteLine($"  {good}");
    var wrong = TF.CustomGradient(x => (TF.Sin(x), up => up * TF.Sin(x))); // should be cos
    var bad = Autodiff.CheckGradients(wrong, TF.Constant(new[] { 0.3, 1.2 }));
    Console.WriteLine($"  {bad}");
    Show("gradcheck passes the right gradient (1 = yes)", good.Passed ? 1 : 0, 1);
    Show("gradcheck catches the wrong gradient (1 = yes)", bad.Passed ? 0 : 1, 1);
}

// ------------------------------------------------------------------------------------------------ 4. Adam
Section("4. A small fit with Adam: y = 3 x - 2 + noise, 300 steps");
{
    var xs = TF.Linspace(-1.0, 1.0, 50, DType.Float64);
    var noise = TF.RandomNormal(new[] { 50 }, stddev: 0.05, dtype: DType.Float64, seed: 42);
    var ys = 3.0 * xs - 2.0 + noise;
    var a = new Variable(0.0, name: "a");
    var b = new Variable(0.0, name: "b");
    var opt = new Adam(learningRate: 0.1);
    Tensor Loss() => TF.ReduceMean(TF.Square(a * xs + b - ys));
    double first = Loss().ToDouble();
    for (int step = 0; step < 300; step++) opt.Minimize(Loss, new[] { a, b });
    Console.WriteLine($"  loss {first:G4} -> {Loss().ToDouble():G4} after {opt.Iterations} steps; a = {a.ToDouble():F4}, b = {b.ToDouble():F4}");
    Show("a (true slope 3)", a.ToDouble(), 3.0, 0.05);
    Show("b (true intercept -2)", b.ToDouble(), -2.0, 0.05);
}

Console.WriteLine(failures == 0 ? "\nAll values as expected." : $"\n{failures} value(s) differ from the expected ones.");
return failures == 0 ? 0 : 1;

static string Shapes(Tensor t) => "[" + string.Join(", ", t.Shape) + "]";
