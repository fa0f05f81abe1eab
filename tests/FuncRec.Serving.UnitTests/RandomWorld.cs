using FuncRec.Core.Features;
using FuncRec.Core.Model;
using FuncRec.Core.Onnx;
using FuncRec.Core.Training;

namespace FuncRec.Serving.UnitTests;

/// <summary>
/// A small random world (users and items with categorical, list, numeric and text fields, random interactions)
/// and a model fitted on it in a few milliseconds, plus the C# reference scores the ONNX scorer must match.
/// </summary>
internal sealed class RandomWorld
{
    private static readonly string[] Words = ["red", "blue", "fast", "quiet", "pro", "mini", "max", "eco", "smart", "classic", "ultra", "lite"];

    private readonly Random _random;

    private RandomWorld(int seed, FeatureSchema schema, TrainerOptions options, int users, int items, int interactions)
    {
        _random = new Random(seed);
        Users = new EntityCatalog(Enumerable.Range(0, users).Select(u => RandomUser($"u{u}")));
        Items = new EntityCatalog(Enumerable.Range(0, items).Select(i => RandomItem($"i{i}")));
        var events = Enumerable.Range(0, interactions)
            .Select(t => new Interaction(_random.Next(users), _random.Next(items), _random.Next(1, 6), t))
            .ToArray();
        Model = new RecommenderTrainer(options).Fit(schema, new TrainingData(Users, Items, events));
    }

    public RecommenderModel Model { get; }

    public EntityCatalog Users { get; }

    public EntityCatalog Items { get; }

    /// <summary>A schema of our own, with a value-scaled behaviour group and hashed text and context.</summary>
    public static FeatureSchema SmallSchema { get; } = new(
    [
        new FeatureGroup { Name = "user", Side = FeatureSide.User, Kind = FeatureGroupKind.Id, Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "recent", Side = FeatureSide.User, Kind = FeatureGroupKind.Behaviour, MaxValues = 20, ValueScale = 0.5f, ValueCenter = 3f },
        new FeatureGroup { Name = "segment", Side = FeatureSide.User, Kind = FeatureGroupKind.Categorical },
        new FeatureGroup { Name = "age", Side = FeatureSide.User, Kind = FeatureGroupKind.Numeric, Boundaries = [20, 30, 45, 60], Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "context", Side = FeatureSide.User, Kind = FeatureGroupKind.Context, HashBuckets = 64 },
        new FeatureGroup { Name = "item", Side = FeatureSide.Item, Kind = FeatureGroupKind.Id, Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "category", Side = FeatureSide.Item, Kind = FeatureGroupKind.Categorical },
        new FeatureGroup { Name = "tags", Side = FeatureSide.Item, Kind = FeatureGroupKind.Categorical, MaxValues = 8 },
        new FeatureGroup { Name = "price", Side = FeatureSide.Item, Kind = FeatureGroupKind.Numeric, Boundaries = [10, 50, 200], Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "title", Side = FeatureSide.Item, Kind = FeatureGroupKind.Text, HashBuckets = 256, MaxValues = 8 },
    ]);

    public static RandomWorld Create(int seed, int rank, LossKind loss = LossKind.Squared, FeatureSchema? schema = null, int users = 60, int items = 120, int interactions = 1500)
        => new(seed, schema ?? FeatureSchema.Default, new TrainerOptions { Rank = rank, Loss = loss, Epochs = 4, Seed = (ulong)seed }, users, items, interactions);

    /// <summary>The model as .onnx bytes.</summary>
    public byte[] Export(string version = "test-1") => OnnxModelExporter.Export(Model, version);

    public EntityProfile RandomUser(string id) => new(id, new Dictionary<string, FeatureValue>
    {
        ["segment"] = FeatureValue.Of(Enumerable.Range(0, _random.Next(1, 3)).Select(_ => $"s{_random.Next(4)}").ToArray()),
        ["country"] = $"c{_random.Next(5)}",
        ["gender"] = _random.Next(2) == 0 ? "f" : "m",
        ["age"] = _random.Next(15, 75),
        ["friends"] = FeatureValue.Of(Enumerable.Range(0, _random.Next(0, 4)).Select(_ => $"u{_random.Next(60)}").ToArray()),
    });

    public EntityProfile RandomItem(string id) => new(id, new Dictionary<string, FeatureValue>
    {
        ["category"] = $"cat{_random.Next(6)}",
        ["brand"] = $"b{_random.Next(8)}",
        ["tags"] = FeatureValue.Of(Enumerable.Range(0, _random.Next(1, 5)).Select(_ => $"t{_random.Next(12)}").ToArray()),
        ["price"] = Math.Round(_random.NextDouble() * 400, 2),
        ["year"] = _random.Next(1960, 2026),
        ["title"] = string.Join(' ', Enumerable.Range(0, _random.Next(1, 5)).Select(_ => Words[_random.Next(Words.Length)])),
    });

    /// <summary>
    /// A user as a request brings it: a profile (known or new id), recently interacted items with ratings,
    /// and request context, encoded by the model's encoder without growing it.
    /// </summary>
    public FeatureVector RandomRequestUser()
    {
        var profile = _random.Next(4) == 0 ? RandomUser($"new-user-{_random.Next()}") : Users[_random.Next(Users.Count)];
        var recent = Enumerable.Range(0, _random.Next(0, 8)).Select(_ => Items[_random.Next(Items.Count)].Id).ToArray();
        var values = recent.Select(_ => (float)_random.Next(1, 6)).ToArray();
        var context = new Dictionary<string, string> { ["device"] = _random.Next(2) == 0 ? "mobile" : "web", ["hour"] = $"{_random.Next(24)}" };
        var user = new FeatureVector();
        Model.Encoder.EncodeProfile(FeatureSide.User, profile, grow: false, user);
        Model.Encoder.EncodeBehaviour(recent, values, grow: false, user);
        Model.Encoder.EncodeContext(context, user);
        return user;
    }

    public float[] RandomOnlineVector(float scale = 0.1f)
        => Enumerable.Range(0, Model.Rank).Select(_ => (float)((_random.NextDouble() * 2) - 1) * scale).ToArray();

    public float RandomOnlineBias() => (float)((_random.NextDouble() * 2) - 1) * 0.2f;

    public int Next(int maxValue) => _random.Next(maxValue);

    /// <summary>An item catalog holding every item of the world, in world order (index i = item i).</summary>
    public ItemCatalog BuildCatalog(ItemCatalogOptions? options = null)
    {
        var catalog = new ItemCatalog(Model, options);
        catalog.UpsertMany(Items.Profiles);
        return catalog;
    }

    /// <summary>The C# model's raw scores, item by item: μ + b_u + b_i + p·q with p, b_u including the online state.</summary>
    public float[] ReferenceScores(FeatureVector user, ReadOnlySpan<float> onlineVector, float onlineBias, IReadOnlyList<EntityProfile> items)
    {
        var p = new float[Model.Rank];
        Model.UserVector(user, p, out var userBias);
        for (var j = 0; j < onlineVector.Length; j++)
        {
            p[j] += onlineVector[j];
        }

        userBias += onlineBias;
        var q = new float[Model.Rank];
        var encoded = new FeatureVector();
        var scores = new float[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            encoded.Clear();
            Model.Encoder.EncodeProfile(FeatureSide.Item, items[i], grow: false, encoded);
            Model.ItemVector(encoded, q, out var itemBias);
            scores[i] = Model.Score(p, userBias, q, itemBias);
        }

        return scores;
    }
}
