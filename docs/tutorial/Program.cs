// The TensorFlow 2 tutorial "Automatic differentiation and gradient tape", block by block, in C# with Nabla.
// Each line prints Nabla's result next to the value the tutorial states.
using Nabla;

static void Show(string what, double value, double expected) =>
    Console.WriteLine($"{what,-44} {value,8}   (tutorial: {expected})");

// 1. Gradient tapes: z = (sum x)^2 with x = ones(2, 2); dz/dx = 8 everywhere.
var x = TF.Ones(2, 2);
Tensor? dz_dx;
using (var t = new GradientTape())
{
    t.Watch(x);
    var y = TF.ReduceSum(x);
    var z = TF.Multiply(y, y);
    dz_dx = t.Gradient(z, x);
}
for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++)
        Show($"1. dz/dx[{i}][{j}]", dz_dx![i][j].ToDouble(), 8.0);

// 2. Gradient with respect to the intermediate value y: dz/dy = 2y = 8.
{
    using var t = new GradientTape();
    t.Watch(x);
    var y = TF.ReduceSum(x);
    var z = TF.Multiply(y, y);
    Show("2. dz/dy", t.Gradient(z, y)!.ToDouble(), 8.0);
}

// 3. A persistent tape computes several gradients: dz/dx = 4x^3 = 108, dy/dx = 2x = 6 at x = 3.
{
    var x3 = TF.Constant(3.0);
    var t = new GradientTape(persistent: true);
    Tensor y, z;
    using (t)
    {
        t.Watch(x3);
        y = x3 * x3;
        z = y * y;
    }
    Show("3. dz/dx (4x^3 at x = 3)", t.Gradient(z, x3)!.ToDouble(), 108.0);
    Show("3. dy/dx (2x at x = 3)", t.Gradient(y, x3)!.ToDouble(), 6.0);
}

// 4. Control flow is recorded as it runs.
static Tensor F(Tensor x, int y)
{
    Tensor output = 1.0;
    for (int i = 0; i < y; i++)
        if (i > 1 && i < 5)
            output = TF.Multiply(output, x);
    return output;
}
static Tensor? Grad(Tensor x, int y)
{
    using var t = new GradientTape();
    t.Watch(x);
    var output = F(x, y);
    return t.Gradient(output, x);
}
var x4 = TF.ConvertToTensor(2.0);
Show("4. grad(x, 6)", Grad(x4, 6)!.ToDouble(), 12.0);
Show("4. grad(x, 5)", Grad(x4, 5)!.ToDouble(), 12.0);
Show("4. grad(x, 4)", Grad(x4, 4)!.ToDouble(), 4.0);

// 5. Higher-order gradients: nested tapes; y = x^3 at x = 1.
{
    var v = new Variable(1.0);
    Tensor? dy_dx, d2y_dx2;
    using (var t = new GradientTape())
    {
        var t2 = new GradientTape();
        Tensor y;
        using (t2)
        {
            y = v * v * v;
        }
        // Computed inside t's block, so the gradient computation is itself recorded on t.
        dy_dx = t2.Gradient(y, v);
        d2y_dx2 = t.Gradient(dy_dx!, v);
    }
    Show("5. dy/dx (3x^2 at x = 1)", dy_dx!.ToDouble(), 3.0);
    Show("5. d2y/dx2 (6x at x = 1)", d2y_dx2!.ToDouble(), 6.0);
}
