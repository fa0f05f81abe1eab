using FuncRec.Application.Contracts;
using FuncRec.Core.Model;
using FuncRec.Serving;

namespace FuncRec.Application.Services;

/// <summary>
/// One active model version as an instance serves it: the parameters (feature space, encoder), the ONNX
/// session that computes scores, and the item catalog's vectors under this model. Immutable apart from the
/// catalog, which takes new items at once; swapped as a whole when another version becomes active.
/// </summary>
public sealed class ServingModel : IDisposable
{
    public ServingModel(ModelManifest manifest, RecommenderModel model, OnnxScorer scorer, ItemCatalog catalog)
    {
        Manifest = manifest;
        Model = model;
        Scorer = scorer;
        Catalog = catalog;
    }

    public ModelManifest Manifest { get; }

    public string Version => Manifest.Version;

    public RecommenderModel Model { get; }

    public OnnxScorer Scorer { get; }

    public ItemCatalog Catalog { get; }

    /// <summary>Apply time of the last event this model was trained on; later events are replayed onto its online state.</summary>
    public DateTimeOffset? TrainedUntil => Manifest.DataWindow.EndAppliedAt;

    public void Dispose() => Scorer.Dispose();
}
