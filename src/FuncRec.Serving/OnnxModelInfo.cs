using System.Globalization;
using FuncRec.Core.Model;
using FuncRec.Core.Onnx;
using Keys = FuncRec.Core.Onnx.OnnxScoringGraph.MetadataKeys;

namespace FuncRec.Serving;

/// <summary>What an exported model says about itself in its metadata_props (see <see cref="OnnxScoringGraph.MetadataKeys"/>).</summary>
/// <param name="Version">The version string given at export.</param>
/// <param name="SchemaHash">The feature schema the user rows must be encoded under.</param>
/// <param name="Rank">Length of the user and item vectors.</param>
/// <param name="FormatVersion">Version of the graph contract.</param>
/// <param name="Loss">The loss the model was trained with.</param>
/// <param name="MinValue">Lowest rating a caller should clip a score to; null for ranking models.</param>
/// <param name="MaxValue">Highest rating a caller should clip a score to; null for ranking models.</param>
/// <param name="UserRows">User-table rows baked into the graph; later rows count for nothing.</param>
/// <param name="TrainedEvents">Interactions the model was trained on when exported.</param>
public sealed record OnnxModelInfo(
    string Version,
    string SchemaHash,
    int Rank,
    int FormatVersion,
    LossKind Loss,
    float? MinValue,
    float? MaxValue,
    int UserRows,
    long TrainedEvents)
{
    /// <summary>Reads the metadata of an exported model; a missing or malformed key is an <see cref="IncompatibleOnnxModelException"/>.</summary>
    public static OnnxModelInfo Read(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return new OnnxModelInfo(
            Required(metadata, Keys.Version),
            Required(metadata, Keys.SchemaHash),
            Parse(metadata, Keys.Rank, int.Parse),
            Parse(metadata, Keys.FormatVersion, int.Parse),
            Enum.TryParse<LossKind>(Required(metadata, Keys.Loss), out var loss) && Enum.IsDefined(loss)
                ? loss
                : throw Malformed(Keys.Loss, metadata[Keys.Loss]),
            metadata.ContainsKey(Keys.MinValue) ? Parse(metadata, Keys.MinValue, float.Parse) : null,
            metadata.ContainsKey(Keys.MaxValue) ? Parse(metadata, Keys.MaxValue, float.Parse) : null,
            Parse(metadata, Keys.UserRows, int.Parse),
            Parse(metadata, Keys.TrainedEvents, long.Parse));
    }

    private static string Required(IReadOnlyDictionary<string, string> metadata, string key)
        => metadata.TryGetValue(key, out var value) && !string.IsNullOrEmpty(value)
            ? value
            : throw new IncompatibleOnnxModelException($"The ONNX model has no '{key}' metadata: it was not exported by FuncRec's OnnxModelExporter.");

    private static T Parse<T>(IReadOnlyDictionary<string, string> metadata, string key, Func<string, IFormatProvider, T> parse)
    {
        var text = Required(metadata, key);
        try
        {
            return parse(text, CultureInfo.InvariantCulture);
        }
        catch (FormatException)
        {
            throw Malformed(key, text);
        }
        catch (OverflowException)
        {
            throw Malformed(key, text);
        }
    }

    private static IncompatibleOnnxModelException Malformed(string key, string value)
        => new($"The ONNX model's '{key}' metadata is malformed: '{value}'.");
}
