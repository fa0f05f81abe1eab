using FuncRec.Application.Contracts;
using FuncRec.Core.Model;
using FuncRec.Serving;

namespace FuncRec.Application.Services;

/// <summary>
/// One active model version as an instance serves it: the parameters (feature space, encoder), the ONNX
/// session that computes scores, and the item catalog's vectors under this model. Immutable apart from the
/// catalog, which takes new items at once; swapped as a whole when another version becomes active.
/// <para>
/// Reference counted: the host holds one reference (given up by <see cref="Dispose"/> when it swaps the model
/// out), and each request that scores takes one through <see cref="ModelHost.Acquire"/>, so the ONNX session is
/// freed only after the last request that picked this version has finished with it.
/// </para>
/// </summary>
public sealed class ServingModel : IDisposable
{
    private int _references = 1;
    private int _hostReleased;

    public ServingModel(ModelManifest manifest, RecommenderModel model, OnnxScorer scorer, ItemCatalog catalog)
    {
        Manifest = manifest;
        Model = model;
        Scorer = scorer;
        Catalog = catalog;
        Behaviour = new BehaviourRows(model.Encoder);
    }

    public ModelManifest Manifest { get; }

    public string Version => Manifest.Version;

    public RecommenderModel Model { get; }

    public OnnxScorer Scorer { get; }

    public ItemCatalog Catalog { get; }

    /// <summary>Users' Behaviour rows under this model, kept between encodings (<see cref="UserFeatures"/>).</summary>
    internal BehaviourRows Behaviour { get; }

    /// <summary>Apply time of the last event this model was trained on; later events are replayed onto its online state.</summary>
    public DateTimeOffset? TrainedUntil => Manifest.DataWindow.EndAppliedAt;

    /// <summary>Takes a reference unless the model is already retired (then the caller reads the host's current model again).</summary>
    internal bool TryAddReference()
    {
        while (true)
        {
            var references = Volatile.Read(ref _references);
            if (references == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, references + 1, references) == references)
            {
                return true;
            }
        }
    }

    internal void ReleaseReference()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Scorer.Dispose();
        }
    }

    /// <summary>Gives up the host's reference (once); the session goes when the requests using it are done.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _hostReleased, 1) == 0)
        {
            ReleaseReference();
        }
    }
}

/// <summary>A request's hold on the model it scores with (see <see cref="ModelHost.Acquire"/>); empty when there is no model yet.</summary>
public readonly struct ModelLease : IDisposable
{
    internal ModelLease(ServingModel? model) => Model = model;

    public ServingModel? Model { get; }

    public void Dispose() => Model?.ReleaseReference();
}
