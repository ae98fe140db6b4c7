// Nabla with newer FSharp.Core and System.Numerics.Tensors than it was built against: checks that the newer
// assemblies are the ones loaded, then runs gradients through the F# core, a SIMD element-wise kernel
// (System.Numerics.Tensors) and a matrix product (MathNet.Numerics). Exits with 1 when anything is off.
using Nabla;

int failures = 0;
void Check(string what, double value, double expected)
{
    bool ok = Math.Abs(value - expected) <= 1e-12 * Math.Max(1.0, Math.Abs(expected));
    Console.WriteLine($"{what,-28} {value,22:R}   expected {expected:R}{(ok ? "" : "   WRONG")}");
    if (!ok) failures++;
}

void CheckVersion(string assembly, Version loaded, int major)
{
    Console.WriteLine($"{assembly,-28} {loaded}");
    if (loaded.Major < major)
    {
        Console.Error.WriteLine($"wrong: {assembly} {loaded} loaded, expected {major}.x or newer");
        failures++;
    }
}

CheckVersion("FSharp.Core", typeof(Microsoft.FSharp.Core.Unit).Assembly.GetName().Version!, 11);
CheckVersion("System.Numerics.Tensors", typeof(System.Numerics.Tensors.TensorPrimitives).Assembly.GetName().Version!, 11);

// y = x^2 at x = 3: dy/dx = 6.
var x = TF.Constant(3.0);
using (var tape = new GradientTape())
{
    tape.Watch(x);
    var y = x * x;
    Check("d(x^2)/dx at 3", tape.Gradient(y, x)!.ToDouble(), 6.0);
}

// sum(exp(v)) over a vector long enough for the SIMD kernels: the gradient is exp(v).
var values = Enumerable.Range(0, 37).Select(i => i / 10.0 - 1.5).ToArray();
var v = TF.Constant(values);
using (var tape = new GradientTape())
{
    tape.Watch(v);
    var s = TF.ReduceSum(TF.Exp(v));
    var g = tape.Gradient(s, v)!.ToArray<double>();
    Check("d(sum exp v)/dv[0]", g[0], Math.Exp(values[0]));
    Check("d(sum exp v)/dv[36]", g[36], Math.Exp(values[36]));
}

// f(A) = sum(A B) with B = ones(3, 2): df/dA = ones(2, 2) B^T = 2 everywhere.
var a = TF.Constant(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
var b = TF.Ones(new[] { 3, 2 }, DType.Float64);
using (var tape = new GradientTape())
{
    tape.Watch(a);
    var f = TF.ReduceSum(TF.MatMul(a, b));
    var g = tape.Gradient(f, a)!.ToArray<double>();
    Check("d(sum A B)/dA[1, 2]", g[5], 2.0);
}

Console.WriteLine(failures == 0 ? "ok" : $"{failures} check(s) failed");
return failures == 0 ? 0 : 1;
