using System.Text.Json.Serialization;
using FuncRec.Core.Evaluation;

namespace FuncRec.Benchmarks.MlNet;

/// <summary>The side-by-side run as written to JSON (snake_case) and printed as a table.</summary>
internal sealed record ComparisonReport(
    string Protocol,
    MachineDescription Machine,
    SystemResult FuncRec,
    SystemResult MlNet,
    SystemResult Popularity,
    FuncRecOverMlNet Ratios,
    string RatingComparison,
    IReadOnlyList<string> Inequalities);

internal sealed record MachineDescription(int ProcessorCount, string Os, string Runtime, string MlNetVersion, string Note);

/// <summary>One system's figures under the protocol. Seconds are wall time in this process, single-threaded scoring.</summary>
internal sealed record SystemResult(
    string Name,
    string Model,
    string Configuration,
    [property: JsonPropertyName("precision_at_10")] double PrecisionAt10,
    [property: JsonPropertyName("recall_at_10")] double RecallAt10,
    [property: JsonPropertyName("f1_at_10")] double F1At10,
    [property: JsonPropertyName("ndcg_at_10")] double NdcgAt10,
    [property: JsonPropertyName("map_at_10")] double MapAt10,
    double CatalogCoverage,
    int Users,
    double FitSeconds,
    double ScoringSeconds,
    IReadOnlyDictionary<string, double> FitSecondsBreakdown)
{
    public static SystemResult From(string name, string model, string configuration, RankingReport report, double fitSeconds, double scoringSeconds, IReadOnlyDictionary<string, double>? breakdown = null)
        => new(name, model, configuration, report.Precision, report.Recall, report.F1, report.Ndcg, report.Map, report.Coverage, report.Users, fitSeconds, scoringSeconds, breakdown ?? new Dictionary<string, double>());
}

/// <summary>FuncRec's figure divided by ML.NET's: above 1 means FuncRec is higher (better for quality, slower for seconds).</summary>
internal sealed record FuncRecOverMlNet(
    [property: JsonPropertyName("precision_at_10")] double PrecisionAt10,
    [property: JsonPropertyName("recall_at_10")] double RecallAt10,
    [property: JsonPropertyName("ndcg_at_10")] double NdcgAt10,
    [property: JsonPropertyName("map_at_10")] double MapAt10,
    double FitSeconds,
    double ScoringSeconds)
{
    public static FuncRecOverMlNet Of(SystemResult funcRec, SystemResult mlNet) => new(
        funcRec.PrecisionAt10 / mlNet.PrecisionAt10,
        funcRec.RecallAt10 / mlNet.RecallAt10,
        funcRec.NdcgAt10 / mlNet.NdcgAt10,
        funcRec.MapAt10 / mlNet.MapAt10,
        funcRec.FitSeconds / mlNet.FitSeconds,
        funcRec.ScoringSeconds / mlNet.ScoringSeconds);
}
