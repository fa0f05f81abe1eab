using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FuncRec.Core.Drift;
using FuncRec.Core.Evaluation;
using FuncRec.Core.Model;

namespace FuncRec.Cli.Commands;

/// <summary><c>funcrec bench adaptive [--out FILE]</c>: adaptive learning rate vs fixed rates, and drift detection, on the synthetic world.</summary>
public static class BenchAdaptiveCommand
{
    public static Command Create()
    {
        var output = new Option<FileInfo?>("--out") { Description = "Write the results as JSON to this file." };
        var runs = new Option<int>("--runs") { Description = "Runs with a drift (and as many without), per objective.", DefaultValueFactory = _ => 10 };
        runs.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--runs must be at least 1.");
            }
        });
        var objective = new Option<string>("--objective")
        {
            Description = "rating (squared error on explicit ratings), ranking (BPR loss on clicks: the service's default objective) or both.",
            DefaultValueFactory = _ => "both",
        };
        objective.AcceptOnlyFromAmong("rating", "ranking", "both");
        var delta = new Option<double?>("--drift-delta") { Description = "Page–Hinkley tolerance δ to try instead of the service's setting for each objective run." };
        var threshold = new Option<double?>("--drift-threshold") { Description = "Page–Hinkley threshold λ to try instead of the service's setting for each objective run." };
        var firstSeed = new Option<ulong>("--first-seed") { Description = "World seed of the first run (run r: seed + r with a drift, seed + 1000 + r without).", DefaultValueFactory = _ => 100 };
        var command = new Command("adaptive", "Prequential error of the adaptive learning rate against each fixed rate of its grid, and drift detection with and without a drift (synthetic world, fixed seeds), for the rating and the ranking objective.") { output, runs, objective, delta, threshold, firstSeed };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var chosen = parse.GetValue(objective);
            var losses = chosen switch
            {
                "rating" => new[] { LossKind.Squared },
                "ranking" => [LossKind.Bpr],
                _ => [LossKind.Squared, LossKind.Bpr],
            };
            var detectors = new Dictionary<LossKind, PageHinkleyOptions>();
            foreach (var loss in losses)
            {
                var defaults = DriftDefaults.For(loss);
                detectors[loss] = defaults with
                {
                    Delta = parse.GetValue(delta) ?? defaults.Delta,
                    Threshold = parse.GetValue(threshold) ?? defaults.Threshold,
                };
                try
                {
                    detectors[loss].Validate();
                }
                catch (ArgumentException invalid)
                {
                    await Console.Error.WriteLineAsync($"--drift-delta/--drift-threshold: {invalid.Message}");
                    return 2;
                }
            }

            var reports = new Dictionary<string, AdaptiveReport>(StringComparer.Ordinal);
            foreach (var loss in losses)
            {
                var report = new AdaptiveOnlineBenchmark().Run(parse.GetValue(runs), progress: Console.WriteLine, loss: loss, detector: detectors[loss], firstSeed: parse.GetValue(firstSeed));
                reports[report.Objective] = report;
                Console.WriteLine();
                Console.WriteLine($"{report.Objective} objective ({report.ErrorMetric}):");
                for (var i = 0; i < report.FixedRates.Length; i++)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  fixed rate {report.FixedRates[i],6:0.###}: {report.FixedError[i]:F4}"));
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  adaptive (grid, best of recent error): {report.AdaptiveError:F4}  (best fixed {report.BestFixedError:F4} at {report.BestFixedRate}, default {report.DefaultFixedError:F4} at {report.DefaultRate})"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  drift detected within {report.DetectionWindow} events in {report.DriftDetectedRuns}/{report.Runs} runs with a drift (mean delay {report.MeanDetectionDelay:F0}); alarms in {report.FalseAlarmRuns}/{report.Runs} runs without one (Page–Hinkley δ {report.DetectorDelta}, threshold {report.DetectorThreshold})"));
                Console.WriteLine();
            }

            // The mean delay is NaN when no run detected the drift (a setting being tried can miss them all).
            var json = JsonSerializer.Serialize(reports, new JsonSerializerOptions { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals });
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
