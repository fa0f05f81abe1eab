namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>
/// Settings that make a host fast and deterministic under test: the scheduled fine-tune far in the future (cycles
/// run only when a test asks), no drift-triggered cycles, a small model, a quick model refresh.
/// </summary>
public static class HostSettings
{
    public static Dictionary<string, string?> Fast(params (string Key, string Value)[] overrides)
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["FuncRecFineTuneSchedule"] = "0 0 0 1 1 *",
            ["FuncRec:FineTune:MinEvents"] = "20",
            ["FuncRec:FineTune:FineTuneOnDrift"] = "false",
            ["FuncRec:Serving:ModelRefreshSeconds"] = "1",
            ["FuncRec:Model:Rank"] = "16",
            ["FuncRec:Model:Epochs"] = "8",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Fast settings for hosts that share one data directory with another host (each checks stored versions before trusting its cache).</summary>
    public static Dictionary<string, string?> Shared() => Fast(("FuncRec:Embedded:ExclusiveDataDirectory", "false"));

    /// <summary>The same settings as environment variables for a <c>funcrec serve</c> process (<c>:</c> becomes <c>__</c>).</summary>
    public static Dictionary<string, string> AsEnvironment(IReadOnlyDictionary<string, string?> settings)
        => settings.Where(s => s.Value is not null).ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!, StringComparer.Ordinal);
}
