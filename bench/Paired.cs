// Side-by-side ratios: every workload and its baseline measured in alternation, round after round, in one process.
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using BenchmarkDotNet.Attributes;

namespace Nabla.Bench;

/// <summary>
/// Paired measurement of each suite's benchmarks against its baseline. BenchmarkDotNet measures one case after
/// another, so on a shared machine whose speed drifts by 10-20% within minutes a ratio of two of its means also
/// measures the drift. Here every round times each method of one parameter set in turn (the order rotating between
/// rounds), each sample being the mean call time over at least <c>sampleMs</c> after an untimed full collection;
/// the ratio of a round is baseline sample / method sample, and the reported ratio is the median over the rounds.
/// A Nabla method is also set against every other method of its suite that is not the baseline, the same way.
/// Each sample also counts the process's minor page faults (/proc/self/stat, field 10) over its calls after the first
/// (the first call follows the forced collection, so it is not steady state), per call; a row gives the median over
/// the rounds for both methods (a page is 4 KiB: a result of 10^6 Float32 values spans 977 pages).
/// </summary>
public static class Paired
{
    /// <summary>One row: a method against another (its suite's baseline, or for a Nabla method any other method) for
    /// one parameter set.</summary>
    public sealed record Row(string Suite, string Method, string Baseline, string Parameters,
                             double MedianRatio, double LowRatio, double HighRatio, double MethodMs, double BaselineMs, int Rounds,
                             double MethodFaults, double BaselineFaults);

    /// <summary>Measures every parameter set of every suite, logging each row as it is measured.</summary>
    /// <remarks><paramref name="warmupMs"/> (0: none) runs the method untimed for that long after the forced
    /// collection and before each sample, so that the sample sees the method's steady state (warm caches, a refilled
    /// buffer pool) rather than its recovery from the collection.</remarks>
    public static List<Row> Run(IEnumerable<Type> suites, int rounds, double sampleMs, TextWriter log, double warmupMs = 0)
    {
        var rows = new List<Row>();
        foreach (var t in suites)
            foreach (var setting in ParameterSets(t))
                rows.AddRange(RunOne(t, setting, rounds, sampleMs, warmupMs, log));
        return rows;
    }

    /// <summary>The cartesian product of the suite's [Params] fields.</summary>
    private static IEnumerable<(FieldInfo Field, object? Value)[]> ParameterSets(Type t)
    {
        IEnumerable<(FieldInfo, object?)[]> sets = new[] { Array.Empty<(FieldInfo, object?)>() };
        foreach (var f in t.GetFields().Where(f => f.GetCustomAttribute<ParamsAttribute>() != null))
        {
            var values = f.GetCustomAttribute<ParamsAttribute>()!.Values;
            sets = sets.SelectMany(s => values.Select(v => s.Append((f, v)).ToArray())).ToList();
        }
        return sets;
    }

    private static IEnumerable<Row> RunOne(Type t, (FieldInfo Field, object? Value)[] setting, int rounds, double sampleMs, double warmupMs, TextWriter log)
    {
        var inst = Activator.CreateInstance(t)!;
        foreach (var (f, v) in setting) f.SetValue(inst, v);
        foreach (var m in t.GetMethods().Where(m => m.GetCustomAttribute<GlobalSetupAttribute>() != null)) m.Invoke(inst, null);
        var methods = t.GetMethods().Where(m => m.GetCustomAttribute<BenchmarkAttribute>() != null).ToArray();
        var baseline = methods.Single(m => m.GetCustomAttribute<BenchmarkAttribute>()!.Baseline);
        var calls = methods.ToDictionary(m => m, m => (Func<object?>)(() => m.Invoke(inst, null)));
        var samples = methods.ToDictionary(m => m, _ => new List<double>());
        var faults = methods.ToDictionary(m => m, _ => new List<double>());
        foreach (var m in methods) { calls[m](); calls[m](); } // warm-up: JIT, first-touch, library start-up
        for (int r = 0; r < rounds; r++)
        {
            for (int i = 0; i < methods.Length; i++)
            {
                var m = methods[(i + r) % methods.Length];
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                var call = calls[m];
                if (warmupMs > 0)
                    for (var warm = Stopwatch.StartNew(); warm.Elapsed.TotalMilliseconds < warmupMs;) call();
                long n = 0, faults0 = MinorFaults(), faults1 = 0;
                var sw = Stopwatch.StartNew();
                do
                {
                    call();
                    if (++n == 1) faults1 = MinorFaults();
                } while (sw.Elapsed.TotalMilliseconds < sampleMs);
                samples[m].Add(sw.Elapsed.TotalMilliseconds / n);
                // steady state: the calls after the first; a sample of one call counts that call
                faults[m].Add(n > 1 ? (MinorFaults() - faults1) / (double)(n - 1) : MinorFaults() - faults0);
            }
        }
        var parameters = "[" + string.Join(", ", setting.Select(s => $"{s.Field.Name}={Convert.ToString(s.Value, CultureInfo.InvariantCulture)}")) + "]";
        // each method against the baseline; a Nabla method also against every other non-baseline method (MatMul's
        // TorchSharp row, whose baseline is the direct CBLAS call)
        var pairs = methods.Where(m => m != baseline).Select(m => (m, baseline))
            .Concat(from m in methods where m != baseline && Describe(m).StartsWith("Nabla")
                    from o in methods where o != baseline && o != m && !Describe(o).StartsWith("Nabla")
                    select (m, o));
        foreach (var (m, against) in pairs)
        {
            var ratios = Enumerable.Range(0, rounds).Select(r => samples[against][r] / samples[m][r]).OrderBy(x => x).ToArray();
            var row = new Row(t.Name, Describe(m), Describe(against), parameters, Median(ratios), ratios[rounds / 4], ratios[(3 * rounds) / 4],
                              Median(samples[m].ToArray()), Median(samples[against].ToArray()), rounds,
                              Median(faults[m].ToArray()), Median(faults[against].ToArray()));
            log.WriteLine($"paired {row.Suite} {row.Parameters}: {row.Method} {row.MethodMs:F3} ms vs {row.Baseline} {row.BaselineMs:F3} ms, ratio {row.MedianRatio:F2}x ({row.LowRatio:F2}-{row.HighRatio:F2}), minor faults/call {row.MethodFaults:F1} vs {row.BaselineFaults:F1}");
            yield return row;
        }
    }

    /// <summary>The process's minor page faults so far: field 10 of /proc/self/stat (0 where there is no /proc).</summary>
    internal static long MinorFaults()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            // the command name (field 2) is in parentheses and may hold spaces: count fields after its ')'
            var fields = stat.Substring(stat.LastIndexOf(')') + 2).Split(' ');
            return long.Parse(fields[10 - 3], CultureInfo.InvariantCulture);
        }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
    }

    private static string Describe(MethodInfo m) => m.GetCustomAttribute<BenchmarkAttribute>()!.Description ?? m.Name;

    private static double Median(double[] xs)
    {
        var s = xs.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>The rows as a markdown table.</summary>
    public static void Table(IEnumerable<Row> rows, StringBuilder table)
    {
        table.AppendLine("| workload | params | Nabla (median sample) | baseline (median sample) | time ratio, median of rounds (baseline / Nabla; > 1 means Nabla is faster) | quartiles of the round ratios | minor page faults per call, Nabla / baseline (steady state, median) |");
        table.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            table.AppendLine($"| {r.Suite}: {r.Method} vs {r.Baseline} | {r.Parameters} | {FmtMs(r.MethodMs)} | {FmtMs(r.BaselineMs)} | **{r.MedianRatio:F2}x** | {r.LowRatio:F2}-{r.HighRatio:F2} ({r.Rounds} rounds) | {r.MethodFaults:F1} / {r.BaselineFaults:F1} |");
    }

    private static string FmtMs(double ms) => ms >= 1000 ? $"{ms / 1000:F2} s" : ms >= 1 ? $"{ms:F2} ms" : $"{ms * 1000:F1} us";
}
