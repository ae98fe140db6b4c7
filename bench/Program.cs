// Nabla against TorchSharp-cpu 0.107.0 (libtorch 2.10) and a direct CBLAS call, in one process run.
// `dotnet fsi build.fsx bench` runs it (BenchmarkDotNet, in-process); `-- --quick` runs every workload
// once without timing (CI). See README.md beside this file.
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.FSharp.Core;
using TorchSharp;
using static TorchSharp.torch;
using NTensor = Nabla.Tensor;
using CTensor = Nabla.Core.Tensor;

namespace Nabla.Bench;

/// <summary>Threads for both sides: Nabla's backend and libtorch's intra-op pool.</summary>
public abstract class BenchBase
{
    [Params(1, 2)] public int Threads;

    protected void ApplyThreads()
    {
        Backend.Threads = Threads;
        torch.set_num_threads(Threads);
    }
}

/// <summary>y = y * x + 1, 10^4 steps, f64 scalars, forward + gradient (2 x 10^4 recorded ops).</summary>
[MemoryDiagnoser]
public class Chain : BenchBase
{
    public const int Steps = 10_000;
    private FSharpFunc<CTensor, CTensor> chain = null!;
    private CTensor coreX = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        var one = Core.Combinators.constant(Core.Storage.scalar(Core.DType.Float64, 1.0));
        chain = FuncConvert.FromFunc<CTensor, CTensor>(x =>
        {
            var y = x;
            for (int i = 0; i < Steps; i++) y = Core.Combinators.add(Core.Elementwise.mul(y, x), one);
            return y;
        });
        coreX = Core.Combinators.constant(Core.Storage.scalar(Core.DType.Float64, 0.5));
    }

    [Benchmark(Description = "Nabla tape")]
    public double NablaTape()
    {
        var x = TF.Constant(0.5);
        using var tape = new GradientTape();
        tape.Watch(x);
        NTensor y = x;
        for (int i = 0; i < Steps; i++) y = y * x + 1.0;
        return tape.Gradient(y, x)!.ToDouble();
    }

    [Benchmark(Description = "Nabla core grad")]
    public double NablaCoreGrad() => Core.Storage.getDouble(Core.Derivatives.grad(chain, coreX).Raw, 0);

    [Benchmark(Baseline = true, Description = "TorchSharp autograd")]
    public double Torch()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(0.5, dtype: ScalarType.Float64, requires_grad: true);
        var y = x;
        for (int i = 0; i < Steps; i++) y = y * x + 1.0;
        y.backward();
        return x.grad!.item<double>();
    }
}

/// <summary>C = A B, n x n, incl. allocating the output.</summary>
public class MatMul : BenchBase
{
    [Params(256, 1024, 2048)] public int N;
    [Params("f32", "f64")] public string DT = "f64";

    private NTensor a = null!, b = null!;
    private torch.Tensor ta = null!, tb = null!;
    private float[] fa = null!, fb = null!;
    private double[] da = null!, db = null!;
    private unsafe delegate* unmanaged[Cdecl]<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void> dgemm;
    private unsafe delegate* unmanaged[Cdecl]<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> sgemm;

    [GlobalSetup]
    public unsafe void Setup()
    {
        ApplyThreads();
        var rng = new Random(1);
        da = Enumerable.Range(0, N * N).Select(_ => rng.NextDouble() - 0.5).ToArray();
        db = Enumerable.Range(0, N * N).Select(_ => rng.NextDouble() - 0.5).ToArray();
        fa = da.Select(v => (float)v).ToArray();
        fb = db.Select(v => (float)v).ToArray();
        var dtype = DT == "f32" ? DType.Float32 : DType.Float64;
        a = TF.Cast(TF.Reshape(TF.Constant(da), new[] { N, N }), dtype);
        b = TF.Cast(TF.Reshape(TF.Constant(db), new[] { N, N }), dtype);
        var sdt = DT == "f32" ? ScalarType.Float32 : ScalarType.Float64;
        ta = torch.tensor(da, new long[] { N, N }).to_type(sdt);
        tb = torch.tensor(db, new long[] { N, N }).to_type(sdt);
        // The direct call goes to the very library Nabla's provider loaded (same handle, same threads).
        var path = Backend.LibraryPath ?? throw new InvalidOperationException("MatMul bench needs a native provider:\n" + Backend.Describe());
        var h = NativeLibrary.Load(path);
        dgemm = (delegate* unmanaged[Cdecl]<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void>)NativeLibrary.GetExport(h, "cblas_dgemm");
        sgemm = (delegate* unmanaged[Cdecl]<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)NativeLibrary.GetExport(h, "cblas_sgemm");
    }

    [Benchmark(Description = "Nabla TF.MatMul")]
    public int Nabla() => TF.MatMul(a, b).Size;

    [Benchmark(Baseline = true, Description = "direct CBLAS")]
    public unsafe int Cblas()
    {
        const int RowMajor = 101, NoTrans = 111;
        if (DT == "f32")
        {
            var c = new float[N * N];
            fixed (float* pa = fa, pb = fb, pc = c) sgemm(RowMajor, NoTrans, NoTrans, N, N, N, 1f, pa, N, pb, N, 0f, pc, N);
            return c.Length;
        }
        else
        {
            var c = new double[N * N];
            fixed (double* pa = da, pb = db, pc = c) dgemm(RowMajor, NoTrans, NoTrans, N, N, N, 1.0, pa, N, pb, N, 0.0, pc, N);
            return c.Length;
        }
    }

    [Benchmark(Description = "TorchSharp matmul")]
    public long Torch()
    {
        using var c = torch.matmul(ta, tb);
        return c.numel();
    }
}

/// <summary>One SGD step of a 784-512-512-10 ReLU MLP, batch 256, softmax cross-entropy, under a tape.</summary>
public class Mlp : BenchBase
{
    [Params("f32", "f64")] public string DT = "f32";
    private const int Batch = 256;
    private static readonly int[] Sizes = { 784, 512, 512, 10 };
    private const double Lr = 0.01;

    private Variable[] ws = null!, bs = null!;
    private NTensor x = null!, labels = null!;
    private torch.Tensor[] tws = null!, tbs = null!;
    private torch.Tensor tx = null!, ty = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        var rng = new Random(2);
        var dtype = DT == "f32" ? DType.Float32 : DType.Float64;
        var sdt = DT == "f32" ? ScalarType.Float32 : ScalarType.Float64;
        NTensor Rand(int r, int c, double scale)
        {
            var v = Enumerable.Range(0, r * c).Select(_ => (rng.NextDouble() - 0.5) * scale).ToArray();
            return TF.Cast(TF.Reshape(TF.Constant(v), new[] { r, c }), dtype);
        }
        ws = new Variable[3]; bs = new Variable[3];
        tws = new torch.Tensor[3]; tbs = new torch.Tensor[3];
        for (int l = 0; l < 3; l++)
        {
            var w = Rand(Sizes[l], Sizes[l + 1], 2.0 / Math.Sqrt(Sizes[l]));
            ws[l] = new Variable(w);
            bs[l] = new Variable(TF.Cast(TF.Zeros(new[] { Sizes[l + 1] }, DType.Float64), dtype));
            tws[l] = torch.tensor(w.ToArray<double>(), new long[] { Sizes[l], Sizes[l + 1] }).to_type(sdt).requires_grad_(true);
            tbs[l] = torch.zeros(new long[] { Sizes[l + 1] }, dtype: sdt).requires_grad_(true);
        }
        x = Rand(Batch, 784, 1.0);
        tx = torch.tensor(x.ToArray<double>(), new long[] { Batch, 784 }).to_type(sdt);
        var cls = Enumerable.Range(0, Batch).Select(i => i % 10).ToArray();
        var onehot = new double[Batch * 10];
        for (int i = 0; i < Batch; i++) onehot[i * 10 + cls[i]] = 1;
        labels = TF.Cast(TF.Reshape(TF.Constant(onehot), new[] { Batch, 10 }), dtype);
        ty = torch.tensor(cls.Select(c => (long)c).ToArray());
    }

    [Benchmark(Description = "Nabla tape + SGD")]
    public double Nabla()
    {
        NTensor loss;
        NTensor?[] grads;
        var vars = ws.Concat(bs).ToArray();
        using (var tape = new GradientTape())
        {
            NTensor h = x;
            for (int l = 0; l < 3; l++)
            {
                h = TF.MatMul(h, ws[l]) + bs[l];
                if (l < 2) h = TF.Relu(h);
            }
            loss = TF.ReduceMean(TF.SoftmaxCrossEntropyWithLogits(labels, h));
            grads = tape.Gradient(loss, vars);
        }
        for (int i = 0; i < vars.Length; i++) vars[i].AssignSub(grads[i]! * Lr);
        return loss.ToDouble();
    }

    [Benchmark(Baseline = true, Description = "TorchSharp autograd + SGD")]
    public double Torch()
    {
        using var scope = torch.NewDisposeScope();
        var h = tx;
        for (int l = 0; l < 3; l++)
        {
            h = torch.matmul(h, tws[l]) + tbs[l];
            if (l < 2) h = torch.nn.functional.relu(h);
        }
        var loss = torch.nn.functional.cross_entropy(h, ty);
        loss.backward();
        using (torch.no_grad())
        {
            foreach (var p in tws.Concat(tbs))
            {
                p.sub_(p.grad! * Lr);
                p.grad!.zero_();
            }
        }
        return loss.ToDouble();
    }
}

/// <summary>Hessian-vector product of sum(tanh(W x)), W 1000 x 1000 f64: forward-over-reverse vs double backward.</summary>
public class Hvp : BenchBase
{
    private const int N = 1000;
    private CTensor w = null!, v = null!, xv = null!;
    private FSharpFunc<CTensor, CTensor> f = null!;
    private torch.Tensor tw = null!, tv = null!, tx = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        var rng = new Random(3);
        double[] R(int n) => Enumerable.Range(0, n).Select(_ => (rng.NextDouble() - 0.5) * 0.1).ToArray();
        var wd = R(N * N); var vd = R(N * N); var xd = R(N);
        w = Core.Combinators.constant(Core.Storage.ofArray(new[] { N, N }, wd));
        v = Core.Combinators.constant(Core.Storage.ofArray(new[] { N, N }, vd));
        xv = Core.Combinators.constant(Core.Storage.ofArray(new[] { N, 1 }, xd));
        f = FuncConvert.FromFunc<CTensor, CTensor>(W => Core.Reductions.sum(null!, false, Core.Elementwise.tanh(Core.Products.matmul(false, false, W, xv))));
        tw = torch.tensor(wd, new long[] { N, N }, dtype: ScalarType.Float64);
        tv = torch.tensor(vd, new long[] { N, N }, dtype: ScalarType.Float64);
        tx = torch.tensor(xd, new long[] { N, 1 }, dtype: ScalarType.Float64);
    }

    [Benchmark(Description = "Nabla hvp (forward-over-reverse)")]
    public double Nabla() => Core.Storage.getDouble(Core.Derivatives.hvp(f, w, v).Raw, 0);

    [Benchmark(Baseline = true, Description = "TorchSharp double backward")]
    public double Torch()
    {
        using var scope = torch.NewDisposeScope();
        var W = tw.detach().requires_grad_(true);
        var y = torch.tanh(torch.matmul(W, tx)).sum();
        var g = torch.autograd.grad(new[] { y }, new[] { W }, retain_graph: true, create_graph: true)[0];
        var hv = torch.autograd.grad(new[] { (g * tv).sum() }, new[] { W })[0];
        return hv[0, 0].item<double>();
    }
}

/// <summary>Element-wise exp and tanh over 10^6 elements, incl. the output.</summary>
public class Elementwise : BenchBase
{
    [Params("f32", "f64")] public string DT = "f32";
    [Params("Exp", "Tanh")] public string Op = "Exp";
    private const int N = 1_000_000;
    private NTensor x = null!;
    private torch.Tensor tx = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        var rng = new Random(4);
        var d = Enumerable.Range(0, N).Select(_ => rng.NextDouble() * 4 - 2).ToArray();
        x = TF.Cast(TF.Constant(d), DT == "f32" ? DType.Float32 : DType.Float64);
        tx = torch.tensor(d).to_type(DT == "f32" ? ScalarType.Float32 : ScalarType.Float64);
    }

    [Benchmark(Description = "Nabla")]
    public int Nabla() => (Op == "Exp" ? TF.Exp(x) : TF.Tanh(x)).Size;

    [Benchmark(Baseline = true, Description = "TorchSharp")]
    public long Torch()
    {
        using var r = Op == "Exp" ? torch.exp(tx) : torch.tanh(tx);
        return r.numel();
    }
}

public static class Program
{
    private static readonly Type[] Suites = { typeof(Chain), typeof(MatMul), typeof(Mlp), typeof(Hvp), typeof(Elementwise), typeof(Layers), typeof(LayersCnn), typeof(Cnn), typeof(LinalgCholesky), typeof(LinalgSolve), typeof(ArraysStridedSlice), typeof(ArraysPadReflect), typeof(ConvLayer), typeof(EinsumBmm), typeof(EinsumContraction), typeof(CumSumGrad), typeof(CumProdGrad), typeof(SortGrad), typeof(TopKGrad), typeof(GemmSweep), typeof(ArraysStridedSlice3D), typeof(ArraysPadSymmetric), typeof(ElementwiseChain), typeof(MlpSweep) };

    /// <summary>The least time one sample of the side-by-side pass runs its method for.</summary>
    private const double PairedSampleMs = 150;

    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == "--startup") return Startup(args[1]);
        if (args.Length >= 2 && args[0] == "--loop")
        {
            // --loop Suite.Method [seconds] [Param=Value ...]
            var hasSeconds = args.Length > 2 && !args[2].Contains('=');
            return Loop(args[1], hasSeconds ? double.Parse(args[2], CultureInfo.InvariantCulture) : 10, args.Skip(hasSeconds ? 3 : 2).ToArray());
        }
        var quick = args.Contains("--quick");
        var filter = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
        var suites = Suites.Where(t => filter == null || filter.Split(',').Contains(t.Name)).ToArray();
        Console.WriteLine(Backend.Describe());
        Console.WriteLine($"TorchSharp {typeof(torch).Assembly.GetName().Version}, libtorch threads {torch.get_num_threads()}");
        if (quick) return Quick(suites);
        var rounds = int.Parse(args.SkipWhile(a => a != "--rounds").Skip(1).FirstOrDefault() ?? "9", CultureInfo.InvariantCulture);
        if (args.Contains("--paired"))
        {
            // the side-by-side pass alone (see Paired.cs), e.g. `--paired --only MatMul --rounds 15`
            // `--warmup MS`: untimed calls for MS after each sample's forced collection (Paired.Run)
            var warmupMs = double.Parse(args.SkipWhile(a => a != "--warmup").Skip(1).FirstOrDefault() ?? "0", CultureInfo.InvariantCulture);
            var pairedOnly = new StringBuilder();
            Paired.Table(Paired.Run(suites, rounds, PairedSampleMs, Console.Out, warmupMs), pairedOnly);
            Console.WriteLine();
            Console.WriteLine(pairedOnly);
            return 0;
        }

        var config = ManualConfig.CreateMinimumViable()
            .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
                .WithWarmupCount(2).WithIterationCount(5).WithLaunchCount(1).WithUnrollFactor(1)
                .WithMinIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(200)))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.JoinSummary)
            .WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(BenchmarkDotNet.Columns.RatioStyle.Trend));
        var summary = BenchmarkRunner.Run(suites, config);
        var table = new StringBuilder();
        table.AppendLine("Side by side (each workload and its baseline alternated round after round; see Paired.cs):");
        table.AppendLine();
        Paired.Table(Paired.Run(suites, rounds, PairedSampleMs, Console.Out), table);
        table.AppendLine();
        table.AppendLine("BenchmarkDotNet (each case measured after the other; means of 5 iterations; allocation per operation):");
        table.AppendLine();
        var bdn = new StringBuilder();
        foreach (var s in summary) Ratios(s, bdn);
        table.Append(bdn);
        var (nablaStart, torchStart) = StartupTimes();
        table.AppendLine();
        table.AppendLine($"| fresh process to first gradient (Nabla) vs to first matmul (TorchSharp), median of 5 | {nablaStart:F0} ms vs {torchStart:F0} ms | **{nablaStart / torchStart:F2}x** TorchSharp's time |");
        var outDir = Path.Combine(AppContext.BaseDirectory, "bench-results");
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, "ratios.md"), table.ToString());
        Console.WriteLine();
        Console.WriteLine(table);
        return 0;
    }

    /// <summary>Every benchmark of every suite once, with the first value of each parameter: checks that it runs.</summary>
    private static int Quick(Type[] suites)
    {
        var failures = 0;
        foreach (var t in suites)
        {
            var inst = Activator.CreateInstance(t)!;
            foreach (var field in t.GetFields().Where(f => f.GetCustomAttribute<ParamsAttribute>() != null))
                field.SetValue(inst, field.GetCustomAttribute<ParamsAttribute>()!.Values[0]);
            t.GetMethods().Where(m => m.GetCustomAttribute<GlobalSetupAttribute>() != null).ToList().ForEach(m => m.Invoke(inst, null));
            foreach (var m in t.GetMethods().Where(m => m.GetCustomAttribute<BenchmarkAttribute>() != null))
            {
                try
                {
                    var before = GC.GetAllocatedBytesForCurrentThread();
                    var r = m.Invoke(inst, null);
                    var bytes = GC.GetAllocatedBytesForCurrentThread() - before;
                    var perOp = t == typeof(Chain) ? $", {bytes / (2.0 * Chain.Steps):F0} B/recorded op" : "";
                    Console.WriteLine($"ok   {t.Name}.{m.Name} = {Convert.ToString(r, CultureInfo.InvariantCulture)} ({bytes:N0} B managed{perOp})");
                }
                catch (Exception e)
                {
                    failures++;
                    Console.WriteLine($"FAIL {t.Name}.{m.Name}: {(e.InnerException ?? e)}");
                }
            }
        }
        var (n, tt) = StartupTimes(1);
        Console.WriteLine($"ok   startup: Nabla first gradient {n:F0} ms, TorchSharp first matmul {tt:F0} ms");
        Console.WriteLine(failures == 0 ? "bench --quick: every workload ran" : $"bench --quick: {failures} workload(s) failed");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>Runs one workload (Suite.Method, first parameter values unless Param=Value arguments say otherwise,
    /// Threads from NABLA_THREADS or 1) over and
    /// over for a while: the process to attach dotnet-trace or dotnet-counters to.</summary>
    private static int Loop(string name, double seconds, string[] settings)
    {
        var parts = name.Split('.');
        var t = Suites.Single(s => s.Name == parts[0]);
        var inst = Activator.CreateInstance(t)!;
        // Param=Value arguments choose other parameter values than the first (e.g. N=2048 DT=f64)
        var chosen = settings.Select(a => a.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
        var known = t.GetFields().Where(f => f.GetCustomAttribute<ParamsAttribute>() != null).Select(f => f.Name).Append("gc").Append("steps").Append("rss").ToHashSet();
        foreach (var key in chosen.Keys.Where(k => !known.Contains(k)))
            throw new ArgumentException($"--loop: {t.Name} has no parameter '{key}'; expected one of {string.Join(", ", known)}");
        foreach (var field in t.GetFields().Where(f => f.GetCustomAttribute<ParamsAttribute>() != null))
            field.SetValue(inst, field.Name == "Threads" ? int.Parse(Environment.GetEnvironmentVariable("NABLA_THREADS") ?? "1")
                : chosen.TryGetValue(field.Name, out var v) ? Convert.ChangeType(v, field.FieldType, CultureInfo.InvariantCulture)
                : field.GetCustomAttribute<ParamsAttribute>()!.Values[0]);
        t.GetMethods().Where(m => m.GetCustomAttribute<GlobalSetupAttribute>() != null).ToList().ForEach(m => m.Invoke(inst, null));
        var method = t.GetMethod(parts[1])!;
        // gc=1: a full blocking collection before each call, as BenchmarkDotNet does before each iteration (untimed)
        var collect = chosen.TryGetValue("gc", out var g) && g == "1";
        // steps=N: stop after N calls (else after the seconds); rss=K: print the resident set every K calls
        var maxCalls = chosen.TryGetValue("steps", out var st) ? long.Parse(st, CultureInfo.InvariantCulture) : long.MaxValue;
        var rssEvery = chosen.TryGetValue("rss", out var re) ? long.Parse(re, CultureInfo.InvariantCulture) : 0;
        var gc0 = Enumerable.Range(0, 3).Select(GC.CollectionCount).ToArray();
        var faults0 = Paired.MinorFaults();
        var pause0 = GC.GetTotalPauseDuration();
        var pool0 = PoolStats();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var inCalls = new Stopwatch();
        long n = 0;
        while (sw.Elapsed.TotalSeconds < seconds && n < maxCalls)
        {
            if (collect) GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            inCalls.Start();
            method.Invoke(inst, null);
            inCalls.Stop();
            n++;
            if (rssEvery > 0 && n % rssEvery == 0)
                Console.WriteLine($"{name}: call {n}: RSS {Rss() / 1048576.0:F1} MB, GC heap {GC.GetTotalMemory(false) / 1048576.0:F1} MB, committed {GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0:F1} MB, {sw.Elapsed.TotalSeconds:F1} s");
        }
        // the process's CPU time per call too: on a machine other processes load, less disturbed than the wall clock
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds;
        Console.WriteLine($"{name}: {n} runs, {inCalls.Elapsed.TotalMilliseconds / n:F3} ms each, {cpu / n:F3} ms of process CPU time each");
        // where the memory of large results came from: collections and minor page faults per call, and the buffer
        // pool's rents served from it (hits) or allocated (misses)
        var gcs = Enumerable.Range(0, 3).Select(g => (GC.CollectionCount(g) - gc0[g]) / (double)n).ToArray();
        var pool = PoolStats();
        Console.WriteLine($"{name}: per call {gcs[0]:F2} gen0 / {gcs[1]:F2} gen1 / {gcs[2]:F2} gen2 collections, " +
                          $"{(GC.GetTotalPauseDuration() - pause0).TotalMilliseconds / n:F3} ms paused by the GC, {(Paired.MinorFaults() - faults0) / (double)n:F1} minor page faults" +
                          (pool is { } p && pool0 is { } p0 ? $", buffer pool {(p.Hits - p0.Hits) / (double)n:F1} hits / {(p.Misses - p0.Misses) / (double)n:F1} misses, {p.Returned - p0.Returned} returned, {p.Dropped - p0.Dropped} dropped beyond capacity, {p.PooledBytes / 1048576.0:F1} MiB pooled" : ""));
        return 0;
    }

    /// <summary>VmRSS from /proc/self/status (bytes), else the working set.</summary>
    private static long Rss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        return Environment.WorkingSet;
    }

    /// <summary>Nabla.Core's internal buffer pool counters (BufferPool.stats, by reflection: a diagnosis only), or null.</summary>
    private static (long Hits, long Misses, long Returned, long Dropped, long PooledBytes)? PoolStats()
    {
        var stats = typeof(CTensor).Assembly.GetType("Nabla.Core.BufferPool")?.GetMethod("stats", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic);
        if (stats?.Invoke(null, null) is ValueTuple<long, long, long, long, long> t) return t;
        return null;
    }

    /// <summary>The work a fresh process does before it prints: Nabla's first gradient, or TorchSharp's first matmul.</summary>
    private static int Startup(string which)
    {
        if (which == "nabla")
        {
            var x = TF.Constant(3.0);
            using var tape = new GradientTape();
            tape.Watch(x);
            var y = x * x;
            Console.WriteLine(tape.Gradient(y, x)!.ToDouble());
        }
        else
        {
            using var a = torch.ones(2, 2);
            using var c = torch.matmul(a, a);
            Console.WriteLine(c[0, 0].item<float>());
        }
        return 0;
    }

    private static (double Nabla, double Torch) StartupTimes(int runs = 5)
    {
        double Median(string which)
        {
            var times = new List<double>();
            for (int i = 0; i < runs; i++)
            {
                var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
                psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Nabla.Bench.dll"));
                psi.ArgumentList.Add("--startup");
                psi.ArgumentList.Add(which);
                var sw = Stopwatch.StartNew();
                using var p = Process.Start(psi)!;
                var output = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                sw.Stop();
                if (p.ExitCode != 0) throw new InvalidOperationException($"startup {which} exited with {p.ExitCode}: {output}");
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            return times[times.Count / 2];
        }
        return (Median("nabla"), Median("torch"));
    }

    /// <summary>Each benchmark against its class's baseline, per parameter set, as a markdown table.</summary>
    private static void Ratios(Summary s, StringBuilder table)
    {
        if (table.Length == 0)
        {
            table.AppendLine("| workload | params | Nabla | baseline | time ratio (baseline / Nabla; > 1 means Nabla is faster) | Nabla alloc/op |");
            table.AppendLine("|---|---|---|---|---|---|");
        }
        var groups = s.Reports.GroupBy(r => r.BenchmarkCase.Job.DisplayInfo + r.BenchmarkCase.Descriptor.Type.Name + r.BenchmarkCase.Parameters.DisplayInfo);
        foreach (var g in groups)
        {
            var baseline = g.FirstOrDefault(r => r.BenchmarkCase.Descriptor.Baseline);
            if (baseline?.ResultStatistics == null) continue;
            foreach (var r in g.Where(r => !r.BenchmarkCase.Descriptor.Baseline && r.ResultStatistics != null))
            {
                var name = r.BenchmarkCase.Descriptor.Type.Name;
                var ratio = baseline.ResultStatistics!.Mean / r.ResultStatistics!.Mean;
                var alloc = r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase);
                var extra = name == nameof(Chain) && alloc is long b ? $" ({b / (2.0 * Chain.Steps):F0} B per recorded op)" : "";
                table.AppendLine($"| {name}: {r.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo} vs {baseline.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo} | {r.BenchmarkCase.Parameters.DisplayInfo} | {Fmt(r.ResultStatistics.Mean)} | {Fmt(baseline.ResultStatistics.Mean)} | **{ratio:F2}x** | {alloc:N0} B{extra} |");
            }
        }
    }

    private static string Fmt(double ns) =>
        ns >= 1e9 ? $"{ns / 1e9:F2} s" : ns >= 1e6 ? $"{ns / 1e6:F2} ms" : ns >= 1e3 ? $"{ns / 1e3:F1} us" : $"{ns:F0} ns";
}
