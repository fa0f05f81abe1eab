using FuncRec.Benchmarks.Micro;
using FuncRec.Benchmarks.MlNet;

namespace FuncRec.Benchmarks;

/// <summary>Two modes: <c>mlnet</c> (side by side with ML.NET on MovieLens 100K) and <c>micro</c> (BenchmarkDotNet).</summary>
internal static class BenchmarksCommandLine
{
    private static readonly string Usage =
        $"""
        usage:
          {MlNetCommand.Usage}
          micro [BenchmarkDotNet arguments, e.g. --filter '*Scorer*' --job medium]
        """;

    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        try
        {
            return args[0] switch
            {
                "mlnet" => MlNetCommand.Run(args[1..]),
                "micro" => MicroBenchmarkRunner.Run(args[1..]),
                _ => Fail($"Unknown mode '{args[0]}'."),
            };
        }
        catch (UsageException exception)
        {
            return Fail(exception.Message);
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        Console.Error.WriteLine(Usage);
        return 2;
    }
}
