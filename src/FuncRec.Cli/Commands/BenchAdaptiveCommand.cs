using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FuncRec.Core.Evaluation;

namespace FuncRec.Cli.Commands;

/// <summary><c>funcrec bench adaptive [--out FILE]</c>: adaptive learning rate vs fixed rates, and drift detection, on the synthetic world.</summary>
public static class BenchAdaptiveCommand
{
    public static Command Create()
    {
        var output = new Option<FileInfo?>("--out") { Description = "Write the results as JSON to this file." };
        var runs = new Option<int>("--runs") { Description = "Runs with a drift (and as many without).", DefaultValueFactory = _ => 10 };
        var command = new Command("adaptive", "Prequential error of the adaptive learning rate against each fixed rate of its grid, and drift detection with and without a drift (synthetic world, fixed seeds).") { output, runs };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var report = new AdaptiveOnlineBenchmark().Run(parse.GetValue(runs), progress: Console.WriteLine);
            Console.WriteLine();
            for (var i = 0; i < report.FixedRates.Length; i++)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fixed rate {report.FixedRates[i],6:0.###}: prequential RMSE {report.FixedRmse[i]:F4}"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"adaptive (grid, best of recent error): prequential RMSE {report.AdaptiveRmse:F4}  (best fixed {report.BestFixedRmse:F4} at {report.BestFixedRate}, default {report.DefaultFixedRmse:F4} at {report.DefaultRate})"));
            Console.WriteLine($"drift detected within {report.DetectionWindow} events in {report.DriftDetectedRuns}/{report.Runs} runs with a drift (mean delay {report.MeanDetectionDelay:F0}); alarms in {report.FalseAlarmRuns}/{report.Runs} runs without one");
            var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true });
            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, json, cancellationToken);
                Console.WriteLine($"Wrote {file.FullName}");
            }

            return 0;
        });
        return command;
    }
}
