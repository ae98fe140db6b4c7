// A first program against the Nabla package: the TensorFlow autodiff tutorial's x = 3, y = x^2, dy/dx = 6, and the
// second derivative through a nested tape. Exits with 1 when a value is off.
using Nabla;

var x = TF.Constant(3.0);
Tensor? dy_dx, d2y_dx2;
using (var outer = new GradientTape())
{
    outer.Watch(x);
    using (var inner = new GradientTape())
    {
        inner.Watch(x);
        var y = x * x;
        dy_dx = inner.Gradient(y, x);
    }
    d2y_dx2 = outer.Gradient(dy_dx!, x);
}

Console.WriteLine($"dy/dx     = {dy_dx}");
Console.WriteLine($"d2y/dx2   = {d2y_dx2}");
Console.WriteLine($"Nabla {typeof(TF).Assembly.GetName().Version}");

if (dy_dx!.ToDouble() != 6.0 || d2y_dx2!.ToDouble() != 2.0)
{
    Console.Error.WriteLine($"wrong: expected dy/dx = 6 and d2y/dx2 = 2, got {dy_dx.ToDouble()} and {d2y_dx2!.ToDouble()}");
    return 1;
}
// The package sets no GC option in the application that references it (Nabla pools large tensor buffers instead).
foreach (var option in new[] { "System.GC.LOHThreshold", "System.GC.RegionSize", "System.GC.Concurrent", "System.GC.Server" })
{
    if (AppContext.GetData(option) is { } value)
    {
        Console.Error.WriteLine($"wrong: the package put {option} = {value} into this application's runtime configuration");
        return 1;
    }
}
// A large result, used and dropped many times: the pool reuses its buffer; the values stay right.
var big = TF.Range(0, 1 << 20) * 1e-6; // Float32
for (int i = 0; i < 50; i++)
{
    var s = TF.ReduceSum(TF.Exp(big)).ToDouble();
    if (Math.Abs(s - 1_853_583.8) > 1e-3 * 1_853_583.8)
    {
        Console.Error.WriteLine($"wrong: sum(exp(x)) over 2^20 elements is {s}");
        return 1;
    }
}
Console.WriteLine("ok");
return 0;
