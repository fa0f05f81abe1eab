using FuncRec.Core.Features;
using FuncRec.Core.Model;
using FuncRec.Core.Training;

namespace FuncRec.Core.UnitTests.Support;

/// <summary>Two users, a handful of items, a schema small enough to reason about term by term.</summary>
internal static class TinyWorld
{
    public static FeatureSchema Schema(bool itemCategories, bool behaviour) => new(
        new[]
        {
            new FeatureGroup { Name = "user", Side = FeatureSide.User, Kind = FeatureGroupKind.Id, Normalization = FeatureNormalization.None },
            new FeatureGroup { Name = "segment", Side = FeatureSide.User, Kind = FeatureGroupKind.Categorical, Normalization = FeatureNormalization.None, Weight = 0.5f },
            new FeatureGroup { Name = "item", Side = FeatureSide.Item, Kind = FeatureGroupKind.Id, Normalization = FeatureNormalization.None },
        }
        .Concat(behaviour ? [new FeatureGroup { Name = "recent", Side = FeatureSide.User, Kind = FeatureGroupKind.Behaviour, MaxValues = 10, ValueScale = 0.25f, ValueCenter = 3f }] : [])
        .Concat(itemCategories ? [new FeatureGroup { Name = "category", Side = FeatureSide.Item, Kind = FeatureGroupKind.Categorical, Weight = 0.7f }] : []));

    public static EntityCatalog Users() => new(
    [
        new EntityProfile("u0", new Dictionary<string, FeatureValue> { ["segment"] = "a" }),
        new EntityProfile("u1", new Dictionary<string, FeatureValue> { ["segment"] = "b" }),
    ]);

    public static EntityCatalog Items(int count, bool categories) => new(Enumerable.Range(0, count).Select(i =>
        new EntityProfile($"i{i}", categories
            ? new Dictionary<string, FeatureValue> { ["category"] = FeatureValue.Of([$"c{i % 2}", $"d{i}"]) }
            : new Dictionary<string, FeatureValue>())));

    /// <summary>A model whose rows exist (a zero-epoch fit) with random factors, ready for one hand-checked step.</summary>
    public static (RecommenderModel Model, TrainingData Data) Initialised(LossKind loss, bool itemCategories, bool behaviour, IReadOnlyList<Interaction> interactions, int items, float initScale = 0.3f)
    {
        var data = new TrainingData(Users(), Items(items, itemCategories), interactions);
        var options = new TrainerOptions { Rank = 4, Loss = loss, Epochs = 0, InitScale = initScale, Seed = 11 };
        var model = new RecommenderTrainer(options).Fit(Schema(itemCategories, behaviour), data);
        if (loss == LossKind.Squared)
        {
            model.GlobalMean = 3.2f;
        }

        // Biases start at zero; give them values so their gradients are exercised too.
        var random = new SeededRandom(5);
        for (var r = 0; r < model.UserTable.Rows; r++)
        {
            model.UserTable.Biases[r] = (float)(random.NextDouble() - 0.5);
        }

        for (var r = 0; r < model.ItemTable.Rows; r++)
        {
            model.ItemTable.Biases[r] = (float)(random.NextDouble() - 0.5);
        }

        return (model, data);
    }
}
