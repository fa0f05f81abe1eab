using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Core.Drift;
using FuncRec.Core.Evaluation;
using FuncRec.Core.Features;
using FuncRec.Core.Model;
using FuncRec.Core.Serving;
using FuncRec.Core.Training;
using Microsoft.Extensions.Options;

namespace FuncRec.Application.Services;

/// <summary>
/// Online learning of users' state against the active model. Owns the adaptive learning-rate grid and the
/// drift detector of this instance. Online state belongs to a model version: when another version is active,
/// a user's state is re-derived by replaying their remembered interactions applied after that version's data
/// window (those it never trained on), instead of adding vectors from another embedding space.
/// </summary>
public sealed class OnlineLearningService
{
    private readonly OnlineUpdateOptions _update = new();
    private readonly EventTargets _targets;
    private readonly PageHinkleyDetector _drift;
    private readonly Lock _driftLock = new();
    private long _observed;
    private long _rederived;
    private double _recentLoss;

    public OnlineLearningService(IOptions<FuncRecOptions> options)
    {
        var online = options.Value.Online;
        _targets = new EventTargets(options.Value.Model);
        _update = new OnlineUpdateOptions { L2 = (float)online.L2 };
        Grid = online.AdaptiveLearningRate
            ? new LearningRateGrid((float)online.LearningRate)
            : LearningRateGrid.Fixed((float)online.LearningRate);
        _drift = new PageHinkleyDetector(DriftDefaults.For(options.Value.Model.Loss));
    }

    public LearningRateGrid Grid { get; }

    public EventTargets Targets => _targets;

    /// <summary>Drift alarms raised by this instance since it started.</summary>
    public int DriftAlarms { get; private set; }

    /// <summary>The user's online state for the served model: stored if it belongs to it, else replayed (in memory).</summary>
    public UserOnlineState StateFor(ServingModel model, UserDocument? user)
    {
        if (user?.Online is { } stored && BelongsTo(stored, model))
        {
            return new UserOnlineState(model.Model.Rank, stored.ModelVersion, (float[])stored.Vectors.Clone(), (float[])stored.Biases.Clone(),
                (float[])stored.VectorAccumulators.Clone(), (float[])stored.BiasAccumulators.Clone(), stored.AppliedEvents);
        }

        var state = new UserOnlineState(model.Model.Rank, model.Version, Grid.Candidates);
        if (user is null)
        {
            return state;
        }

        Interlocked.Increment(ref _rederived);

        var features = UserFeatures.NewVector();
        for (var i = 0; i < user.Recent.Count; i++)
        {
            var interaction = user.Recent[i];
            if (interaction.Target is not { } target || (model.TrainedUntil is { } until && interaction.AppliedAt <= until))
            {
                continue;
            }

            UserFeatures.Encode(model, user, null, features, recentCount: i);
            Learn(model, state, features, interaction.ItemId, target, StableHash.Of(user.Id, interaction.ItemId));
        }

        return state;
    }

    /// <summary>
    /// One online step for an event whose target is <paramref name="target"/>, with the user's features as they
    /// were before it. Returns each candidate's loss on the event before its step (prequential), for
    /// <see cref="Observe"/> once the new state is safely stored; null when the event could not be learned.
    /// </summary>
    public double[]? Learn(ServingModel model, UserOnlineState state, FeatureVector userBefore, string itemId, float target, ulong seed)
    {
        var item = CatalogIndexOf(model, itemId);
        var catalog = model.Catalog.Current;

        var rank = model.Model.Rank;
        Span<float> p = stackalloc float[rank];
        model.Model.UserVector(userBefore, p, out var userBias);
        Span<double> losses = stackalloc double[state.Candidates];
        var rates = Grid.Rates;
        if (model.Model.Loss == LossKind.Squared)
        {
            OnlineUserUpdater.ApplyPointwise(model.Model, p, userBias, state, catalog.VectorOf(item), catalog.BiasOf(item), target, 1f, _update, rates, losses);
        }
        else
        {
            if (catalog.Count < 2)
            {
                return null;
            }

            var random = new SeededRandom(seed);
            var negative = random.Next(catalog.Count - 1);
            if (negative >= item)
            {
                negative++;
            }

            OnlineUserUpdater.ApplyPairwise(model.Model, p, state, catalog.VectorOf(item), catalog.BiasOf(item), catalog.VectorOf(negative), catalog.BiasOf(negative), target, _update, rates, losses);
        }

        return losses.ToArray();
    }

    /// <summary>Feeds one event's candidate losses to the learning-rate grid and the served one to the drift detector; true when drift is detected.</summary>
    public bool Observe(double[] losses)
    {
        // Test, then train: the loss that counts is that of the candidate serving when the event came, before this
        // event's losses move the grid's choice (as bench adaptive measures it).
        var served = Grid.Best;
        Grid.Observe(losses);
        Interlocked.Increment(ref _observed);
        lock (_driftLock)
        {
            _recentLoss = (0.99 * _recentLoss) + (0.01 * losses[served]);
            if (_drift.Add(losses[served]))
            {
                DriftAlarms++;
                return true;
            }
        }

        return false;
    }

    /// <summary>The item's index in the model's catalog, adding it (without features) if the model has not met it: learning from an event needs its item there.</summary>
    public static int CatalogIndexOf(ServingModel model, string itemId)
        => model.Catalog.Current.TryGetIndex(itemId, out var item) ? item : model.Catalog.Upsert(new EntityProfile(itemId));

    /// <summary>Users' online states re-derived by replay (their stored state belonged to another model) since this instance started.</summary>
    public long Rederived => Interlocked.Read(ref _rederived);

    /// <summary>Events observed by this instance.</summary>
    public long Observed => Interlocked.Read(ref _observed);

    /// <summary>Moving average of the served candidate's prequential loss (squared error or BPR loss).</summary>
    public double RecentLoss
    {
        get
        {
            lock (_driftLock)
            {
                return _recentLoss;
            }
        }
    }

    /// <summary>Whether stored online state was learned against <paramref name="model"/> with this grid (else it is re-derived).</summary>
    private bool BelongsTo(OnlineStateDocument stored, ServingModel model)
        => stored.ModelVersion == model.Version && stored.Biases.Length == Grid.Candidates
            && stored.Vectors.Length == Grid.Candidates * model.Model.Rank && stored.VectorAccumulators.Length == Grid.Candidates
            && stored.BiasAccumulators.Length == Grid.Candidates;

    /// <summary>
    /// The online vector and bias to serve for <paramref name="user"/> against <paramref name="model"/>, for scoring
    /// only (the vector may be shared: callers must not change it). Stored state of this model is copied out of the
    /// document without cloning the rest. State that has to be re-derived (the user's stored state belongs to another
    /// model, as it does for every user after a publish until their next event) is replayed once per document, model
    /// and catalog size, and then remembered beside the document: without that, every recommendation for such a user
    /// replayed up to their 50 remembered interactions again, a sixth of the server's CPU in a profile after a
    /// publish. Documents are immutable and a write makes a new one, so a changed user never meets an old entry.
    /// (A store that parses a new document on every read, as the Cosmos store does, gains nothing from this.)
    /// </summary>
    public (float[] Vector, float Bias) ServedFor(ServingModel model, UserDocument? user)
    {
        var rank = model.Model.Rank;
        var candidate = Math.Min(Grid.Best, Grid.Candidates - 1);
        if (user?.Online is { } stored && BelongsTo(stored, model))
        {
            return (stored.Vectors.AsSpan(candidate * rank, rank).ToArray(), stored.Biases[candidate]);
        }

        if (user is null)
        {
            return (new float[rank], 0f);
        }

        // Replay reads item vectors and draws negatives over the catalog, which can grow under one model version.
        var catalogSize = model.Catalog.Current.Count;
        var remembered = _replayed.TryGetValue(user, out var latest) ? latest : null;
        if (remembered?.For(model.Version, catalogSize, candidate) is { } match)
        {
            return (match.Vector, match.Bias);
        }

        var state = StateFor(model, user);
        var vector = state.Vector(candidate).ToArray();
        var bias = state.Biases[candidate];

        // One other model's entry is kept: a model is warmed (ServingWarmup) while the one before it still serves.
        var other = remembered is null ? null : remembered.ModelVersion != model.Version ? remembered with { Other = null } : remembered.Other;
        _replayed.AddOrUpdate(user, new ReplayedState(model.Version, catalogSize, candidate, vector, bias, other));
        return (vector, bias);
    }

    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<UserDocument, ReplayedState> _replayed = new();

    // The version, not the model: an entry lives as long as its document, and must not keep an old model alive.
    private sealed record ReplayedState(string ModelVersion, int CatalogSize, int Candidate, float[] Vector, float Bias, ReplayedState? Other)
    {
        /// <summary>This entry or the other model's one, whichever was re-derived for this version, catalog size and candidate.</summary>
        public ReplayedState? For(string modelVersion, int catalogSize, int candidate)
            => Serves(modelVersion, catalogSize, candidate) ? this : Other?.Serves(modelVersion, catalogSize, candidate) == true ? Other : null;

        private bool Serves(string modelVersion, int catalogSize, int candidate)
            => ModelVersion == modelVersion && CatalogSize == catalogSize && Candidate == candidate;
    }

    /// <summary>
    /// The document of a state that nobody uses afterwards (the consumer's, once a user's events are learned): its
    /// arrays become the document's, where <see cref="ToDocument"/> copies them.
    /// </summary>
    public static OnlineStateDocument TakeDocument(UserOnlineState state)
        => new(state.ModelVersion ?? string.Empty, state.Vectors, state.Biases, state.VectorAccumulators, state.BiasAccumulators, state.AppliedEvents);

    public static OnlineStateDocument ToDocument(UserOnlineState state)
        => new(state.ModelVersion ?? string.Empty, (float[])state.Vectors.Clone(), (float[])state.Biases.Clone(),
            (float[])state.VectorAccumulators.Clone(), (float[])state.BiasAccumulators.Clone(), state.AppliedEvents);
}
