using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace FuncRec.Benchmarks.Micro;

/// <summary>
/// Runs the micro-benchmarks through <see cref="BenchmarkSwitcher"/>, so BenchmarkDotNet's own arguments work
/// (<c>--filter '*Scorer*'</c>, <c>--job medium</c>, <c>--list flat</c>, …). Without a job argument the short job
/// runs (1 launch, 3 warm-ups, 3 iterations), which keeps the whole suite to a few minutes on two cores; without a
/// filter every benchmark runs instead of the interactive prompt.
/// </summary>
internal static class MicroBenchmarkRunner
{
    public static int Run(string[] args)
    {
        var arguments = args.ToList();
        if (!arguments.Any(IsFilterOrList))
        {
            arguments.AddRange(["--filter", "*"]);
        }

        IConfig config = DefaultConfig.Instance;
        if (!arguments.Any(a => a is "--job" or "-j" || a.StartsWith("--job=", StringComparison.Ordinal)))
        {
            config = config.AddJob(Job.ShortRun);
        }

        var summaries = BenchmarkSwitcher.FromAssembly(typeof(MicroBenchmarkRunner).Assembly).Run([.. arguments], config);
        var failed = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
        return failed ? 1 : 0;
    }

    private static bool IsFilterOrList(string argument)
        => argument is "--filter" or "-f" or "--list" or "--allCategories" or "--anyCategories" or "--info" or "--help" or "-h"
            || argument.StartsWith("--filter=", StringComparison.Ordinal);
}
