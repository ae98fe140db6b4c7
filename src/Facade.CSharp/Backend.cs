namespace Nabla;

/// <summary>
/// The kernels' backend: which linear-algebra provider runs matrix products, how many threads kernels may use,
/// and a diagnostic of how the choice was made. Plays the role of TensorFlow's <c>tf.config.threading</c> and
/// <c>tf.sysconfig</c> for Nabla's native libraries.
/// </summary>
/// <remarks>
/// <para>The provider is chosen once, at first use, from the environment:</para>
/// <list type="bullet">
/// <item><c>NABLA_PROVIDER</c> = <c>auto</c> (default: Intel MKL when it loads, else managed), <c>mkl</c>, <c>cblas</c> or <c>managed</c>.</item>
/// <item><c>NABLA_MKL_PATH</c>: libmkl_rt.so or its folder. Otherwise MKL is probed in the <c>.mkl</c> folder that
/// <c>dotnet fsi build.fsx mkl</c> fills (searched upwards from the application's folder and the current directory),
/// then in the system library path.</item>
/// <item><c>NABLA_BLAS_PATH</c>: any library exporting CBLAS (OpenBLAS, BLIS) to use instead of MKL.</item>
/// <item><c>NABLA_MKL_THREADING</c> = <c>auto</c>, <c>gnu</c> (OpenMP through libgomp.so.1) or <c>sequential</c>.</item>
/// <item><c>NABLA_THREADS</c>: the thread count (default: <see cref="Environment.ProcessorCount"/>).</item>
/// </list>
/// <para>An explicitly requested provider (<c>mkl</c>, <c>cblas</c>, <c>NABLA_BLAS_PATH</c>, <see cref="UseMkl"/>,
/// <see cref="UseCblas"/>) that fails to load throws <see cref="InvalidOperationException"/> whose message is
/// <see cref="Describe"/>'s text; there is never a silent fallback. Only <c>auto</c> falls back to managed, and
/// <see cref="Describe"/> says why.</para>
/// </remarks>
/// <example>
/// <code>
/// Console.WriteLine(Backend.Describe());   // provider, library path and version, threads, what was probed
/// Backend.Threads = 1;
/// Backend.UseManaged();
/// </code>
/// </example>
public static class Backend
{
    /// <summary>The provider in use: <c>"managed"</c>, <c>"mkl"</c> or <c>"cblas"</c> (a library named by <c>NABLA_BLAS_PATH</c>).</summary>
    /// <exception cref="InvalidOperationException">The provider requested through the environment failed to load.</exception>
    public static string Provider => Core.Backend.providerName();

    /// <summary>Threads for kernels (MathNet's managed provider and the native library alike); default
    /// <c>NABLA_THREADS</c>, else <see cref="Environment.ProcessorCount"/>. Mirrors <c>tf.config.threading.set_intra_op_parallelism_threads</c>.
    /// A large product or element-wise kernel is split over the calling thread and up to <c>Threads - 1</c> of Nabla's
    /// own background workers, which spin for 100 microseconds after a part before they sleep; a kernel whose workers are
    /// taken by another calling thread runs on its caller alone.</summary>
    /// <exception cref="ArgumentException">The value is less than 1.</exception>
    public static int Threads
    {
        get => Core.Backend.getThreads();
        set => Core.Backend.setThreads(value);
    }

    /// <summary>The path of the native library in use (libmkl_rt.so, or the CBLAS library), or <c>null</c> under the managed provider.</summary>
    public static string? LibraryPath => Core.Backend.libraryPath() is { } p ? p.Value : null;

    /// <summary>What was probed, what loaded (path and version), the threading layer and threads, why anything failed,
    /// and the GC settings that decide where large tensors live.</summary>
    public static string Describe() => Core.Backend.describe() + Environment.NewLine + DescribeGC();

    /// <summary>The GC line of <see cref="Describe"/>: the large-object threshold and region size in effect, and whether
    /// they are the application's own settings or .NET's defaults (Nabla sets none).</summary>
    internal static string DescribeGC()
    {
        // The runtime reads DOTNET_GC* (or COMPlus_GC*) environment variables, in hex, before the runtime configuration.
        static long? FromEnvironment(string name)
        {
            var v = Environment.GetEnvironmentVariable("DOTNET_" + name) ?? Environment.GetEnvironmentVariable("COMPlus_" + name);
            if (string.IsNullOrWhiteSpace(v)) return null;
            var hex = v.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? v[2..] : v;
            return long.TryParse(hex, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var b) ? b : null;
        }
        static long? FromConfig(string name) =>
            AppContext.GetData(name) is { } v && long.TryParse(Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture), out var b) ? b : null;
        static string Size(long? v, string dflt) => v is { } b ? $"{b / 1048576.0:0.##} MiB" : dflt;
        var lohEnv = FromEnvironment("GCLOHThreshold");
        var regionEnv = FromEnvironment("GCRegionSize");
        var loh = lohEnv ?? FromConfig("System.GC.LOHThreshold");
        var region = regionEnv ?? FromConfig("System.GC.RegionSize");
        var source = lohEnv is not null || regionEnv is not null
            ? "set by DOTNET_GC* environment variables"
            : loh is null && region is null
                ? ".NET's defaults (Nabla sets no GC option; large tensor buffers are pooled)"
                : "from the application's runtime configuration (Nabla sets no GC option)";
        return $"GC: large-object threshold {Size(loh, "85000 B")}, region size {Size(region, "default")}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC; {source}";
    }

    /// <summary>How matrix products (<c>TF.MatMul</c> and the products inside gradients) are computed:
    /// <c>"auto"</c> (default; <c>NABLA_GEMM</c> sets it at start-up), <c>"managed-avx512"</c> or <c>"provider"</c>.
    /// <c>"managed-avx512"</c> runs every Float32/Float64 product on Nabla's managed GEMM kernel (packed panels, a
    /// register-blocked <c>Vector512</c> FMA micro-kernel, split over <see cref="Threads"/>); <c>"provider"</c> runs every
    /// product on <see cref="Provider"/>'s GEMM (MKL, CBLAS or MathNet's managed code); <c>"auto"</c> uses the managed
    /// kernel where <c>Vector512</c> is accelerated, for products with m, n &gt;= 4 and m n k &gt;= 32768, unless the
    /// provider is MKL on an Intel CPU (where MKL takes its own AVX-512 path). <see cref="Describe"/> says which runs and
    /// why. <c>NABLA_PROVIDER=managed-avx512</c> selects the managed provider with this set to <c>"managed-avx512"</c>.
    /// No TensorFlow equivalent (a backend setting); results agree with the provider's to rounding (the order of the
    /// additions differs).</summary>
    /// <exception cref="ArgumentException">The value is not one of the three, or is <c>"managed-avx512"</c> where
    /// <c>Vector512</c> is not hardware-accelerated.</exception>
    public static string Gemm
    {
        get => Core.Backend.gemm();
        set => Core.Backend.setGemm(value);
    }

    /// <summary>Runs kernels on MathNet.Numerics' managed provider (no native code).</summary>
    public static void UseManaged() => Core.Backend.useManaged();

    /// <summary>Runs matrix products on Intel MKL: <paramref name="libraryPath"/> (libmkl_rt.so or its folder) if given,
    /// else probed as at start-up (<c>NABLA_MKL_PATH</c>, the <c>.mkl</c> folder, the system library path).</summary>
    /// <exception cref="InvalidOperationException">MKL did not load; the message is <see cref="Describe"/>'s text and
    /// the provider in use is unchanged.</exception>
    public static void UseMkl(string? libraryPath = null) =>
        Core.Backend.useMkl(libraryPath is null ? Microsoft.FSharp.Core.FSharpOption<string>.None : Microsoft.FSharp.Core.FSharpOption<string>.Some(libraryPath));

    /// <summary>Runs matrix products on the CBLAS library at <paramref name="libraryPath"/> (OpenBLAS, BLIS, ...).</summary>
    /// <exception cref="ArgumentException">The path is null or blank.</exception>
    /// <exception cref="InvalidOperationException">The library did not load or lacks CBLAS entry points; the message is
    /// <see cref="Describe"/>'s text and the provider in use is unchanged.</exception>
    public static void UseCblas(string libraryPath) => Core.Backend.useCblas(libraryPath);
}
