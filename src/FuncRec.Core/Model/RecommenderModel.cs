using FuncRec.Core.Features;

namespace FuncRec.Core.Model;

/// <summary>
/// The factorised bilinear model <c>score(u, i) = μ + b_u + b_i + p_uᵀ q_i</c> with
/// <c>p_u = Σ x_f E_u[f]</c>, <c>b_u = Σ x_f β_u[f]</c> over the user's feature rows and likewise for items:
/// the seed's <c>uᵀ W i</c> with <c>W = E_u E_iᵀ</c> of rank k. Reading (scoring) is thread-safe; training
/// mutates it and belongs to one thread (see <see cref="Training.RecommenderTrainer"/>).
/// </summary>
public sealed class RecommenderModel
{
    public RecommenderModel(FeatureSchema schema, int rank, LossKind loss, ulong seed = 42, float initScale = 0.1f, float initialAccumulator = 1f)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rank, 1024);
        Space = new FeatureSpace(schema);
        Encoder = new FeatureEncoder(Space);
        Rank = rank;
        Loss = loss;
        Seed = seed;
        UserTable = new EmbeddingTable(rank, Space.RowCount(FeatureSide.User), seed, initScale, initialAccumulator);
        ItemTable = new EmbeddingTable(rank, Space.RowCount(FeatureSide.Item), StableHash.Mix(seed + 1), initScale, initialAccumulator);
    }

    private RecommenderModel(RecommenderModel source, FeatureSpace space)
    {
        Space = space;
        Encoder = new FeatureEncoder(space);
        Rank = source.Rank;
        Loss = source.Loss;
        Seed = source.Seed;
        GlobalMean = source.GlobalMean;
        MinValue = source.MinValue;
        MaxValue = source.MaxValue;
        IsFitted = source.IsFitted;
        TrainedEvents = source.TrainedEvents;
        UserTable = source.UserTable.Clone();
        ItemTable = source.ItemTable.Clone();
    }

    /// <summary>Format version of the parameters this class writes and reads (see <see cref="Persistence.ModelSerializer"/>).</summary>
    public const int FormatVersion = 1;

    public FeatureSpace Space { get; }

    public FeatureSchema Schema => Space.Schema;

    /// <summary>An encoder bound to this model's feature space.</summary>
    public FeatureEncoder Encoder { get; }

    public int Rank { get; }

    public LossKind Loss { get; }

    public ulong Seed { get; }

    /// <summary>μ: the mean target the biases and factors explain deviations from.</summary>
    public float GlobalMean { get; internal set; }

    /// <summary>Lowest value a prediction is clipped to (ratings); null for ranking models.</summary>
    public float? MinValue { get; internal set; }

    public float? MaxValue { get; internal set; }

    /// <summary>True once a trainer has fitted the model; scoring an unfitted model throws.</summary>
    public bool IsFitted { get; internal set; }

    /// <summary>Interactions applied over the model's lifetime, fits and partial fits together.</summary>
    public long TrainedEvents { get; internal set; }

    public EmbeddingTable UserTable { get; }

    public EmbeddingTable ItemTable { get; }

    /// <summary>A deep copy with its own feature space, for fine-tuning a child without touching the parent.</summary>
    public RecommenderModel Clone() => new(this, Space.Clone());

    /// <summary>Brings both tables to the size of the feature space after it grew.</summary>
    internal void SyncTablesWithSpace()
    {
        UserTable.EnsureRows(Space.RowCount(FeatureSide.User));
        ItemTable.EnsureRows(Space.RowCount(FeatureSide.Item));
    }

    /// <summary>p = Σ x_f E[f] and b = Σ x_f β[f] for an encoded user.</summary>
    public void UserVector(FeatureVector user, Span<float> into, out float bias)
    {
        EnsureFitted();
        Sum(UserTable, user.Rows, user.Weights, into, out bias);
    }

    /// <summary>q = Σ x_g E[g] and b = Σ x_g β[g] for an encoded item.</summary>
    public void ItemVector(FeatureVector item, Span<float> into, out float bias)
    {
        EnsureFitted();
        Sum(ItemTable, item.Rows, item.Weights, into, out bias);
    }

    /// <summary>q and b for an item from cached rows.</summary>
    public void ItemVector(ReadOnlySpan<int> rows, ReadOnlySpan<float> weights, Span<float> into, out float bias)
    {
        EnsureFitted();
        Sum(ItemTable, rows, weights, into, out bias);
    }

    /// <summary>The raw score μ + b_u + b_i + pᵀq (not clipped).</summary>
    public float Score(ReadOnlySpan<float> userVector, float userBias, ReadOnlySpan<float> itemVector, float itemBias)
        => GlobalMean + userBias + itemBias + VectorOps.Dot(userVector, itemVector);

    /// <summary>Raw score of an encoded user and item.</summary>
    public float Score(FeatureVector user, FeatureVector item)
    {
        Span<float> p = Rank <= 256 ? stackalloc float[Rank] : new float[Rank];
        Span<float> q = Rank <= 256 ? stackalloc float[Rank] : new float[Rank];
        UserVector(user, p, out var userBias);
        ItemVector(item, q, out var itemBias);
        return Score(p, userBias, q, itemBias);
    }

    /// <summary>A score as the app should see it: clipped to the value range of rating models.</summary>
    public float Clip(float score)
    {
        if (MinValue is { } min && score < min)
        {
            return min;
        }

        if (MaxValue is { } max && score > max)
        {
            return max;
        }

        return score;
    }

    /// <summary>Throws <see cref="ModelNotFittedException"/> unless the model was fitted.</summary>
    public void EnsureFitted()
    {
        if (!IsFitted)
        {
            throw new ModelNotFittedException();
        }
    }

    internal static void Sum(EmbeddingTable table, ReadOnlySpan<int> rows, ReadOnlySpan<float> weights, Span<float> into, out float bias)
    {
        into.Clear();
        bias = 0f;
        var all = table.Vectors;
        var rank = table.Rank;
        var biases = table.Biases;
        var count = table.Rows;
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            if ((uint)row >= (uint)count)
            {
                continue;
            }

            var w = weights[i];
            VectorOps.AddScaled(into, all.AsSpan(row * rank, rank), w);
            bias += w * biases[row];
        }
    }
}

/// <summary>Thrown when a model that was never fitted is asked for a score.</summary>
public sealed class ModelNotFittedException()
    : InvalidOperationException("The model has not been fitted yet: train it (Fit) or load a trained one before scoring.");

/// <summary>Thrown when an update produced a non-finite parameter; the parameters from before the update are kept.</summary>
public sealed class ModelDivergedException(string message) : InvalidOperationException(message);
