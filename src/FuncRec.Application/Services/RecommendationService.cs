using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using FuncRec.Core.Features;
using FuncRec.Core.Serving;
using FuncRec.Serving;
using Microsoft.Extensions.Options;

namespace FuncRec.Application.Services;

/// <summary>One recommended or scored item.</summary>
public sealed record ScoredItemResult(string ItemId, double Score);

/// <summary>Top-k for a user, with the model version that produced it (null: popularity before any model) and how.</summary>
public sealed record RecommendationResult(string UserId, string? ModelVersion, string Strategy, IReadOnlyList<ScoredItemResult> Items);

/// <summary>Scores of the asked items; ids the catalog does not know are listed apart.</summary>
public sealed record ScoreResult(string UserId, string? ModelVersion, IReadOnlyList<ScoredItemResult> Scores, IReadOnlyList<string> UnknownItems);

/// <summary>A score taken apart into its largest terms and a remainder.</summary>
public sealed record ExplanationResult(string UserId, string ItemId, string ModelVersion, double Score, double GlobalMean, IReadOnlyList<ScoreContribution> Contributions, double Remainder);

/// <summary>
/// Scoring, recommendation and explanation. A user's vector is the model's view of their features (profile,
/// recent interactions, request context) plus their online state; the ONNX graph scores the catalog. Unknown
/// users are scored from features alone (cold start); before any model exists, popularity serves.
/// </summary>
public sealed class RecommendationService(
    IUserStore users,
    ModelHost host,
    OnlineLearningService online,
    PopularityService popularity,
    IOptions<FuncRecOptions> options)
{
    private readonly ServingOptions _serving = options.Value.Serving;

    public async Task<RecommendationResult> RecommendAsync(string userId, int k, bool excludeSeen, string? category, IReadOnlyDictionary<string, string>? context, CancellationToken cancellationToken)
    {
        if (k < 1 || k > _serving.MaxK)
        {
            throw new ValidationError("k", $"k must be between 1 and {_serving.MaxK}");
        }

        var user = Active(await users.GetAsync(userId, cancellationToken));
        IReadOnlyList<RecentInteraction> seen = excludeSeen && user is not null ? user.Recent : [];
        using var lease = host.Acquire();
        var model = lease.Model;
        if (model is null)
        {
            var top = popularity.Top(k, seen.Select(r => r.ItemId).ToHashSet(StringComparer.Ordinal), category, host.ItemDirectory);
            return new RecommendationResult(userId, null, "popularity", top.Select(t => new ScoredItemResult(t.ItemId, t.Count)).ToArray());
        }

        var items = await TopKAsync(model, online, user, context, k, seen, category, cancellationToken);
        var strategy = user is null ? "cold-start" : "model";
        return new RecommendationResult(userId, model.Version, strategy, items.Select(i => new ScoredItemResult(i.Id, model.Model.Clip(i.Score))).ToArray());
    }

    /// <summary>
    /// The model's top-k for a user (null: cold start), leaving out <paramref name="seen"/>; also what
    /// <see cref="ServingWarmup"/> runs on a model before it serves. Concurrent calls are scored in shared runs
    /// (<see cref="OnnxScorer.TopKAsync"/>).
    /// </summary>
    internal static Task<ScoredItem[]> TopKAsync(ServingModel model, OnlineLearningService online, UserDocument? user, IReadOnlyDictionary<string, string>? context, int k, IReadOnlyList<RecentInteraction> seen, string? category, CancellationToken cancellationToken = default)
    {
        var catalog = model.Catalog.Current;
        var features = UserFeatures.NewVector();
        UserFeatures.Encode(model, user, context, features);
        var (vector, bias) = online.ServedFor(model, user);

        // Indices of the seen items the catalog knows (a repeated one is marked once by the scorer).
        var excluded = new int[seen.Count];
        var excludedCount = 0;
        foreach (var interaction in seen)
        {
            var index = catalog.IndexOf(interaction.ItemId);
            if (index >= 0)
            {
                excluded[excludedCount++] = index;
            }
        }

        return model.Scorer.TopKAsync(features, vector, bias, catalog, k, excludedCount == excluded.Length ? excluded : excluded[..excludedCount], category, cancellationToken);
    }

    public async Task<ScoreResult> ScoreAsync(string userId, IReadOnlyList<string> itemIds, IReadOnlyDictionary<string, string>? context, CancellationToken cancellationToken)
    {
        if (itemIds.Count > _serving.MaxCandidates)
        {
            throw new ValidationError("itemIds", $"at most {_serving.MaxCandidates} items can be scored at once");
        }

        var user = Active(await users.GetAsync(userId, cancellationToken));
        using var lease = host.Acquire();
        var model = lease.Model;
        if (model is null)
        {
            var top = popularity.Top(int.MaxValue, new HashSet<string>(), null, host.ItemDirectory).ToDictionary(t => t.ItemId, t => t.Count);
            return new ScoreResult(userId, null, itemIds.Select(id => new ScoredItemResult(id, top.GetValueOrDefault(id))).ToArray(), []);
        }

        var catalog = model.Catalog.Current;
        var known = new List<(string Id, int Index)>();
        var unknown = new List<string>();
        foreach (var id in itemIds)
        {
            if (catalog.TryGetIndex(id, out var index))
            {
                known.Add((id, index));
            }
            else
            {
                unknown.Add(id);
            }
        }

        var features = UserFeatures.NewVector();
        UserFeatures.Encode(model, user, context, features);
        var (vector, bias) = online.ServedFor(model, user);
        var scores = known.Count == 0 ? [] : model.Scorer.ScoreCandidates(features, vector, bias, catalog, known.Select(k => k.Index).ToArray());
        return new ScoreResult(userId, model.Version, known.Select((k, i) => new ScoredItemResult(k.Id, model.Model.Clip(scores[i]))).ToArray(), unknown);
    }

    public async Task<ExplanationResult> ExplainAsync(string userId, string itemId, CancellationToken cancellationToken)
    {
        var model = host.Current ?? throw new NotFoundError("model", "there is no model yet to explain a score with");
        if (!model.Catalog.Current.TryGetIndex(itemId, out _) || !host.TryGetItem(itemId, out var item))
        {
            throw new NotFoundError("itemId", $"item '{itemId}' is not in the catalog");
        }

        var user = Active(await users.GetAsync(userId, cancellationToken));
        var userFeatures = UserFeatures.NewVector();
        UserFeatures.Encode(model, user, null, userFeatures);
        var profile = new EntityProfile(itemId, item!.Features);
        var itemFeatures = new FeatureVector();
        model.Model.Encoder.EncodeProfile(FeatureSide.Item, profile, grow: false, itemFeatures);
        var (vector, bias) = online.ServedFor(model, user);
        var explanation = ScoreExplainer.Explain(
            model.Model, userFeatures, itemFeatures, vector, bias,
            null, ScoreExplainer.TextRowNames(model.Model, FeatureSide.Item, profile), _serving.ExplanationTerms);
        return new ExplanationResult(userId, itemId, model.Version, explanation.Score, explanation.GlobalMean, explanation.Contributions, explanation.Remainder);
    }

    internal static UserDocument? Active(Versioned<UserDocument>? stored) => stored?.Value is { DeletedAt: null } user ? user : null;
}
