using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Nabla;
using Nabla.Optimizers;

namespace Nabla.Soak;

/// <summary>
/// The soak test: trains a small MLP (8 -> 32 -> 32 -> 1, tanh) on synthetic data for many steps, each with a
/// fresh <see cref="GradientTape"/> and an <see cref="Adam"/> step, keeps every step's loss tensor in a list (as a
/// user plotting a loss curve would), drops a never-disposed tape every 1,000 steps, and prints managed memory (after
/// a full blocking collection) and RSS as it goes. With checking on (the default) it exits with code 1 when memory
/// grew beyond what the kept losses account for (see <see cref="Criterion"/>).
/// </summary>
/// <remarks>
/// Arguments: <c>--steps N</c> (default 100000), <c>--every K</c> (a reading every K steps; default 10000, or steps / 10
/// when fewer), <c>--leak-every L</c> (a dropped, never-disposed tape every L steps; default 1000; 0: none, to tell the
/// two causes of growth apart), <c>--no-history</c> (losses not kept: a diagnosis, not the soak), <c>--no-check</c>
/// (print only).
/// </remarks>
internal static class Program
{
    /// <summary>Steps before the baseline reading: warm-up (JIT, optimizer slots, GC regions) is over by then.</summary>
    private const int BaselineStep = 2_000;

    /// <summary>By default a never-disposed tape is created and dropped every this many steps.</summary>
    private const int DefaultLeakEvery = 1_000;

    private static int Main(string[] args)
    {
        int steps = 100_000;
        int? every = null;
        bool check = true;
        int leakEvery = DefaultLeakEvery;
        bool keep = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--steps": steps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--every": every = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--leak-every": leakEvery = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--no-history": keep = false; break;
                case "--no-check": check = false; break;
                default:
                    Console.Error.WriteLine($"soak: unknown argument '{args[i]}' (expected --steps N, --every K, --leak-every L, --no-history, --no-check)");
                    return 2;
            }
        }
        if (steps <= BaselineStep)
        {
            Console.Error.WriteLine($"soak: --steps must exceed the baseline step {BaselineStep}");
            return 2;
        }
        int interval = every ?? Math.Min(10_000, steps / 10);

        var model = new Mlp(seed: 7);
        var (x, y) = Data(seed: 11);
        var optimizer = new Adam(learningRate: 0.005);
        // Sized up front: the list's backing array is allocated before the baseline and never grows, so what the list
        // adds per step is exactly one kept loss.
        var history = new List<Tensor>(steps);

        double perLoss = BytesPerPlainLoss(model, x, y);
        Console.WriteLine($"soak: {steps} steps, MLP 8-32-32-1 on {x.Shape[0]} examples, Adam, " +
                          (leakEvery > 0 ? $"a leaked tape every {leakEvery} steps; " : "no leaked tape; ") +
                          $"provider {Backend.Provider}, threads {Backend.Threads}");
        Console.WriteLine($"soak: a loss tensor computed with no tape keeps {perLoss:F0} bytes (handle and value)");
        Console.WriteLine($"{"step",8} {"loss",12} {"managed MB",12} {"RSS MB",10} {"seconds",9}");

        var clock = Stopwatch.StartNew();
        Reading? baseline = null;
        Reading last = default;
        for (int step = 1; step <= steps; step++)
        {
            if (leakEvery > 0 && step % leakEvery == 0) LeakTape(model);
            Tensor loss;
            var tape = new GradientTape();
            using (tape)
                loss = model.Loss(x, y);
            var grads = tape.Gradient(loss, model.Variables);
            optimizer.ApplyGradients(grads.Zip(model.Variables));
            if (keep) history.Add(loss);

            if (step == BaselineStep || step % interval == 0 || step == steps)
            {
                last = Reading.Take(step, clock.Elapsed.TotalSeconds);
                if (step == BaselineStep) baseline = last;
                Console.WriteLine($"{step,8} {loss.ToDouble(),12:G5} {last.ManagedMB,12:F2} {last.RssMB,10:F1} {last.Seconds,9:F1}");
            }
        }

        var criterion = new Criterion(baseline!.Value, last, perLoss);
        Console.WriteLine(criterion.Describe());
        GC.KeepAlive(history);
        return !check || criterion.Passed ? 0 : 1;
    }

    /// <summary>Creates a tape (which starts recording on this thread) and drops it without disposing it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LeakTape(Mlp model)
    {
        var leaked = new GradientTape();
        leaked.Watch(model.Variables[0]);
    }

    /// <summary>Managed bytes kept per loss tensor computed with no tape recording: what one kept loss should cost
    /// once a result no longer pins its recorded graph (measured, so the criterion follows the library's handle size).</summary>
    private static double BytesPerPlainLoss(Mlp model, Tensor x, Tensor y)
    {
        const int n = 20_000;
        var kept = new List<Tensor>(n);
        long before = Reading.ManagedBytes();
        for (int i = 0; i < n; i++) kept.Add(model.Loss(x, y));
        long after = Reading.ManagedBytes();
        GC.KeepAlive(kept);
        return Math.Max(0, after - before) / (double)n;
    }

    /// <summary>Inputs x ~ N(0, 1) of shape [256, 8] and targets y = sin(x0 + x1) + 0.5 x2 x3 - 0.25 x4 of shape [256, 1].</summary>
    private static (Tensor X, Tensor Y) Data(int seed)
    {
        var x = TF.RandomNormal(new[] { 256, 8 }, seed: seed);
        Tensor Col(int j) => TF.Slice(x, new[] { 0, j }, new[] { -1, 1 });
        var y = TF.Sin(Col(0) + Col(1)) + 0.5f * Col(2) * Col(3) - 0.25f * Col(4);
        return (x, y);
    }

    /// <summary>The model: three dense layers built from <see cref="Variable"/>s.</summary>
    private sealed class Mlp
    {
        private readonly Variable w1, b1, w2, b2, w3, b3;

        internal Mlp(int seed)
        {
            w1 = new Variable(TF.RandomNormal(new[] { 8, 32 }, stddev: 0.35, seed: seed), name: "w1");
            b1 = new Variable(TF.Zeros(32), name: "b1");
            w2 = new Variable(TF.RandomNormal(new[] { 32, 32 }, stddev: 0.18, seed: seed + 1), name: "w2");
            b2 = new Variable(TF.Zeros(32), name: "b2");
            w3 = new Variable(TF.RandomNormal(new[] { 32, 1 }, stddev: 0.18, seed: seed + 2), name: "w3");
            b3 = new Variable(TF.Zeros(1), name: "b3");
            Variables = new[] { w1, b1, w2, b2, w3, b3 };
        }

        /// <summary>The trainable variables, in a fixed order.</summary>
        internal IReadOnlyList<Variable> Variables { get; }

        /// <summary>Mean squared error of the model's predictions.</summary>
        internal Tensor Loss(Tensor x, Tensor y)
        {
            var h1 = TF.Tanh(TF.BiasAdd(TF.MatMul(x, w1), b1));
            var h2 = TF.Tanh(TF.BiasAdd(TF.MatMul(h1, w2), b2));
            var prediction = TF.BiasAdd(TF.MatMul(h2, w3), b3);
            return TF.ReduceMean(TF.Square(prediction - y));
        }
    }

    /// <summary>Memory at one step: managed bytes after a full blocking collection, and the process's resident set.</summary>
    private readonly record struct Reading(int Step, double Seconds, long Managed, long Rss)
    {
        internal double ManagedMB => Managed / 1048576.0;
        internal double RssMB => Rss / 1048576.0;

        internal static Reading Take(int step, double seconds) => new(step, seconds, ManagedBytes(), RssBytes());

        /// <summary><c>GC.GetTotalMemory(false)</c> after a full, blocking, compacting collection and the finalizers it queued.
        /// The second collection is aggressive (it also returns the free parts of the heap to the OS), so that the RSS read
        /// next measures what is live rather than the collector's momentary budget (without it RSS swung between 140 and
        /// 390 MB from one reading to the next in a 10^5-step run whose managed memory grew by 11 MB).</summary>
        internal static long ManagedBytes()
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            return GC.GetTotalMemory(false);
        }

        /// <summary>VmRSS from /proc/self/status, else <see cref="Environment.WorkingSet"/>.</summary>
        private static long RssBytes()
        {
            try
            {
                foreach (var line in File.ReadLines("/proc/self/status"))
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            return Environment.WorkingSet;
        }
    }

    /// <summary>
    /// The pass criterion, between the baseline reading (step 2,000) and the last one. Managed memory may grow by at most
    /// twice the measured size of a plain loss tensor per loss kept since the baseline, plus 4 MB (collector and JIT
    /// noise); RSS by at most that plus 64 MB (native allocations, GC regions kept by the runtime). A library whose kept
    /// results pin their recorded graph, or whose dropped tapes keep recording, fails both by a wide margin; so does one
    /// whose kept result holds anything else per step (measured before the fixes: a plain value made inside a used tape
    /// keeps about 1.2 KB, the tape's scope and the tape itself, through the handle's record of its scopes).
    /// </summary>
    private readonly record struct Criterion(Reading Baseline, Reading Last, double BytesPerLoss)
    {
        private const double SlackBytes = 4 * 1048576.0;
        private const double RssSlackBytes = 64 * 1048576.0;

        private int Kept => Last.Step - Baseline.Step;
        private double ManagedAllowed => 2 * BytesPerLoss * Kept + SlackBytes;
        private double RssAllowed => ManagedAllowed + RssSlackBytes;
        private long ManagedGrowth => Last.Managed - Baseline.Managed;
        private long RssGrowth => Last.Rss - Baseline.Rss;

        internal bool Passed => ManagedGrowth <= ManagedAllowed && RssGrowth <= RssAllowed;

        internal string Describe() =>
            $"soak: from step {Baseline.Step} to {Last.Step}: managed {Signed(ManagedGrowth / 1048576.0, "F2")} MB " +
            $"({ManagedGrowth / (double)Kept:F0} bytes per step; allowed {ManagedAllowed / 1048576.0:F2} MB = 2 x {BytesPerLoss:F0} bytes x {Kept} kept losses + 4 MB), " +
            $"RSS {Signed(RssGrowth / 1048576.0, "F1")} MB (allowed {RssAllowed / 1048576.0:F1} MB): {(Passed ? "PASS" : "FAIL")}";

        private static string Signed(double value, string format) =>
            (value >= 0 ? "+" : "") + value.ToString(format, CultureInfo.InvariantCulture);
    }
}
