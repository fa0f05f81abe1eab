using FuncRec.Core.Features;
using FuncRec.Core.Model;
using FuncRec.Core.Training;

namespace FuncRec.Benchmarks.Micro;

/// <summary>
/// A random world under <see cref="FeatureSchema.Default"/> (five user fields: segment, country, age, gender,
/// friends; behaviour capped at 50; items with category, brand, tags, price, year and title) and a model fitted on
/// random interactions, as the serving tests build theirs: the weights mean nothing, but every table, row and
/// vector has the shape and cost of a real one.
/// </summary>
internal sealed class SyntheticRecommender
{
    private static readonly string[] Words = ["red", "blue", "fast", "quiet", "pro", "mini", "max", "eco", "smart", "classic", "ultra", "lite"];

    private readonly Random _random;

    public SyntheticRecommender(int users, int items, int interactions, int rank, int seed = 42)
    {
        _random = new Random(seed);
        Users = new EntityCatalog(Enumerable.Range(0, users).Select(u => RandomUser($"u{u}")));
        Items = new EntityCatalog(Enumerable.Range(0, items).Select(i => RandomItem($"i{i}")));
        var events = Enumerable.Range(0, interactions)
            .Select(t => new Interaction(_random.Next(users), _random.Next(items), 1f, t))
            .ToArray();
        var options = new TrainerOptions { Rank = rank, Loss = LossKind.Bpr, Epochs = 1, Seed = (ulong)seed };
        Model = new RecommenderTrainer(options).Fit(FeatureSchema.Default, new TrainingData(Users, Items, events));
    }

    public RecommenderModel Model { get; }

    public EntityCatalog Users { get; }

    public EntityCatalog Items { get; }

    /// <summary>A profile with the five user fields of the default schema.</summary>
    public EntityProfile RandomUser(string id) => new(id, new Dictionary<string, FeatureValue>
    {
        ["segment"] = FeatureValue.Of([$"s{_random.Next(4)}", $"s{4 + _random.Next(4)}"]),
        ["country"] = $"c{_random.Next(5)}",
        ["age"] = _random.Next(15, 75),
        ["gender"] = _random.Next(2) == 0 ? "f" : "m",
        ["friends"] = FeatureValue.Of(Enumerable.Range(0, 3).Select(_ => $"u{_random.Next(100)}").ToArray()),
    });

    public EntityProfile RandomItem(string id) => new(id, new Dictionary<string, FeatureValue>
    {
        ["category"] = $"cat{_random.Next(12)}",
        ["brand"] = $"b{_random.Next(40)}",
        ["tags"] = FeatureValue.Of(Enumerable.Range(0, _random.Next(1, 5)).Select(_ => $"t{_random.Next(30)}").ToArray()),
        ["price"] = Math.Round(_random.NextDouble() * 400, 2),
        ["year"] = _random.Next(1960, 2026),
        ["title"] = string.Join(' ', Enumerable.Range(0, _random.Next(1, 5)).Select(_ => Words[_random.Next(Words.Length)])),
    });

    /// <summary>Ids of <paramref name="count"/> distinct catalog items, oldest first, and a rating for each: a user's recent behaviour.</summary>
    public (string[] Ids, float[] Values) RandomBehaviour(int count)
    {
        var ids = Enumerable.Range(0, Items.Count).OrderBy(_ => _random.Next()).Take(count).Select(i => Items[i].Id).ToArray();
        var values = ids.Select(_ => (float)_random.Next(1, 6)).ToArray();
        return (ids, values);
    }

    /// <summary>A user as a request brings them: a known profile plus recent behaviour, encoded without growing the model.</summary>
    public FeatureVector RequestUser(int behaviourItems)
    {
        var (ids, values) = RandomBehaviour(behaviourItems);
        var user = new FeatureVector();
        Model.Encoder.EncodeProfile(FeatureSide.User, Users[_random.Next(Users.Count)], grow: false, user);
        Model.Encoder.EncodeBehaviour(ids, values, grow: false, user);
        return user;
    }
}
