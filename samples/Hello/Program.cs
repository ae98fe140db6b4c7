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
Console.WriteLine("ok");
return 0;
