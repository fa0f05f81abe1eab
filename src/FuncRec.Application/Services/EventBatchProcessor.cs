using System.Runtime.InteropServices;
using System.Text.Json;
using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using FuncRec.Core.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FuncRec.Application.Services;

/// <summary>What applying one batch did.</summary>
public sealed record BatchOutcome(string BatchId, int Events, int Applied, int Duplicates, int Dropped, int Users, bool DriftDetected);

/// <summary>
/// Applies one event batch (one queue message): per user, online SGD on their state against the active model,
/// their recent interactions and event count, all in one optimistic-concurrency write of their document; then
/// the batch goes to the event log. Delivery is at least once and consumers run in parallel, so:
/// <list type="bullet">
/// <item>an event id already in the user's applied ids is skipped (a redelivered or re-posted event applies nothing twice);</item>
/// <item>a write that loses an ETag race re-reads the document and applies only what is still new, so concurrent
/// batches for one user never lose an update and the result equals some sequential order;</item>
/// <item>the log append is idempotent per batch id, and a redelivered batch logs what it applied on its earlier attempt;</item>
/// <item>a message that can never apply throws <see cref="PoisonMessageException"/> at once; anything else is transient
/// and the queue retries it.</item>
/// </list>
/// </summary>
public sealed class EventBatchProcessor(
    IUserStore users,
    IItemStore items,
    IEventLog log,
    IModelRegistry registry,
    ModelHost host,
    OnlineLearningService onlineLearning,
    PopularityService popularity,
    IOptions<FuncRecOptions> options,
    TimeProvider clock,
    ILogger<EventBatchProcessor> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly FuncRecOptions _options = options.Value;
    private readonly EventParser _parser = new(options.Value.Ingest);

    /// <summary>Reads a queue message; anything that is not a valid batch is poison (retrying cannot fix it).</summary>
    public EventBatch Parse(string message)
    {
        EventBatch? batch;
        try
        {
            batch = JsonSerializer.Deserialize<EventBatch>(message, Json);
        }
        catch (JsonException exception)
        {
            throw new PoisonMessageException($"The message is not a JSON event batch: {exception.Message}", exception);
        }

        if (batch is null || string.IsNullOrWhiteSpace(batch.BatchId) || batch.Events is null)
        {
            throw new PoisonMessageException("The message lacks a batch id or its events.");
        }

        for (var i = 0; i < batch.Events.Count; i++)
        {
            var e = batch.Events[i];
            if (e is null || _parser.IdProblem(e.EventId) is not null || _parser.IdProblem(e.UserId) is not null || _parser.IdProblem(e.ItemId) is not null
                || !Core.Data.EventTypes.IsKnown(e.Type) || (e.Value is { } v && !float.IsFinite(v)))
            {
                throw new PoisonMessageException($"Event {i} of batch {batch.BatchId} is invalid (ids, type or value).");
            }
        }

        return batch;
    }

    public Task<BatchOutcome> ApplyAsync(EventBatch batch, CancellationToken cancellationToken) => ApplyAsync(batch, background: null, cancellationToken);

    /// <param name="background">
    /// Where the users' learning runs, when not on the caller's threads: the local host's consumer runs it on
    /// lowered threads so that requests go first (<see cref="BackgroundPriorityScheduler"/>). Only the learning
    /// (<see cref="Plan"/>) runs there: the reads of the users' documents before it, and every write after it,
    /// stay on the caller's threads.
    /// </param>
    public async Task<BatchOutcome> ApplyAsync(EventBatch batch, BackgroundPriorityScheduler? background, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (host.LastRefresh is null)
        {
            // A cold instance (a new Functions worker, a host just started) may be handed a batch before its refresh
            // service has looked for the active model; applied without it, the events would miss their online
            // update for good. A failed refresh throws, and the queue retries the batch.
            await host.RefreshAsync(cancellationToken);
        }

        var model = host.Current;
        var now = clock.GetUtcNow();
        var groups = batch.Events.Select((e, index) => (e, index)).GroupBy(x => x.e.UserId, StringComparer.Ordinal).ToArray();
        var eventsOf = groups.Select(group => group.Select(x => x.e).ToArray()).ToArray();
        var outcomes = new UserOutcome[groups.Length];
        var plans = new UserPlan[groups.Length];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.Online.UserParallelism, CancellationToken = cancellationToken };

        // Read and learn for every user of the batch, then store all their documents in one round (one transaction
        // locally, concurrent writes on Cosmos); only users whose document changed meanwhile take the slow path.
        // A user whose state cannot be read (a transient store fault) must not hold back the others: their events
        // are applied, and the batch then fails so that the queue retries it (what was applied is recognised then).
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        if (background is null)
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, groups.Length), parallel, async (g, token) =>
            {
                try
                {
                    var stored = await users.GetAsync(groups[g].Key, token);
                    plans[g] = Plan(model, batch, groups[g].Key, eventsOf[g], stored, now);
                }
                catch (Exception failure) when (failure is not OperationCanceledException)
                {
                    failures.Enqueue(failure);
                }
            });
        }
        else
        {
            // The reads at normal priority (a read may wait on the network, a file, or the store's locks, which a
            // lowered thread would hold until the processors are free), then only the learning on the lowered threads.
            var stored = new Versioned<UserDocument>?[groups.Length];
            var read = new bool[groups.Length];
            await Parallel.ForEachAsync(Enumerable.Range(0, groups.Length), parallel, async (g, token) =>
            {
                try
                {
                    stored[g] = await users.GetAsync(groups[g].Key, token);
                    read[g] = true;
                }
                catch (Exception failure) when (failure is not OperationCanceledException)
                {
                    failures.Enqueue(failure);
                }
            });

            // Items the model has not met join its catalog here, as learning would add them: the catalog's write
            // lock is one that requests take too, and a lowered thread holding it would make them wait.
            if (model is not null)
            {
                foreach (var e in batch.Events.Where(e => onlineLearning.Targets.TargetOf(e) is not null))
                {
                    OnlineLearningService.CatalogIndexOf(model, e.ItemId);
                }
            }

            // Named: the loop ran its bodies on the thread pool when its options named no scheduler, even started
            // from a lowered thread (BackgroundPrioritySchedulerTests checks where they run).
            var learning = new ParallelOptions { MaxDegreeOfParallelism = parallel.MaxDegreeOfParallelism, CancellationToken = cancellationToken, TaskScheduler = background };
            await background.RunAsync(() => Parallel.ForEachAsync(Enumerable.Range(0, groups.Length).Where(g => read[g]), learning, (g, _) =>
            {
                try
                {
                    plans[g] = Plan(model, batch, groups[g].Key, eventsOf[g], stored[g], now);
                }
                catch (Exception failure) when (failure is not OperationCanceledException)
                {
                    failures.Enqueue(failure);
                }

                return ValueTask.CompletedTask;
            }));
        }

        var writes = Enumerable.Range(0, groups.Length).Where(g => plans[g]?.Updated is not null).ToArray();
        var conflicts = new List<int>();
        for (var g = 0; g < groups.Length; g++)
        {
            outcomes[g] = plans[g]?.Outcome ?? new UserOutcome(new HashSet<string>(), 0, 0, 0, []);
        }

        try
        {
            var results = await users.TryWriteManyAsync(writes.Select(g => (plans[g].Updated!, plans[g].ExpectedETag)).ToArray(), cancellationToken);
            conflicts.AddRange(writes.Where((g, w) => results[w] is null));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // One user's failure must not hold back the others: apply them one by one, then fail the batch for a retry.
            logger.LogWarning(exception, "Writing batch {BatchId} in one round failed; applying its users one by one", batch.BatchId);
            await Parallel.ForEachAsync(writes, parallel, async (g, token) =>
            {
                try
                {
                    outcomes[g] = await ApplyUserAsync(model, batch, groups[g].Key, eventsOf[g], now, token);
                }
                catch (Exception failure) when (failure is not OperationCanceledException)
                {
                    failures.Enqueue(failure);
                }
            });
        }

        await Parallel.ForEachAsync(conflicts, parallel, async (g, token) =>
            outcomes[g] = await ApplyUserAsync(model, batch, groups[g].Key, eventsOf[g], now, token));

        if (failures.Count == 1 && failures.TryPeek(out var only))
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(only);
        }

        if (!failures.IsEmpty)
        {
            throw new AggregateException($"Batch {batch.BatchId} could not be applied for {failures.Count} users.", failures);
        }

        await EnsureItemsAsync(batch, now, cancellationToken);

        var logged = groups.Zip(outcomes).SelectMany(pair => pair.First.Where(x => pair.Second.Logged.Contains(x.e.EventId)))
            .OrderBy(x => x.index).Select(x => x.e).ToArray();
        await log.AppendAsync(new AppliedBatch { BatchId = batch.BatchId, AppliedAt = now, Events = logged }, cancellationToken);

        // Observations count only once the state they came from is stored (a lost write race retries the learning).
        var drift = false;
        foreach (var losses in outcomes.SelectMany(o => o.Losses))
        {
            drift |= onlineLearning.Observe(losses);
        }

        popularity.Record(logged, onlineLearning.Targets);
        if (drift && _options.FineTune.FineTuneOnDrift)
        {
            logger.LogWarning("Drift detected in the prequential error; asking for an early fine-tune");
            await RequestFineTuneAsync("drift detected in the prequential error", now, cancellationToken);
        }

        var outcome = new BatchOutcome(
            batch.BatchId,
            batch.Events.Count,
            outcomes.Sum(o => o.Applied),
            outcomes.Sum(o => o.Duplicates),
            outcomes.Sum(o => o.Dropped),
            groups.Length,
            drift);
        // Debug: one line per batch would cost the console host more than applying small batches does.
        logger.LogDebug(
            "Applied batch {BatchId}: {Applied} applied, {Duplicates} duplicates, {Dropped} dropped for {Users} users",
            batch.BatchId, outcome.Applied, outcome.Duplicates, outcome.Dropped, outcome.Users);
        return outcome;
    }

    /// <summary>The slow path: read, plan and write one user until the write wins (another writer changed the document).</summary>
    private async Task<UserOutcome> ApplyUserAsync(ServingModel? model, EventBatch batch, string userId, AcceptedEvent[] events, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var maxAttempts = _options.Online.MaxWriteAttempts;
        for (var attempt = 1; attempt <= maxAttempts; attempt++)
        {
            var plan = Plan(model, batch, userId, events, await users.GetAsync(userId, cancellationToken), now);
            // As one of many: a store that writes batches behind (the embedded one) need not store this one apart.
            if (plan.Updated is null || (await users.TryWriteManyAsync([(plan.Updated, plan.ExpectedETag)], cancellationToken))[0] is not null)
            {
                return plan.Outcome;
            }

            logger.LogDebug("Write conflict on user {UserId} (attempt {Attempt}); re-reading", userId, attempt);
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(50, attempt * 2) * Random.Shared.NextDouble()), cancellationToken);
        }

        throw new InvalidOperationException($"User {userId} kept changing under {maxAttempts} attempts; the batch will be retried.");
    }

    /// <summary>
    /// What applying a user's events of the batch to their stored document means: which events are new (not yet
    /// applied), which to log, and the document to write (null when nothing is new). Pure: nothing is stored here.
    /// </summary>
    private UserPlan Plan(ServingModel? model, EventBatch batch, string userId, AcceptedEvent[] events, Versioned<UserDocument>? stored, DateTimeOffset now)
    {
        var document = stored?.Value;
        var candidates = events;
        var dropped = 0;
        if (document?.DeletedAt is { } deletedAt)
        {
            // Events accepted before the user was forgotten must not bring them back; later ones start a new life.
            candidates = events.Where(e => batch.AcceptedAt > deletedAt).ToArray();
            dropped = events.Length - candidates.Length;
            document = null;
            if (candidates.Length == 0)
            {
                return new UserPlan(null, null, new UserOutcome(new HashSet<string>(), 0, 0, dropped, []));
            }
        }

        var applied = new AppliedWindow(document);
        var tag = BatchTags.Of(batch.BatchId);
        var fresh = new List<AcceptedEvent>();
        var logged = new HashSet<string>(StringComparer.Ordinal);
        if (document?.AppliedBatchTags.Contains(tag) == true)
        {
            // This batch was applied to this user before (a redelivery): nothing is new. Its events are logged
            // again unless the id window shows another batch applied them; ids that left the window were this one's.
            foreach (var e in candidates)
            {
                if (!applied.TryGetValue(e.EventId, out var appliedBy) || appliedBy == tag)
                {
                    logged.Add(e.EventId);
                }
            }

            return new UserPlan(null, null, new UserOutcome(logged, 0, candidates.Length, dropped, []));
        }

        foreach (var e in candidates)
        {
            if (!e.GeneratedId && applied.TryGetValue(e.EventId, out var appliedBy))
            {
                // Applied before: by this very batch (an attempt that crashed before logging) or by another one.
                if (appliedBy == tag)
                {
                    logged.Add(e.EventId);
                }

                continue;
            }

            if (!e.GeneratedId)
            {
                applied.Add(e.EventId, tag);
            }

            fresh.Add(e);
            logged.Add(e.EventId);
        }

        var duplicates = candidates.Length - fresh.Count;
        if (fresh.Count == 0)
        {
            return new UserPlan(null, null, new UserOutcome(logged, 0, duplicates, dropped, []));
        }

        var (updated, losses) = Learn(model, document ?? new UserDocument { Id = userId }, batch.BatchId, tag, fresh, now);
        return new UserPlan(updated, stored?.ETag, new UserOutcome(logged, fresh.Count, duplicates, dropped, losses));
    }

    [ThreadStatic]
    private static FeatureVector? t_features;

    private (UserDocument Document, List<double[]> Losses) Learn(ServingModel? model, UserDocument document, string batchId, uint tag, List<AcceptedEvent> fresh, DateTimeOffset now)
    {
        var state = model is null ? null : onlineLearning.StateFor(model, document);
        var recent = new List<RecentInteraction>(document.Recent.Count + fresh.Count);
        recent.AddRange(document.Recent);
        var working = document with { Recent = recent };
        // One per thread, reused: learning runs synchronously, and every user of every batch needs one.
        var features = t_features ??= UserFeatures.NewVector();
        var losses = new List<double[]>();
        foreach (var e in fresh)
        {
            var target = onlineLearning.Targets.TargetOf(e);
            if (model is not null && state is not null && target is { } t)
            {
                UserFeatures.Encode(model, working, e.Context, features);
                if (onlineLearning.Learn(model, state, features, e.ItemId, t, StableHash.Of(e.EventId, e.ItemId)) is { } eventLosses)
                {
                    losses.Add(eventLosses);
                }
            }

            recent.Add(new RecentInteraction(SharedItemId(model, e.ItemId), Core.Data.EventTypes.Canonical(e.Type), onlineLearning.Targets.BehaviourValueOf(e), target, now));
        }

        var keepRecent = _options.Online.RecentEvents;
        if (recent.Count > keepRecent)
        {
            recent.RemoveRange(0, recent.Count - keepRecent);
        }

        // Each window is built once at its final size: this runs for every user of every batch, and growing copies
        // of 200-entry lists were a tenth of the consumer's time.
        var freshIds = new List<string>(fresh.Count);
        foreach (var e in fresh)
        {
            if (!e.GeneratedId)
            {
                freshIds.Add(e.EventId);
            }
        }

        var freshTags = new uint[freshIds.Count];
        Array.Fill(freshTags, tag);
        var keepIds = _options.Online.AppliedEventIds;
        var appliedIds = Window(document.AppliedEventIds, CollectionsMarshal.AsSpan(freshIds), keepIds);
        var appliedIndex = AppliedIdIndex.Of(document).Then(appliedIds, CollectionsMarshal.AsSpan(freshIds)[Math.Max(0, freshIds.Count - keepIds)..]);
        var appliedBy = Window(
            document.AppliedEventBatches.Count == document.AppliedEventIds.Count ? document.AppliedEventBatches : [.. Enumerable.Repeat(BatchTags.Unknown, document.AppliedEventIds.Count)],
            freshTags,
            keepIds);
        var batches = Window(document.AppliedBatchIds, [batchId], 20);
        var batchTags = Window(document.AppliedBatchTags, [tag], _options.Online.AppliedBatches);

        var updated = document with
        {
            Recent = recent,
            AppliedEventIds = appliedIds,
            AppliedEventBatches = appliedBy,
            AppliedBatchTags = batchTags,
            AppliedBatchIds = batches,
            EventCount = document.EventCount + fresh.Count,
            Online = state is null ? document.Online : OnlineLearningService.TakeDocument(state),
            UpdatedAt = now,
            DeletedAt = null,
            IdIndex = appliedIndex,
        };
        return (updated, losses);
    }

    /// <summary>
    /// The serving catalog's instance of an item id, when it has one. The id parsed from the message is a new string
    /// per event, and the user's recent interactions keep it for as long as the user is in memory: ~50 per user, the
    /// same text as a string the catalog holds anyway (~40 MB of heap at 10,000 users, docs/benchmarks.md). Without
    /// a model there is no catalog to share with, and the host's item directory would cost a lock per event.
    /// </summary>
    private static string SharedItemId(ServingModel? model, string itemId)
    {
        if (model is null)
        {
            return itemId;
        }

        var catalog = model.Catalog.Current;
        return catalog.TryGetIndex(itemId, out var index) ? catalog.IdAt(index) : itemId;
    }

    /// <summary>The last entries of <paramref name="existing"/> and then <paramref name="added"/>, <paramref name="keep"/> at most, in a list of exactly that size.</summary>
    private static List<T> Window<T>(List<T> existing, ReadOnlySpan<T> added, int keep)
    {
        if (added.Length > keep)
        {
            added = added[^keep..];
        }

        var fromExisting = Math.Min(existing.Count, keep - added.Length);
        var window = new List<T>(fromExisting + added.Length);
        window.AddRange(CollectionsMarshal.AsSpan(existing)[(existing.Count - fromExisting)..]);
        window.AddRange(added);
        return window;
    }

    /// <summary>
    /// Applied event id → tag of the batch that applied it (<see cref="BatchTags.Unknown"/> when a document predates the tags), over the
    /// user's id window plus the ids this batch adds. The window is searched through its hash codes (<see cref="AppliedIdIndex"/>),
    /// kept with the document from one batch to the next.
    /// </summary>
    private struct AppliedWindow(UserDocument? document)
    {
        private readonly AppliedIdIndex? _ids = document is null ? null : AppliedIdIndex.Of(document);
        private readonly List<uint>? _tags = document is not null && document.AppliedEventBatches.Count == document.AppliedEventIds.Count ? document.AppliedEventBatches : null;
        private Dictionary<string, uint>? _added;

        public readonly bool TryGetValue(string eventId, out uint tag)
        {
            if (_added is not null && _added.TryGetValue(eventId, out tag))
            {
                return true;
            }

            var index = _ids?.LastIndexOf(eventId) ?? -1;
            tag = index < 0 ? BatchTags.Unknown : _tags?[index] ?? BatchTags.Unknown;
            return index >= 0;
        }

        public void Add(string eventId, uint tag) => (_added ??= new Dictionary<string, uint>(StringComparer.Ordinal))[eventId] = tag;
    }

    private async Task EnsureItemsAsync(EventBatch batch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var itemId in batch.Events.Select(e => e.ItemId).Distinct(StringComparer.Ordinal))
        {
            if (host.TryGetItem(itemId, out _))
            {
                continue;
            }

            // Items first met in events join the catalog (without features) so they can be recommended and trained.
            await items.TryCreateAsync(new ItemDocument { Id = itemId, UpdatedAt = now }, cancellationToken);
            host.EnsureItem(itemId, now);
        }
    }

    private async Task RequestFineTuneAsync(string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var control = await registry.GetControlAsync(cancellationToken);
            var next = (control?.Value ?? FineTuneService.InitialControl(_options.FineTune)) with { RequestedAt = now, RequestReason = reason };
            if (await registry.TrySaveControlAsync(next, control?.ETag, cancellationToken))
            {
                return;
            }
        }
    }

    private sealed record UserOutcome(IReadOnlySet<string> Logged, int Applied, int Duplicates, int Dropped, IReadOnlyList<double[]> Losses);

    private sealed record UserPlan(UserDocument? Updated, string? ExpectedETag, UserOutcome Outcome);
}
