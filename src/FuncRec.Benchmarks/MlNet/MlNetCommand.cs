using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using FuncRec.Core.Data;

namespace FuncRec.Benchmarks.MlNet;

/// <summary><c>mlnet --movielens DIR [--out FILE] [--ffm-iterations N] [--ffm-latent N] [--ffm-learning-rate X] [--ffm-lambda X] [--negatives N]</c>: FuncRec and ML.NET side by side on MovieLens 100K.</summary>
internal static class MlNetCommand
{
    public const string Usage = "mlnet --movielens DIR [--out FILE] [--ffm-iterations N] [--ffm-latent N] [--ffm-learning-rate X] [--ffm-lambda X] [--negatives N]";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static int Run(IReadOnlyList<string> args)
    {
        string? movieLens = null;
        string? output = null;
        var options = new FfmRankerOptions();
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new UsageException($"{args[i]} needs a value.");
            int Number() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new UsageException($"{args[i - 1]} needs a whole number.");
            float Real() => float.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x : throw new UsageException($"{args[i - 1]} needs a number.");
            switch (args[i])
            {
                case "--movielens": movieLens = Value(); break;
                case "--out": output = Value(); break;
                case "--ffm-iterations": options = options with { Iterations = Number() }; break;
                case "--ffm-latent": options = options with { LatentDimension = Number() }; break;
                case "--ffm-learning-rate": options = options with { LearningRate = Real() }; break;
                case "--ffm-lambda": options = options with { Lambda = Real() }; break;
                case "--negatives": options = options with { NegativesPerPositive = Number() }; break;
                default: throw new UsageException($"Unknown option '{args[i]}'.");
            }
        }

        if (movieLens is null)
        {
            throw new UsageException("--movielens is required.");
        }

        try
        {
            options.Validate();
        }
        catch (ArgumentException exception)
        {
            throw new UsageException(exception.Message);
        }

        var directory = Path.GetFullPath(movieLens);
        if (!MovieLens100K.IsPresent(directory))
        {
            Console.Error.WriteLine($"No MovieLens 100K files in '{directory}' (expected u.data, u.user, u.item).");
            return 2;
        }

        var data = MovieLens100K.Load(directory);
        var report = new MlNetComparison(data, options).Run(step => Console.WriteLine($"… {step}"));
        Print(report);
        if (output is not null)
        {
            var path = Path.GetFullPath(output);
            File.WriteAllText(path, JsonSerializer.Serialize(report, Json));
            Console.WriteLine($"Wrote {path}");
        }

        return 0;
    }

    private static void Print(ComparisonReport report)
    {
        static string F(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);
        static string S(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);
        static string R(double value) => value.ToString("0.00", CultureInfo.InvariantCulture) + "x";
        var (f, m, p, r) = (report.FuncRec, report.MlNet, report.Popularity, report.Ratios);
        var rows = new (string Figure, string FuncRec, string MlNet, string Ratio, string Popularity)[]
        {
            ("precision@10", F(f.PrecisionAt10), F(m.PrecisionAt10), R(r.PrecisionAt10), F(p.PrecisionAt10)),
            ("recall@10", F(f.RecallAt10), F(m.RecallAt10), R(r.RecallAt10), F(p.RecallAt10)),
            ("NDCG@10", F(f.NdcgAt10), F(m.NdcgAt10), R(r.NdcgAt10), F(p.NdcgAt10)),
            ("MAP@10", F(f.MapAt10), F(m.MapAt10), R(r.MapAt10), F(p.MapAt10)),
            ("catalog coverage@10", F(f.CatalogCoverage), F(m.CatalogCoverage), R(f.CatalogCoverage / m.CatalogCoverage), F(p.CatalogCoverage)),
            ("fit seconds", S(f.FitSeconds), S(m.FitSeconds), R(r.FitSeconds), ""),
            ("scoring seconds (1 thread)", S(f.ScoringSeconds), S(m.ScoringSeconds), R(r.ScoringSeconds), ""),
        };
        var width = rows.Max(row => row.Figure.Length);
        Console.WriteLine();
        Console.WriteLine($"{report.FuncRec.Users} users; {report.Machine.ProcessorCount} cores; {report.Machine.Runtime}; ML.NET {report.Machine.MlNetVersion}");
        Console.WriteLine($"{"figure".PadRight(width)}  {"FuncRec BPR",12}  {"ML.NET FFM",12}  {"FuncRec/ML.NET",14}  {"popularity",10}");
        foreach (var (figure, funcRec, mlNet, ratio, popularity) in rows)
        {
            Console.WriteLine($"{figure.PadRight(width)}  {funcRec,12}  {mlNet,12}  {ratio,14}  {popularity,10}");
        }

        Console.WriteLine();
        Console.WriteLine($"Explicit ratings: {report.RatingComparison}.");
    }
}
