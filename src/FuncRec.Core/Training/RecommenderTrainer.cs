using FuncRec.Core.Features;
using FuncRec.Core.Model;

namespace FuncRec.Core.Training;

/// <summary>
/// Fits models the three ways the method needs: <see cref="Fit"/> from scratch, <see cref="FitPartial"/> one
/// online pass that continues from the current state, and <see cref="FineTune"/> a child warm-started from a
/// parent with an L2 pull toward the parent's weights (transfer learning).
/// </summary>
public sealed class RecommenderTrainer
{
    private readonly TrainerOptions _options;

    public RecommenderTrainer(TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    public TrainerOptions Options => _options;

    /// <summary>Trains a new model on <paramref name="data"/> under <paramref name="schema"/>.</summary>
    /// <param name="prior">Earlier interactions that only shape the users' behaviour features (not trained on).</param>
    public RecommenderModel Fit(FeatureSchema schema, TrainingData data, IReadOnlyList<Interaction>? prior = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(data);
        var model = new RecommenderModel(schema, _options.Rank, _options.Loss, _options.Seed, _options.InitScale, _options.InitialAccumulator);
        if (_options.Loss == LossKind.Squared)
        {
            model.GlobalMean = data.Interactions.Count > 0 ? (float)data.Interactions.Average(i => i.Value) : 0f;
            model.MinValue = _options.MinValue ?? (data.Interactions.Count > 0 ? data.Interactions.Min(i => i.Value) : null);
            model.MaxValue = _options.MaxValue ?? (data.Interactions.Count > 0 ? data.Interactions.Max(i => i.Value) : null);
        }

        var schedule = new EpochSchedule(_options.Epochs, _options.LearningRate, _options.BiasLearningRate, _options.EpochDecay, _options.Seed);
        RunEpochs(model, data, prior, schedule, anchor: null, anchorL2: 0f, cancellationToken);
        return model;
    }

    /// <summary>
    /// One pass of online SGD over <paramref name="batch"/> in its order, continuing from the model's current
    /// state. With <paramref name="histories"/>, each event sees the user's items as they stood before it and
    /// is then recorded; without, the batch's own items are the behaviour. A non-finite update undoes the whole
    /// batch and throws <see cref="ModelDivergedException"/>.
    /// </summary>
    public void FitPartial(RecommenderModel model, TrainingData batch, UserHistories? histories = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        EnsureCompatible(model);
        var learner = new OnlineLearner(model, batch.Users, batch.Items, _options, histories);
        if (histories is null)
        {
            learner.UseBehaviourOf(batch.Interactions);
        }

        learner.FitPartial(batch.Interactions);
    }

    /// <summary>
    /// A child of <paramref name="parent"/> fine-tuned on <paramref name="data"/>: the parent's weights are
    /// the starting point and an anchor (L2 pull of strength <see cref="FineTuneOptions.AnchorL2"/>) keeps the
    /// child near them. The parent is never changed.
    /// </summary>
    public RecommenderModel FineTune(RecommenderModel parent, TrainingData data, FineTuneOptions fineTune, IReadOnlyList<Interaction>? prior = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(fineTune);
        fineTune.Validate();
        parent.EnsureFitted();
        EnsureCompatible(parent);
        var child = parent.Clone();
        if (fineTune.ResetAccumulators)
        {
            ResetAccumulators(child.UserTable, _options.InitialAccumulator);
            ResetAccumulators(child.ItemTable, _options.InitialAccumulator);
        }

        var schedule = new EpochSchedule(fineTune.Epochs, fineTune.LearningRate, fineTune.BiasLearningRate, fineTune.EpochDecay, fineTune.Seed);
        RunEpochs(child, data, prior, schedule, parent, fineTune.AnchorL2, cancellationToken);
        return child;
    }

    private void EnsureCompatible(RecommenderModel model)
    {
        if (model.Rank != _options.Rank)
        {
            throw new ArgumentException($"The model has rank {model.Rank} but the trainer is set for rank {_options.Rank}.", nameof(model));
        }

        if (model.Loss != _options.Loss)
        {
            throw new ArgumentException($"The model was trained with the {model.Loss} loss but the trainer is set for {_options.Loss}.", nameof(model));
        }
    }

    private static void ResetAccumulators(EmbeddingTable table, float value)
    {
        table.VectorAccumulators.AsSpan(0, table.Rows).Fill(value);
        table.BiasAccumulators.AsSpan(0, table.Rows).Fill(value);
    }

    private void RunEpochs(RecommenderModel model, TrainingData data, IReadOnlyList<Interaction>? prior, EpochSchedule schedule, RecommenderModel? anchor, float anchorL2, CancellationToken cancellationToken)
    {
        var users = new EncodedCatalog(model, data.Users, FeatureSide.User, grow: true);
        var items = new EncodedCatalog(model, data.Items, FeatureSide.Item, grow: true);
        var hasBehaviour = model.Encoder.HasBehaviourGroup;
        items.EncodeAll(behaviourRowsToo: hasBehaviour);

        var byUser = GroupByUser(data);
        var behaviourCap = model.Encoder.BehaviourGroup?.MaxValues ?? 0;
        var allForBehaviour = prior is null ? data.Interactions : prior.Concat(data.Interactions).ToArray();
        var behaviour = hasBehaviour ? new BehaviourIndex(data.Users.Count, allForBehaviour, behaviourCap) : null;
        var behaviourRows = new int[data.Users.Count][];
        var behaviourWeights = new float[data.Users.Count][];
        var activeUsers = new List<int>();
        for (var u = 0; u < byUser.Length; u++)
        {
            if (byUser[u] is null)
            {
                continue;
            }

            activeUsers.Add(u);
            users.Get(u);
            (behaviourRows[u], behaviourWeights[u]) = behaviour is null ? ([], []) : ResolveBehaviour(behaviour, u, items, model.Encoder.BehaviourGroup!);
        }

        NegativeSampler? negatives = model.Loss == LossKind.Squared ? null : new DataNegativeSampler(data.Users.Count, data.Items.Count, allForBehaviour);
        var chunkSize = _options.UserChunkSize;
        var threads = Math.Max(1, Math.Min(_options.Threads, Environment.ProcessorCount));
        var kernels = Enumerable.Range(0, threads)
            .Select(t => new SgdKernel(model, _options, StableHash.Mix(schedule.Seed + (ulong)t), anchor, anchorL2))
            .ToArray();
        var order = new SeededRandom(StableHash.Mix(schedule.Seed ^ 0xC0FFEEUL));
        var chunks = new List<(int User, int Start, int Length)>();
        var learningRate = schedule.LearningRate;
        var biasLearningRate = schedule.BiasLearningRate;

        for (var epoch = 0; epoch < schedule.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            chunks.Clear();
            foreach (var u in activeUsers)
            {
                var events = byUser[u]!;
                order.Shuffle(events.AsSpan());
                for (var start = 0; start < events.Length; start += chunkSize)
                {
                    chunks.Add((u, start, Math.Min(chunkSize, events.Length - start)));
                }
            }

            var chunkArray = chunks.ToArray();
            order.Shuffle(chunkArray.AsSpan());
            foreach (var kernel in kernels)
            {
                kernel.LearningRate = learningRate;
                kernel.BiasLearningRate = biasLearningRate;
            }

            if (threads == 1)
            {
                TrainChunks(kernels[0], chunkArray, 0, chunkArray.Length, byUser, users, behaviourRows, behaviourWeights, items, negatives, cancellationToken);
            }
            else
            {
                // Hogwild: threads update shared rows without locks; collisions are rare and harmless for SGD.
                Parallel.For(0, threads, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = threads }, t =>
                {
                    var from = (int)((long)chunkArray.Length * t / threads);
                    var to = (int)((long)chunkArray.Length * (t + 1) / threads);
                    TrainChunks(kernels[t], chunkArray, from, to, byUser, users, behaviourRows, behaviourWeights, items, negatives, cancellationToken);
                });
            }

            learningRate *= schedule.Decay;
            biasLearningRate *= schedule.Decay;
        }

        model.IsFitted = true;
        model.TrainedEvents += data.Interactions.Count;
    }

    private static void TrainChunks(
        SgdKernel kernel,
        (int User, int Start, int Length)[] chunks,
        int from,
        int to,
        Interaction[]?[] byUser,
        EncodedCatalog users,
        int[][] behaviourRows,
        float[][] behaviourWeights,
        EncodedCatalog items,
        NegativeSampler? negatives,
        CancellationToken cancellationToken)
    {
        for (var c = from; c < to; c++)
        {
            if ((c & 1023) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var (user, start, length) = chunks[c];
            kernel.TrainBlock(user, users.Get(user), behaviourRows[user], behaviourWeights[user], byUser[user].AsSpan(start, length), items, negatives);
        }
    }

    private static Interaction[]?[] GroupByUser(TrainingData data)
    {
        var counts = new int[data.Users.Count];
        foreach (var interaction in data.Interactions)
        {
            counts[interaction.User]++;
        }

        var groups = new Interaction[]?[data.Users.Count];
        var fill = new int[data.Users.Count];
        foreach (var interaction in data.Interactions)
        {
            var group = groups[interaction.User] ??= new Interaction[counts[interaction.User]];
            group[fill[interaction.User]++] = interaction;
        }

        return groups;
    }

    /// <summary>The user's behaviour rows and their value weights (distinct rows; the newest value wins on a hash collision).</summary>
    internal static (int[] Rows, float[] Weights) ResolveBehaviour(BehaviourIndex behaviour, int user, EncodedCatalog items, FeatureGroup group)
    {
        var itemIndices = behaviour.Of(user);
        var values = behaviour.ValuesOf(user);
        var rows = new List<int>(itemIndices.Length);
        var weights = new List<float>(itemIndices.Length);
        var seen = new Dictionary<int, int>();
        for (var i = 0; i < itemIndices.Length; i++)
        {
            var row = items.BehaviourRow(itemIndices[i]);
            if (row < 0)
            {
                continue;
            }

            var weight = group.BehaviourWeight(values[i]);
            if (seen.TryGetValue(row, out var at))
            {
                weights[at] = weight;
                continue;
            }

            seen.Add(row, rows.Count);
            rows.Add(row);
            weights.Add(weight);
        }

        return (rows.ToArray(), weights.ToArray());
    }

    private sealed record EpochSchedule(int Epochs, float LearningRate, float BiasLearningRate, float Decay, ulong Seed);
}
