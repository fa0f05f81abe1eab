using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using FuncRec.Core.Model;
using FuncRec.Core.Onnx;
using FuncRec.Core.Persistence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FuncRec.Application.Services;

/// <summary>A model version as the API lists it.</summary>
public sealed record ModelSummary(ModelManifest Manifest, bool Active);

/// <summary>The active model, what this instance serves, and the fine-tune cycle's adaptive state.</summary>
public sealed record CurrentModel(ActiveModelPointer? Pointer, ModelManifest? Manifest, string? ServedVersion, FineTuneControl? Control, double OnlineLearningRate, long OnlineEvents, double OnlineRecentLoss, int DriftAlarms);

/// <summary>Listing, activation (rollback) and publication of model versions.</summary>
public sealed class ModelService(
    IModelRegistry registry,
    IEventLog log,
    ModelHost host,
    OnlineLearningService online,
    IOptions<FuncRecOptions> options,
    TimeProvider clock,
    ILogger<ModelService> logger)
{
    public async Task<IReadOnlyList<ModelSummary>> ListAsync(CancellationToken cancellationToken)
    {
        var pointer = await registry.GetActiveAsync(cancellationToken);
        var manifests = await registry.ListAsync(cancellationToken);
        return manifests.OrderByDescending(m => m.CreatedAt).Select(m => new ModelSummary(m, m.Version == pointer?.Version)).ToArray();
    }

    public async Task<CurrentModel> CurrentAsync(CancellationToken cancellationToken)
    {
        var pointer = await registry.GetActiveAsync(cancellationToken);
        var manifest = pointer is null ? null : await registry.GetManifestAsync(pointer.Version, cancellationToken);
        var control = await registry.GetControlAsync(cancellationToken);
        return new CurrentModel(pointer, manifest, host.Current?.Version, control?.Value, online.Grid.BestRate, online.Observed, online.RecentLoss, online.DriftAlarms);
    }

    /// <summary>Makes a published version the active one (a rollback when it is older). Online state follows: each user's is re-derived for it.</summary>
    public async Task<ActiveModelPointer> ActivateAsync(string version, CancellationToken cancellationToken)
    {
        if (await registry.GetManifestAsync(version, cancellationToken) is null)
        {
            throw new NotFoundError("version", $"model version '{version}' does not exist");
        }

        for (var attempt = 0; attempt < 10; attempt++)
        {
            var pointer = await registry.GetActiveAsync(cancellationToken);
            if (pointer?.Version == version || await registry.TryActivateAsync(version, pointer?.ETag, cancellationToken))
            {
                await host.RefreshAsync(cancellationToken);
                logger.LogInformation("Activated model {Version}", version);
                return await registry.GetActiveAsync(cancellationToken) ?? throw new UnavailableError("The active pointer vanished after activation.");
            }
        }

        throw new UnavailableError("The active model kept changing; retry the activation.");
    }

    /// <summary>
    /// Publishes a model trained elsewhere (e.g. <c>funcrec train</c> on an imported history) as a new version and,
    /// unless told otherwise, activates it. It knows nothing of this deployment's event log, so the first
    /// fine-tune after it trains on everything logged so far.
    /// </summary>
    public async Task<ModelManifest> PublishAsync(RecommenderModel model, string kind, bool activate, IReadOnlyDictionary<string, double>? metrics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.EnsureFitted();
        var expected = ServiceSchema.Create(options.Value.Model);
        if (model.Schema.Hash != expected.Hash || model.Loss != options.Value.Model.Loss)
        {
            throw new ValidationError("model", $"the model's feature schema or loss ({model.Loss}) does not match this service's configuration ({options.Value.Model.Loss}); train it with the service's schema");
        }

        var version = $"v{clock.GetUtcNow():yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        var manifest = new ModelManifest
        {
            Version = version,
            Kind = kind,
            CreatedAt = clock.GetUtcNow(),
            SchemaHash = model.Schema.Hash,
            Rank = model.Rank,
            Loss = model.Loss.ToString(),
            DataWindow = new DataWindow(),
            Metrics = metrics?.ToDictionary() ?? [],
            Decision = "published by an operator",
            TrainedEvents = model.TrainedEvents,
        };
        await registry.PublishAsync(new ModelArtifacts(manifest, ModelSerializer.ToBytes(model), OnnxModelExporter.Export(model, version)), cancellationToken);
        if (activate)
        {
            await ActivateAsync(version, cancellationToken);
        }

        return manifest;
    }

    /// <summary>Event log and queue state for health checks.</summary>
    public Task<string?> LogEndAsync(CancellationToken cancellationToken) => log.GetSettledEndAsync(cancellationToken);
}
