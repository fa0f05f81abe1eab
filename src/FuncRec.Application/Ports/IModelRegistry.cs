using FuncRec.Application.Contracts;

namespace FuncRec.Application.Ports;

/// <summary>
/// Immutable model versions (<c>models/{version}/</c>: parameters, ONNX graph, manifest) and the active pointer
/// (<c>models/current.json</c>) flipped with a compare-and-swap on its ETag.
/// </summary>
public interface IModelRegistry
{
    Task<ActiveModelPointer?> GetActiveAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<ModelManifest>> ListAsync(CancellationToken cancellationToken);

    Task<ModelManifest?> GetManifestAsync(string version, CancellationToken cancellationToken);

    Task<ModelArtifacts?> LoadAsync(string version, CancellationToken cancellationToken);

    /// <summary>Stores a new version; throws <see cref="InvalidOperationException"/> if the version exists (versions never change).</summary>
    Task PublishAsync(ModelArtifacts artifacts, CancellationToken cancellationToken);

    /// <summary>
    /// Points <c>current</c> at <paramref name="version"/> if the pointer still has <paramref name="expectedETag"/>
    /// (null: only if no pointer exists). False when someone else moved it first.
    /// </summary>
    Task<bool> TryActivateAsync(string version, string? expectedETag, CancellationToken cancellationToken);

    /// <summary>The fine-tune cycle's adaptive state with its concurrency token (null before the first cycle).</summary>
    Task<Versioned<FineTuneControl>?> GetControlAsync(CancellationToken cancellationToken);

    /// <summary>Stores the control state if it still has <paramref name="expectedETag"/> (null: only if none exists); false when it changed meanwhile.</summary>
    Task<bool> TrySaveControlAsync(FineTuneControl control, string? expectedETag, CancellationToken cancellationToken);
}
