using Nabla;
using Nabla.Optimizers;
using Nabla.Optimizers.Schedules;
using Xunit;

namespace Nabla.Examples;

/// <summary>The Keras optimizers beyond SGD and Adam, clipping, weight decay and learning-rate schedules: TensorFlow's
/// documented examples, steps against a plain scalar reference of Keras' formulas (Float64, four steps, gradients that
/// change sign), Float32 kept, and the options' rules and messages.</summary>
public class KerasOptimizerTests
{
    private static readonly double[] W0 = { 1.5, -0.5, 0.25 };

    /// <summary>The gradients of four steps, fixed (independent of w), with a sign change and a zero.</summary>
    private static readonly double[][] Grads =
    {
        new[] { 0.3, -1.2, 0.0 },
        new[] { -0.1, 0.8, 2.0 },
        new[] { 0.05, -0.4, -1.5 },
        new[] { 0.7, 0.0, 0.2 },
    };

    private static double[] Run(Optimizer opt, bool float32 = false)
    {
        var w = float32 ? new Variable(TF.Constant(W0.Select(x => (float)x).ToArray())) : new Variable(TF.Constant(W0));
        foreach (var g in Grads)
        {
            Tensor gt = float32 ? TF.Constant(g.Select(x => (float)x).ToArray()) : TF.Constant(g);
            opt.ApplyGradients(new (Tensor?, Variable)[] { (gt, w) });
        }
        Assert.Equal(float32 ? DType.Float32 : DType.Float64, w.DType);
        return float32 ? w.ToArray<float>().Select(x => (double)x).ToArray() : w.ToArray<double>();
    }

    /// <summary>Runs a per-element reference rule over the same steps: (w, g, state, t from 1) -> new w.</summary>
    private static double[] Reference(int slots, Func<double, double, double[], int, double> rule, double initial = 0.0)
    {
        var w = (double[])W0.Clone();
        var state = W0.Select(_ => Enumerable.Repeat(initial, slots).ToArray()).ToArray();
        for (int t = 1; t <= Grads.Length; t++)
            for (int i = 0; i < w.Length; i++)
                w[i] = rule(w[i], Grads[t - 1][i], state[i], t);
        return w;
    }

    private static void Close(double[] expected, double[] actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    private static void Check(Optimizer opt64, Optimizer opt32, double[] expected)
    {
        Close(expected, Run(opt64), 1e-13);
        Close(expected, Run(opt32, float32: true), 2e-5);
        Assert.Equal(Grads.Length, opt64.Iterations);
    }

    // ------------------------------------------------------------------ TensorFlow's documented examples

    [Fact]
    public void RMSprop_TensorFlowDocExample()
    {
        // tf.keras.optimizers.RMSprop(learning_rate=0.1), var1 = 10, loss = var1^2 / 2: one minimize step gives 9.683772
        var v = new Variable(10.0);
        new RMSprop(learningRate: 0.1).Minimize(() => v * v / 2.0, new[] { v });
        Assert.Equal(9.683772, v.ToDouble(), 6);
    }

    [Fact]
    public void Nadam_TensorFlowDocExample()
    {
        // tf.keras.optimizers.Nadam(learning_rate=0.2), var1 = 10, loss = var1^2 / 2: one step gives 9.8 (to one decimal)
        var v = new Variable(10.0);
        new Nadam(learningRate: 0.2).Minimize(() => v * v / 2.0, new[] { v });
        Assert.Equal("9.8", v.ToDouble().ToString("F1", System.Globalization.CultureInfo.InvariantCulture));
    }

    // ------------------------------------------------------------------ the update rules against a scalar reference

    [Fact]
    public void RMSprop_PlainMomentumAndCentered()
    {
        const double lr = 0.05, rho = 0.8, eps = 1e-7, mom = 0.5;
        Check(new RMSprop(lr, rho: rho), new RMSprop(lr, rho: rho), Reference(1, (w, g, s, t) =>
        {
            s[0] = rho * s[0] + (1 - rho) * g * g;
            return w - lr * g / Math.Sqrt(s[0] + eps);
        }));
        Check(new RMSprop(lr, rho: rho, momentum: mom), new RMSprop(lr, rho: rho, momentum: mom), Reference(2, (w, g, s, t) =>
        {
            s[0] = rho * s[0] + (1 - rho) * g * g;
            s[1] = mom * s[1] + lr * g / Math.Sqrt(s[0] + eps);
            return w - s[1];
        }));
        Check(new RMSprop(lr, rho: rho, centered: true), new RMSprop(lr, rho: rho, centered: true), Reference(2, (w, g, s, t) =>
        {
            s[0] = rho * s[0] + (1 - rho) * g * g;
            s[1] = rho * s[1] + (1 - rho) * g;
            return w - lr * g / Math.Sqrt(s[0] - s[1] * s[1] + eps);
        }));
    }

    [Fact]
    public void Adagrad_AccumulatorFromItsInitialValue()
    {
        const double lr = 0.2, init = 0.3, eps = 1e-6;
        Check(new Adagrad(lr, initialAccumulatorValue: init, epsilon: eps), new Adagrad(lr, initialAccumulatorValue: init, epsilon: eps),
            Reference(1, (w, g, s, t) =>
            {
                s[0] += g * g;
                return w - lr * g / Math.Sqrt(s[0] + eps);
            }, initial: init));
    }

    [Fact]
    public void Adamax_InfinityNorm()
    {
        const double lr = 0.2, b1 = 0.85, b2 = 0.95, eps = 1e-6;
        Check(new Adamax(lr, b1, b2, eps), new Adamax(lr, b1, b2, eps), Reference(2, (w, g, s, t) =>
        {
            s[0] += (g - s[0]) * (1 - b1);
            s[1] = Math.Max(b2 * s[1], Math.Abs(g));
            return w - lr * s[0] / ((1 - Math.Pow(b1, t)) * (s[1] + eps));
        }));
    }

    [Fact]
    public void Nadam_MomentumSchedule()
    {
        const double lr = 0.3, b1 = 0.6, b2 = 0.7, eps = 1e-5;
        double uProduct = 1;
        int lastT = 0;
        Check(new Nadam(lr, b1, b2, eps), new Nadam(lr, b1, b2, eps), Reference(2, (w, g, s, t) =>
        {
            if (t != lastT) { uProduct *= b1 * (1 - 0.5 * Math.Pow(0.96, t)); lastT = t; } // once per step
            double ut = b1 * (1 - 0.5 * Math.Pow(0.96, t)), ut1 = b1 * (1 - 0.5 * Math.Pow(0.96, t + 1));
            s[0] += (g - s[0]) * (1 - b1);
            s[1] += (g * g - s[1]) * (1 - b2);
            double mHat = ut1 * s[0] / (1 - uProduct * ut1) + (1 - ut) * g / (1 - uProduct);
            double vHat = s[1] / (1 - Math.Pow(b2, t));
            return w - mHat * lr / (Math.Sqrt(vHat) + eps);
        }));
    }

    private static Func<double, double, double[], int, double> AdamRule(double lr, double b1, double b2, double eps, bool amsgrad, double decay = 0) =>
        (w, g, s, t) =>
        {
            w -= w * decay * lr;
            double alpha = lr * Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t));
            s[0] += (g - s[0]) * (1 - b1);
            s[1] += (g * g - s[1]) * (1 - b2);
            double v = s[1];
            if (amsgrad) { s[2] = Math.Max(s[2], s[1]); v = s[2]; }
            return w - s[0] * alpha / (Math.Sqrt(v) + eps);
        };

    [Fact]
    public void Adam_Amsgrad_UsesTheRunningMaximumOfV()
    {
        Check(new Adam(0.1, amsgrad: true), new Adam(0.1, amsgrad: true), Reference(3, AdamRule(0.1, 0.9, 0.999, 1e-7, amsgrad: true)));
        // the maximum matters here: v shrinks at the last step for elements whose gradient shrinks
        Assert.NotEqual(Reference(3, AdamRule(0.1, 0.9, 0.999, 1e-7, amsgrad: true)), Reference(3, AdamRule(0.1, 0.9, 0.999, 1e-7, amsgrad: false)));
    }

    [Fact]
    public void AdamW_DecaysBeforeTheAdamStep_WithKerasDefault()
    {
        Assert.Equal(0.004, new AdamW().WeightDecay);
        Check(new AdamW(0.1, weightDecay: 0.3), new AdamW(0.1, weightDecay: 0.3), Reference(2, AdamRule(0.1, 0.9, 0.999, 1e-7, false, decay: 0.3)));
        Check(new AdamW(0.1, amsgrad: true), new AdamW(0.1, amsgrad: true), Reference(3, AdamRule(0.1, 0.9, 0.999, 1e-7, true, decay: 0.004)));
    }

    // ------------------------------------------------------------------ weight decay and clipping

    [Fact]
    public void WeightDecay_IsDecoupled_AndExclusionsHold()
    {
        // w = 2, g = 1, lr = 0.1, wd = 0.5: w - w wd lr = 1.9, then - lr g = 1.8
        var w = new Variable(2.0, name: "kernel");
        var b = new Variable(2.0, name: "dense/bias");
        var opt = new SGD(learningRate: 0.1, weightDecay: 0.5);
        opt.ExcludeFromWeightDecay(variableNames: new[] { "bias" });
        opt.ApplyGradients(new (Tensor?, Variable)[] { (TF.Constant(1.0), w), (TF.Constant(1.0), b) });
        Assert.Equal(1.8, w.ToDouble(), 12);
        Assert.Equal(1.9, b.ToDouble(), 12);
        Assert.Throws<InvalidOperationException>(() => opt.ExcludeFromWeightDecay(new[] { w }));
        // a variable without a gradient is not decayed (Keras decays the variables it updates)
        var c = new Variable(3.0);
        var opt2 = new SGD(learningRate: 0.1, weightDecay: 0.5);
        opt2.ApplyGradients(new (Tensor?, Variable)[] { (TF.Constant(1.0), w), (null, c) });
        Assert.Equal(3.0, c.ToDouble());
    }

    [Fact]
    public void ClipNorm_ClipValue_GlobalClipNorm_AsKeras()
    {
        // SGD with lr 1: the change of w is minus the clipped gradient
        double[] Step(Optimizer opt, params double[][] gs)
        {
            var vs = gs.Select(_ => new Variable(TF.Zeros(new[] { 2 }, DType.Float64))).ToArray();
            opt.ApplyGradients(gs.Select((g, i) => ((Tensor?)TF.Constant(g), vs[i])));
            return vs.SelectMany(v => v.ToArray<double>().Select(x => -x)).ToArray();
        }
        double h = Math.Sqrt(2) / 2;
        Close(new[] { h, h }, Step(new SGD(1.0, clipNorm: 1), new[] { 100.0, 100.0 }), 1e-15);
        Close(new[] { 0.3, 0.4 }, Step(new SGD(1.0, clipNorm: 1), new[] { 0.3, 0.4 }), 1e-15); // below the bound: unchanged
        Close(new[] { 1.0, -1.0 }, Step(new SGD(1.0, clipValue: 1), new[] { 100.0, -100.0 }), 0);
        Close(new[] { 0.5, -0.25 }, Step(new SGD(1.0, clipValue: 1), new[] { 0.5, -0.25 }), 0);
        // global norm of [3, 0] and [0, 4] is 5: both scaled by 1/5
        Close(new[] { 0.6, 0.0, 0.0, 0.8 }, Step(new SGD(1.0, globalClipNorm: 1), new[] { 3.0, 0.0 }, new[] { 0.0, 4.0 }), 1e-15);
        // a non-finite global norm makes every gradient NaN (tf.clip_by_global_norm)
        Assert.All(Step(new SGD(1.0, globalClipNorm: 1), new[] { double.PositiveInfinity, 0.0 }, new[] { 0.0, 4.0 }), x => Assert.True(double.IsNaN(x)));
        // clipValue keeps NaN
        Assert.True(double.IsNaN(Step(new SGD(1.0, clipValue: 1), new[] { double.NaN, 0.0 })[0]));
    }

    [Fact]
    public void ClipOptions_OnlyOne_AndPositive()
    {
        var e = Assert.Throws<ArgumentException>(() => new Adam(clipNorm: 1, clipValue: 1));
        Assert.Contains("only one of clipNorm, clipValue and globalClipNorm", e.Message);
        Assert.StartsWith("Adam:", e.Message);
        Assert.Throws<ArgumentException>(() => new RMSprop(clipNorm: 1, globalClipNorm: 2));
        var neg = Assert.Throws<ArgumentException>(() => new Nadam(clipValue: -1));
        Assert.Contains("clipValue -1", neg.Message);
        Assert.Throws<ArgumentException>(() => new Adagrad(globalClipNorm: double.NaN));
        Assert.Throws<ArgumentException>(() => new AdamW(weightDecay: -0.1));
        Assert.Throws<ArgumentException>(() => new Adamax(beta1: 1.0));
        Assert.Throws<ArgumentException>(() => new RMSprop(rho: -0.1));
        Assert.Throws<ArgumentException>(() => new Adagrad(initialAccumulatorValue: -1));
    }

    // ------------------------------------------------------------------ schedules

    [Fact]
    public void Schedules_KerasFormulas()
    {
        var exp = new ExponentialDecay(0.1, decaySteps: 10, decayRate: 0.5);
        Assert.Equal(0.1, exp.Call(0), 15);
        Assert.Equal(0.1 * Math.Sqrt(0.5), exp.Call(5), 15);
        Assert.Equal(0.1, new ExponentialDecay(0.1, 10, 0.5, staircase: true).Call(9), 15);
        Assert.Equal(0.05, new ExponentialDecay(0.1, 10, 0.5, staircase: true).Call(10), 15);

        var pw = new PiecewiseConstantDecay(new long[] { 10, 20 }, new[] { 1.0, 0.5, 0.1 });
        Assert.Equal(new[] { 1.0, 1.0, 0.5, 0.5, 0.1 }, new long[] { 0, 10, 11, 20, 21 }.Select(pw.Call));

        var cos = new CosineDecay(1.0, decaySteps: 100, alpha: 0.1);
        Assert.Equal(1.0, cos.Call(0), 15);
        Assert.Equal(0.55, cos.Call(50), 15);
        Assert.Equal(0.1, cos.Call(100), 15);
        Assert.Equal(0.1, cos.Call(1000), 15); // capped at decaySteps
        var warm = new CosineDecay(1.0, decaySteps: 100, alpha: 0.1, warmupTarget: 2.0, warmupSteps: 10);
        Assert.Equal(1.5, warm.Call(5), 15);
        Assert.Equal(2.0, warm.Call(10), 15);
        Assert.Equal(1.1, warm.Call(60), 14);
        Assert.Equal(0.2, warm.Call(500), 15);

        var poly = new PolynomialDecay(1.0, decaySteps: 100, endLearningRate: 0.0, power: 2.0);
        Assert.Equal(0.25, poly.Call(50), 15);
        Assert.Equal(0.0, poly.Call(150), 15);
        var cyc = new PolynomialDecay(1.0, decaySteps: 100, endLearningRate: 0.0, power: 2.0, cycle: true);
        Assert.Equal(1.0, cyc.Call(0), 15);
        Assert.Equal(0.0625, cyc.Call(150), 15); // decaySteps becomes 200
        Assert.Equal(0.0001, new PolynomialDecay(1.0, 10).Call(10), 15); // Keras' default end rate

        Assert.Throws<ArgumentException>(() => new PiecewiseConstantDecay(new long[] { 10 }, new[] { 1.0 }));
        Assert.Throws<ArgumentException>(() => new PiecewiseConstantDecay(new long[] { 10, 5 }, new[] { 1.0, 2.0, 3.0 }));
        Assert.Throws<ArgumentException>(() => new CosineDecay(1.0, decaySteps: 0));
        Assert.Throws<ArgumentException>(() => new ExponentialDecay(1.0, decaySteps: 0, decayRate: 0.5));
    }

    [Fact]
    public void Schedule_IsEvaluatedAtIterations_BeforeEachStep()
    {
        // lr 0.1 while iterations <= 1, then 0.01: w -= lr * 1 each step
        var opt = new SGD(new PiecewiseConstantDecay(new long[] { 1 }, new[] { 0.1, 0.01 }));
        var w = new Variable(1.0);
        var rates = new List<double>();
        for (int i = 0; i < 3; i++)
        {
            rates.Add(opt.LearningRate);
            opt.ApplyGradients(new (Tensor?, Variable)[] { (TF.Constant(1.0), w) });
        }
        Assert.Equal(new[] { 0.1, 0.1, 0.01 }, rates);
        Assert.Equal(1 - 0.1 - 0.1 - 0.01, w.ToDouble(), 14);
        Assert.NotNull(opt.Schedule);
        opt.LearningRate = 0.5; // a constant replaces the schedule
        Assert.Null(opt.Schedule);
        Assert.Equal(0.5, opt.LearningRate);
    }

    private sealed class BrokenSchedule : LearningRateSchedule
    {
        public override double Call(long step) => step == 0 ? 0.1 : double.NaN;
    }

    [Fact]
    public void Schedule_GivingNaN_ThrowsBeforeAnyVariableChanges()
    {
        var opt = new Adam(new BrokenSchedule());
        var a = new Variable(1.0);
        var b = new Variable(2.0);
        opt.ApplyGradients(new (Tensor?, Variable)[] { (TF.Constant(1.0), a), (TF.Constant(1.0), b) });
        double a1 = a.ToDouble(), b1 = b.ToDouble();
        var e = Assert.Throws<InvalidOperationException>(() => opt.ApplyGradients(new (Tensor?, Variable)[] { (TF.Constant(1.0), a), (TF.Constant(1.0), b) }));
        Assert.Contains("BrokenSchedule gave NaN at step 1", e.Message);
        Assert.Equal(a1, a.ToDouble());
        Assert.Equal(b1, b.ToDouble());
        Assert.Equal(1, opt.Iterations);
    }

    [Fact]
    public void EveryOptimizer_TrainsAQuadratic()
    {
        foreach (var opt in new Optimizer[] { new RMSprop(0.01), new Adagrad(0.5), new Adamax(0.05), new Nadam(0.05), new AdamW(0.05, weightDecay: 0.0), new Adam(0.05, amsgrad: true) })
        {
            var w = new Variable(TF.Constant(new[] { 3.0, -1.0 }));
            var target = TF.Constant(new[] { 0.5, 2.0 });
            for (int i = 0; i < 600; i++) opt.Minimize(() => TF.ReduceSum(TF.Square(w - target)), new[] { w });
            Close(new[] { 0.5, 2.0 }, w.ToArray<double>(), 2e-2);
        }
    }
}
