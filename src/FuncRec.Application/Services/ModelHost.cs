using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using FuncRec.Core.Features;
using FuncRec.Core.Model;
using FuncRec.Core.Onnx;
using FuncRec.Core.Persistence;
using FuncRec.Serving;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FuncRec.Application.Services;

/// <summary>
/// Keeps this instance's view of the active model and the item catalog current. <see cref="RefreshAsync"/>
/// (called on a timer by every host, and at once after a publish or rollback here) loads a newly active version
/// and swaps it in atomically: requests already running finish on the old one, new requests get the new one,
/// none is dropped. Items changed elsewhere are picked up by the same refresh.
/// </summary>
public sealed class ModelHost : IDisposable
{
    private readonly IModelRegistry _registry;
    private readonly IItemStore _items;
    private readonly ILogger<ModelHost> _logger;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private readonly IServingModelWarmup[] _warmups;
    private readonly Dictionary<string, ItemDocument> _directory = new(StringComparer.Ordinal);
    private readonly Lock _directoryLock = new();
    private ServingModel? _current;

    // A model being warmed before it is swapped in: item changes meanwhile reach it too, and forgotten users leave it.
    private ServingModel? _warming;
    private volatile bool _disposed;
    private DateTimeOffset? _itemsSyncedAt;
    private string? _failedVersion;

    public ModelHost(IModelRegistry registry, IItemStore items, IOptions<FuncRecOptions> options, ILogger<ModelHost> logger, TimeProvider clock, IEnumerable<IServingModelWarmup>? warmups = null)
    {
        _warmups = warmups?.ToArray() ?? [];
        _registry = registry;
        _items = items;
        _logger = logger;
        _clock = clock;
        RefreshInterval = TimeSpan.FromSeconds(options.Value.Serving.ModelRefreshSeconds);
    }

    public TimeSpan RefreshInterval { get; }

    /// <summary>The model served now, or null before any model exists.</summary>
    public ServingModel? Current => Volatile.Read(ref _current);

    /// <summary>
    /// The current model, held until the lease is disposed: a swap meanwhile does not free its ONNX session under
    /// the request. Use it wherever the scorer is called; <see cref="Current"/> suffices for the parameters alone.
    /// </summary>
    public ModelLease Acquire()
    {
        while (true)
        {
            var model = Current;
            if (model is null || model.TryAddReference())
            {
                return new ModelLease(model);
            }

            // Retired between the read and the reference: the swap has already published its successor.
        }
    }

    /// <summary>When the last successful refresh finished.</summary>
    public DateTimeOffset? LastRefresh { get; private set; }

    /// <summary>The catalog as this instance knows it (id → item), for popularity serving and catalog rebuilds.</summary>
    public IReadOnlyDictionary<string, ItemDocument> ItemDirectory
    {
        get
        {
            lock (_directoryLock)
            {
                return new Dictionary<string, ItemDocument>(_directory, StringComparer.Ordinal);
            }
        }
    }

    public bool TryGetItem(string id, out ItemDocument? item)
    {
        lock (_directoryLock)
        {
            return _directory.TryGetValue(id, out item);
        }
    }

    /// <summary>Loads the active model if it changed and syncs items changed since the last refresh.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            if (_disposed)
            {
                // A model loaded now would never be freed: the host has let go of its models for good.
                return;
            }

            await SyncItemsAsync(cancellationToken);
            var pointer = await _registry.GetActiveAsync(cancellationToken);
            var current = Current;
            if (pointer is null)
            {
                if (current is not null)
                {
                    Swap(null);
                }
            }
            else if (current?.Version != pointer.Version && _failedVersion != pointer.Version)
            {
                await LoadAsync(pointer.Version, cancellationToken);
            }

            LastRefresh = _clock.GetUtcNow();
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>Adds or changes an item in this instance's catalog at once (other instances see it at their next refresh).</summary>
    public void UpsertItem(ItemDocument item)
    {
        ServingModel? current, warming;
        lock (_directoryLock)
        {
            _directory[item.Id] = item;
            (current, warming) = (Current, _warming);
        }

        current?.Catalog.Upsert(new EntityProfile(item.Id, item.Features));
        warming?.Catalog.Upsert(new EntityProfile(item.Id, item.Features));
    }

    /// <summary>Makes an item known (met in an event) without replacing features it may already have.</summary>
    public void EnsureItem(string id, DateTimeOffset now)
    {
        ServingModel? current, warming;
        lock (_directoryLock)
        {
            if (_directory.ContainsKey(id))
            {
                return;
            }

            _directory[id] = new ItemDocument { Id = id, UpdatedAt = now };
            (current, warming) = (Current, _warming);
        }

        current?.Catalog.Upsert(new EntityProfile(id));
        warming?.Catalog.Upsert(new EntityProfile(id));
    }

    /// <summary>Drops what the served model, and one being warmed, keep for a forgotten user.</summary>
    public void ForgetUser(string userId)
    {
        ServingModel? current, warming;
        lock (_directoryLock)
        {
            (current, warming) = (Current, _warming);
        }

        current?.Behaviour.Forget(userId);
        warming?.Behaviour.Forget(userId);
    }

    /// <summary>
    /// Frees the served model (once the calls in flight end) and keeps any later one from being served: a model that a
    /// refresh under way is warming is freed when its warm-up ends. The refresh gate is left to the collector: a
    /// refresh under way still releases it.
    /// </summary>
    public void Dispose()
    {
        // Under the lock a warming model is swapped in under: either it is swapped in first and freed here, or it
        // finds the host disposed and frees itself.
        lock (_directoryLock)
        {
            _disposed = true;
            Swap(null);
        }
    }

    /// <summary>
    /// The scorer for a model's ONNX file. A file of an older scoring-graph format (a model published before the
    /// format changed) is exported again from the model's parameters, which is what the published graph was made
    /// from: an older deployment's models keep serving and can still be rolled back to. The export is made again at
    /// each load (it is not published back). Any other mismatch is refused as before.
    /// </summary>
    private OnnxScorer CreateScorer(string version, byte[] onnx, RecommenderModel model)
    {
        try
        {
            return new OnnxScorer(onnx, model);
        }
        catch (IncompatibleOnnxModelException exception) when (exception.OlderFormat)
        {
            _logger.LogWarning(exception, "Model {Version}'s ONNX file has an older scoring-graph format; serving a fresh export of its parameters", version);
            return new OnnxScorer(OnnxModelExporter.Export(model, version), model);
        }
    }

    private async Task LoadAsync(string version, CancellationToken cancellationToken)
    {
        var artifacts = await _registry.LoadAsync(version, cancellationToken);
        if (_disposed)
        {
            // Disposed while the files were read: a model built now would only be freed again.
            return;
        }

        if (artifacts is null)
        {
            _logger.LogError("The active model {Version} has no files in the registry; keeping the current one", version);
            _failedVersion = version;
            return;
        }

        try
        {
            var model = ModelSerializer.FromBytes(artifacts.Parameters);
            var scorer = CreateScorer(version, artifacts.Onnx, model);
            ServingModel next;
            ItemCatalog catalog;
            try
            {
                catalog = new ItemCatalog(model, new ItemCatalogOptions { CategoryField = "category" });
                lock (_directoryLock)
                {
                    // The catalog's snapshot and the registration as the model being warmed are one step, so every item
                    // change after the snapshot also reaches the new model (UpsertItem, EnsureItem).
                    catalog.UpsertMany(_directory.Values.Select(item => new EntityProfile(item.Id, item.Features)));
                    next = new ServingModel(artifacts.Manifest, model, scorer, catalog);
                    _warming = next;
                }
            }
            catch
            {
                // Until the serving model owns it, the scorer's native session is ours to free.
                scorer.Dispose();
                throw;
            }

            try
            {
                await WarmAsync(next, cancellationToken);
            }
            finally
            {
                lock (_directoryLock)
                {
                    _warming = null;
                    if (_disposed)
                    {
                        // The host was disposed during the warm-up: the model is never served.
                        next.Dispose();
                    }
                    else
                    {
                        Swap(next);
                    }
                }
            }

            _failedVersion = null;
            _logger.LogInformation("Serving model {Version} ({Items} items)", version, catalog.Current.Count);
        }
        catch (Exception exception) when (exception is InvalidDataException or IncompatibleOnnxModelException)
        {
            // A broken version must not take serving down: keep the previous model and say why.
            _failedVersion = version;
            _logger.LogError(exception, "The active model {Version} cannot be loaded; keeping the current one", version);
        }
    }

    /// <summary>Runs the host's warm-ups on a model not yet served; a failed warm-up leaves the model cold, not unserved.</summary>
    private async Task WarmAsync(ServingModel next, CancellationToken cancellationToken)
    {
        foreach (var warmup in _warmups)
        {
            try
            {
                await warmup.WarmAsync(next, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                _logger.LogWarning(exception, "Warming model {Version} failed; serving it cold", next.Version);
            }
        }
    }

    private async Task SyncItemsAsync(CancellationToken cancellationToken)
    {
        var started = _clock.GetUtcNow();

        // Re-read a little overlap: clocks of writers on other instances may lag ours.
        var since = _itemsSyncedAt?.AddMinutes(-2);
        var changed = await _items.ListChangedSinceAsync(since, cancellationToken);
        var updates = new List<EntityProfile>();
        lock (_directoryLock)
        {
            foreach (var item in changed)
            {
                if (_directory.TryGetValue(item.Id, out var known) && known.UpdatedAt >= item.UpdatedAt)
                {
                    continue;
                }

                _directory[item.Id] = item;
                updates.Add(new EntityProfile(item.Id, item.Features));
            }
        }

        // One batch: replacing items copies the catalog's arrays once, not once per item.
        if (updates.Count > 0)
        {
            Current?.Catalog.UpsertMany(updates);
        }

        _itemsSyncedAt = started;
    }

    private void Swap(ServingModel? next)
    {
        var previous = Interlocked.Exchange(ref _current, next);

        // The scorer frees its session only when the calls in flight have finished, so this never drops a request.
        previous?.Dispose();
    }
}
