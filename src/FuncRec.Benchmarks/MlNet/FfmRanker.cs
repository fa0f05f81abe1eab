using System.Diagnostics;
using FuncRec.Core.Evaluation;
using FuncRec.Core.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace FuncRec.Benchmarks.MlNet;

/// <summary>
/// The ML.NET side of the comparison: a field-aware factorisation machine (binary classification, logistic loss)
/// over user id, item id, genres and demographics, trained on the training positives plus uniformly sampled
/// non-positive items, then asked for a score for every (user, candidate item) pair the protocol ranks.
/// </summary>
internal sealed class FfmRanker(RankingProtocol protocol, FfmRankerOptions options)
{
    public FfmRun Run()
    {
        options.Validate();
        var mlContext = new MLContext(seed: options.Seed);

        var clock = Stopwatch.StartNew();
        var features = new FfmFeatures(protocol.Data);
        var schema = features.SchemaDefinition();
        var examples = TrainingExamples(features);

        // A view over an enumerable cannot be shuffled, and the FFM would then see the rows user by user, each positive
        // followed by its negatives, in every iteration; a cache view can, so the trainer's per-iteration shuffle applies.
        var trainingView = mlContext.Data.Cache(mlContext.Data.LoadFromEnumerable(examples, schema));
        var prepareSeconds = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var trainer = mlContext.BinaryClassification.Trainers.FieldAwareFactorizationMachine(new FieldAwareFactorizationMachineTrainer.Options
        {
            FeatureColumnName = FfmExample.FieldColumns[0],
            ExtraFeatureColumns = FfmExample.FieldColumns[1..],
            LabelColumnName = nameof(FfmExample.Label),
            LatentDimension = options.LatentDimension,
            NumberOfIterations = options.Iterations,
            LearningRate = options.LearningRate,
            LambdaLinear = options.Lambda,
            LambdaLatent = options.Lambda,
            Shuffle = true,
            Verbose = false,
        });
        var model = trainer.Fit(trainingView);
        var fitSeconds = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var report = Rank(mlContext, model, features, schema);
        var scoringSeconds = clock.Elapsed.TotalSeconds;

        return new FfmRun(report, prepareSeconds, fitSeconds, scoringSeconds, examples.Count, trainingView.CanShuffle);
    }

    /// <summary>Every training positive, and for each <see cref="FfmRankerOptions.NegativesPerPositive"/> items the user has not in training, drawn uniformly (seeded).</summary>
    private List<FfmExample> TrainingExamples(FfmFeatures features)
    {
        var random = new SeededRandom((ulong)options.Seed);
        var examples = new List<FfmExample>(protocol.Train.Length * (1 + options.NegativesPerPositive));
        foreach (var positive in protocol.Train)
        {
            examples.Add(features.Example(positive.User, positive.Item, label: true));
            for (var n = 0; n < options.NegativesPerPositive; n++)
            {
                int item;
                do
                {
                    item = random.Next(features.ItemCount);
                }
                while (protocol.WasSeen(positive.User, item));

                examples.Add(features.Example(positive.User, item, label: false));
            }
        }

        return examples;
    }

    /// <summary>
    /// Scores every candidate pair in one streaming pass: the pairs are generated lazily, user by user, through a
    /// single <c>Transform</c> and one cursor, so no per-batch views are built and memory stays flat.
    /// </summary>
    private RankingReport Rank(MLContext mlContext, ITransformer model, FfmFeatures features, SchemaDefinition schema)
    {
        var users = protocol.EvaluatedUsers;
        var candidates = mlContext.Data.LoadFromEnumerable(CandidatePairs(features), schema);
        var scored = model.Transform(candidates);
        var scoreColumn = scored.Schema["Score"];
        var tally = protocol.StartTally();
        var scores = new float[features.ItemCount];
        using var cursor = scored.GetRowCursor([scoreColumn]);
        var getScore = cursor.GetGetter<float>(scoreColumn);
        foreach (var user in users)
        {
            for (var item = 0; item < scores.Length; item++)
            {
                if (protocol.WasSeen(user.User, item))
                {
                    continue;
                }

                if (!cursor.MoveNext())
                {
                    throw new InvalidOperationException("ML.NET returned fewer scores than candidate pairs.");
                }

                getScore(ref scores[item]);
            }

            tally.Add(user.User, scores);
        }

        if (cursor.MoveNext())
        {
            throw new InvalidOperationException("ML.NET returned more scores than candidate pairs.");
        }

        return tally.Report();
    }

    /// <summary>(user, item) for every evaluated user and every item not in their training set, in the order <see cref="Rank"/> reads the scores back.</summary>
    private IEnumerable<FfmExample> CandidatePairs(FfmFeatures features)
    {
        foreach (var user in protocol.EvaluatedUsers)
        {
            for (var item = 0; item < features.ItemCount; item++)
            {
                if (!protocol.WasSeen(user.User, item))
                {
                    yield return features.Example(user.User, item, label: false);
                }
            }
        }
    }
}

/// <summary>What one ML.NET run produced and how long each part took.</summary>
internal sealed record FfmRun(RankingReport Ranking, double PrepareSeconds, double FitSeconds, double ScoringSeconds, int TrainingRows, bool TrainingDataShuffled);
