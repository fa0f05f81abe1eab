using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FuncRec.Core.Data;
using FuncRec.Core.Evaluation;

namespace FuncRec.Cli.Commands;

/// <summary><c>funcrec bench quality --movielens DIR [--out FILE]</c>: the MovieLens 100K quality benchmark.</summary>
public static class BenchQualityCommand
{
    public static Command Create()
    {
        var movieLens = new Option<DirectoryInfo>("--movielens")
        {
            Description = "Directory holding the MovieLens 100K files (u.data, u.user, u.item, u1..u5.base/test).",
            Required = true,
        };
        var output = new Option<FileInfo?>("--out") { Description = "Write the results as JSON to this file." };
        var command = new Command("quality", "Rating, ranking, prequential, cold-start and transfer figures on MovieLens 100K.") { movieLens, output };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(movieLens)!, parse.GetValue(output), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(DirectoryInfo directory, FileInfo? output, CancellationToken cancellationToken)
    {
        if (!MovieLens100K.IsPresent(directory.FullName))
        {
            await Console.Error.WriteLineAsync($"No MovieLens 100K files in '{directory.FullName}' (expected u.data, u.user, u.item).");
            return 2;
        }

        var data = MovieLens100K.Load(directory.FullName);
        var benchmark = new MovieLensQualityBenchmark(data);
        var report = benchmark.Run(step => Console.WriteLine($"… {step}"), cancellationToken);
        Print(report);
        if (output is not null)
        {
            var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true });
            await File.WriteAllTextAsync(output.FullName, json, cancellationToken);
            Console.WriteLine($"Wrote {output.FullName}");
        }

        return 0;
    }

    private static void Print(QualityReport report)
    {
        static string F(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);
        var rows = new (string Figure, string Value, string Goal)[]
        {
            ("rating RMSE (u1..u5)", F(report.Rating.Rmse), "<= 0.905"),
            ("rating MAE (u1..u5)", F(report.Rating.Mae), ""),
            ("precision@10", F(report.Ranking.PrecisionAt10), ">= 0.39"),
            ("recall@10", F(report.Ranking.RecallAt10), ""),
            ("NDCG@10", F(report.Ranking.NdcgAt10), ">= 0.44"),
            ("MAP@10", F(report.Ranking.MapAt10), ""),
            ("catalog coverage@10", F(report.Ranking.CatalogCoverage), ""),
            ("popularity precision@10 (baseline)", F(report.Ranking.PopularityPrecisionAt10), ""),
            ("ranking fit seconds", report.FitSeconds.ToString("0.00", CultureInfo.InvariantCulture), "<= 5"),
            ("prequential RMSE", F(report.Prequential.Rmse), "<= 0.93"),
            ("prequential MAE", F(report.Prequential.Mae), ""),
            ("prequential events/s", report.Prequential.EventsPerSecond.ToString("N0", CultureInfo.InvariantCulture), ">= 1,000,000"),
            ("cold-start item AUC", F(report.ColdStart.Auc), ">= 0.72"),
            ("transfer parent RMSE", F(report.Transfer.ParentRmse), ""),
            ("transfer fine-tuned RMSE", F(report.Transfer.FineTunedRmse), "< parent, < scratch"),
            ("transfer scratch-on-window RMSE", F(report.Transfer.ScratchWindowRmse), ""),
            ("transfer full-retrain RMSE", F(report.Transfer.FullRetrainRmse), ">= fine-tuned - 0.005"),
            ("fine-tune / full-retrain seconds", $"{report.Transfer.FineTuneSeconds:0.00} / {report.Transfer.FullRetrainSeconds:0.00}", "ratio <= 0.3"),
        };
        var width = rows.Max(r => r.Figure.Length);
        Console.WriteLine();
        Console.WriteLine($"{"figure".PadRight(width)}  {"value",12}  goal");
        foreach (var (figure, value, goal) in rows)
        {
            Console.WriteLine($"{figure.PadRight(width)}  {value,12}  {goal}");
        }
    }
}
