using FuncRec.Core.Features;
using FuncRec.Core.Training;

namespace FuncRec.Core.Data;

/// <summary>How a synthetic world is generated; every choice flows from <see cref="Seed"/>.</summary>
public sealed record SyntheticWorldOptions
{
    public int Users { get; init; } = 400;

    public int Items { get; init; } = 300;

    /// <summary>Item categories; each has its own region of the latent space, its own title words and brands.</summary>
    public int Categories { get; init; } = 8;

    /// <summary>Dimensions of the true latent space.</summary>
    public int LatentDimensions { get; init; } = 6;

    /// <summary>Events in the stream, in time order.</summary>
    public int Events { get; init; } = 20_000;

    /// <summary>Index of the event at which every user's taste changes; null for a stationary world.</summary>
    public int? DriftAt { get; init; }

    /// <summary>How far tastes move at the drift: 0 keeps them, 1 replaces them with fresh ones.</summary>
    public float DriftStrength { get; init; } = 1f;

    /// <summary>Share of users who are not there at the start and arrive uniformly over the stream.</summary>
    public float ArrivingUsers { get; init; } = 0.2f;

    /// <summary>Share of items added to the catalog during the stream.</summary>
    public float ArrivingItems { get; init; } = 0.2f;

    /// <summary>Sharpness of choice: higher means users pick their best items more consistently.</summary>
    public float ChoiceSharpness { get; init; } = 3f;

    /// <summary>Standard deviation of the noise added to ratings.</summary>
    public float RatingNoise { get; init; } = 0.4f;

    /// <summary>Ratings 1–5 (explicit) or clicks valued 1 (implicit).</summary>
    public bool ExplicitRatings { get; init; } = true;

    public ulong Seed { get; init; } = 1;

    public void Validate()
    {
        TrainerOptions.Check(Users is >= 2 and <= 1_000_000, nameof(Users), "must be between 2 and 1000000");
        TrainerOptions.Check(Items is >= 2 and <= 1_000_000, nameof(Items), "must be between 2 and 1000000");
        TrainerOptions.Check(Categories is >= 1 and <= 1000 && Categories <= Items, nameof(Categories), "must be between 1 and the item count");
        TrainerOptions.Check(LatentDimensions is >= 1 and <= 256, nameof(LatentDimensions), "must be between 1 and 256");
        TrainerOptions.Check(Events is >= 1 and <= 100_000_000, nameof(Events), "must be between 1 and 100000000");
        TrainerOptions.Check(DriftAt is null || (DriftAt >= 0 && DriftAt < Events), nameof(DriftAt), "must fall inside the stream");
        TrainerOptions.Check(DriftStrength is >= 0 and <= 1, nameof(DriftStrength), "must be in [0, 1]");
        TrainerOptions.Check(ArrivingUsers is >= 0 and < 1, nameof(ArrivingUsers), "must be in [0, 1)");
        TrainerOptions.Check(ArrivingItems is >= 0 and < 1, nameof(ArrivingItems), "must be in [0, 1)");
        TrainerOptions.Check(float.IsFinite(ChoiceSharpness) && ChoiceSharpness > 0, nameof(ChoiceSharpness), "must be finite and positive");
        TrainerOptions.Check(float.IsFinite(RatingNoise) && RatingNoise >= 0, nameof(RatingNoise), "must be finite and not negative");
    }
}

/// <summary>
/// A world with known latent structure for tests, demos and benchmarks that need no dataset: items belong to
/// categories that occupy regions of a latent space (with category-specific title words and brands), users
/// have tastes in that space (with a demographic segment that hints at them), and each event is a user choosing
/// an item with probability growing with their true affinity. Users and items arrive over time, and at
/// <see cref="SyntheticWorldOptions.DriftAt"/> every taste moves.
/// </summary>
public sealed class SyntheticWorld
{
    private static readonly string[] Syllables = ["ka", "lo", "mi", "ra", "ti", "vo", "ne", "su", "da", "pe", "zo", "ri", "ba", "gu", "fe", "ho"];

    private readonly float[][] _itemLatent;
    private readonly float[][] _tasteBefore;
    private readonly float[][] _tasteAfter;

    private SyntheticWorld(SyntheticWorldOptions options, EntityCatalog users, EntityCatalog items, Interaction[] events, float[][] itemLatent, float[][] before, float[][] after, int[] itemCategory, int[] userArrival, int[] itemArrival)
    {
        Options = options;
        Users = users;
        Items = items;
        Events = events;
        _itemLatent = itemLatent;
        _tasteBefore = before;
        _tasteAfter = after;
        ItemCategory = itemCategory;
        UserArrival = userArrival;
        ItemArrival = itemArrival;
    }

    public SyntheticWorldOptions Options { get; }

    public EntityCatalog Users { get; }

    public EntityCatalog Items { get; }

    /// <summary>All events in time order (timestamps are the event index in seconds from a fixed epoch).</summary>
    public Interaction[] Events { get; }

    /// <summary>The true category of each item.</summary>
    public int[] ItemCategory { get; }

    /// <summary>The event index at which each user becomes active.</summary>
    public int[] UserArrival { get; }

    /// <summary>The event index at which each item joins the catalog.</summary>
    public int[] ItemArrival { get; }

    public TrainingData All => new(Users, Items, Events);

    /// <summary>A schema that reads every field the world's profiles carry.</summary>
    public static FeatureSchema Schema(int behaviourCap = 30) => new(
    [
        new FeatureGroup { Name = "user", Side = FeatureSide.User, Kind = FeatureGroupKind.Id, Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "recent", Side = FeatureSide.User, Kind = FeatureGroupKind.Behaviour, MaxValues = behaviourCap },
        new FeatureGroup { Name = "segment", Side = FeatureSide.User, Kind = FeatureGroupKind.Categorical, Normalization = FeatureNormalization.None, Weight = 0.5f },
        new FeatureGroup { Name = "age", Side = FeatureSide.User, Kind = FeatureGroupKind.Numeric, Boundaries = [25, 35, 50], Normalization = FeatureNormalization.None, Weight = 0.5f },
        new FeatureGroup { Name = "item", Side = FeatureSide.Item, Kind = FeatureGroupKind.Id, Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "category", Side = FeatureSide.Item, Kind = FeatureGroupKind.Categorical, Weight = 0.5f },
        new FeatureGroup { Name = "brand", Side = FeatureSide.Item, Kind = FeatureGroupKind.Categorical, Normalization = FeatureNormalization.None, Weight = 0.5f },
        new FeatureGroup { Name = "title", Side = FeatureSide.Item, Kind = FeatureGroupKind.Text, HashBuckets = 1024, MaxValues = 8, Weight = 0.5f },
    ]);

    /// <summary>The user's true affinity for the item before or after the drift (unitless; higher is better).</summary>
    public float TrueAffinity(int user, int item, bool afterDrift)
    {
        var taste = afterDrift ? _tasteAfter[user] : _tasteBefore[user];
        var latent = _itemLatent[item];
        var sum = 0f;
        for (var d = 0; d < latent.Length; d++)
        {
            sum += taste[d] * latent[d];
        }

        return sum;
    }

    public static SyntheticWorld Generate(SyntheticWorldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var random = new SeededRandom(options.Seed);
        var dims = options.LatentDimensions;

        var centroids = new float[options.Categories][];
        for (var c = 0; c < options.Categories; c++)
        {
            centroids[c] = Normalised(RandomVector(random, dims));
        }

        var categoryWords = Enumerable.Range(0, options.Categories).Select(c => Enumerable.Range(0, 5).Select(w => Word(random, 3)).ToArray()).ToArray();
        var commonWords = Enumerable.Range(0, 12).Select(_ => Word(random, 2)).ToArray();

        var items = new EntityCatalog();
        var itemLatent = new float[options.Items][];
        var itemCategory = new int[options.Items];
        var itemArrival = new int[options.Items];
        var popularity = new float[options.Items];
        for (var i = 0; i < options.Items; i++)
        {
            var category = i % options.Categories;
            itemCategory[i] = category;
            var latent = new float[dims];
            for (var d = 0; d < dims; d++)
            {
                latent[d] = (1.6f * centroids[category][d]) + (0.45f * Gaussian(random));
            }

            itemLatent[i] = latent;
            popularity[i] = 0.6f * Gaussian(random);
            // The first item of every category is there from the start, so every taste has something to choose.
            itemArrival[i] = i >= options.Categories && random.NextDouble() < options.ArrivingItems ? random.Next(options.Events) : 0;
            var title = string.Join(' ', categoryWords[category][random.Next(5)], categoryWords[category][random.Next(5)], commonWords[random.Next(commonWords.Length)]);
            items.Upsert(new EntityProfile($"i{i}", new Dictionary<string, FeatureValue>
            {
                ["category"] = FeatureValue.Of([$"c{category}"]),
                ["brand"] = $"b{category}-{random.Next(3)}",
                ["title"] = title,
            }));
        }

        var users = new EntityCatalog();
        var before = new float[options.Users][];
        var after = new float[options.Users][];
        var userArrival = new int[options.Users];
        var activity = new double[options.Users];
        for (var u = 0; u < options.Users; u++)
        {
            var favourite = random.Next(options.Categories);
            var taste = new float[dims];
            for (var d = 0; d < dims; d++)
            {
                taste[d] = (1.2f * centroids[favourite][d]) + (0.5f * Gaussian(random));
            }

            before[u] = taste;
            var shifted = favourite;
            while (options.Categories > 1 && shifted == favourite)
            {
                shifted = random.Next(options.Categories);
            }

            var fresh = new float[dims];
            for (var d = 0; d < dims; d++)
            {
                fresh[d] = (1.2f * centroids[shifted][d]) + (0.5f * Gaussian(random));
            }

            after[u] = Enumerable.Range(0, dims).Select(d => ((1 - options.DriftStrength) * taste[d]) + (options.DriftStrength * fresh[d])).ToArray();
            userArrival[u] = u > 0 && random.NextDouble() < options.ArrivingUsers ? random.Next(options.Events) : 0;
            activity[u] = Math.Exp(0.8 * Gaussian(random));

            // The segment hints at the favourite category three times out of four: demographics that carry signal.
            var segment = random.NextDouble() < 0.75 ? favourite : random.Next(options.Categories);
            users.Upsert(new EntityProfile($"u{u}", new Dictionary<string, FeatureValue>
            {
                ["segment"] = $"s{segment}",
                ["age"] = 18 + random.Next(50),
            }));
        }

        var events = new Interaction[options.Events];
        var scores = new double[options.Items];
        var activeUsers = new List<int>();
        var userOrder = Enumerable.Range(0, options.Users).OrderBy(u => userArrival[u]).ToArray();
        var nextUser = 0;
        var totalActivity = 0.0;
        var cumulative = new List<double>();
        for (var t = 0; t < options.Events; t++)
        {
            while (nextUser < userOrder.Length && userArrival[userOrder[nextUser]] <= t)
            {
                var u = userOrder[nextUser++];
                activeUsers.Add(u);
                totalActivity += activity[u];
                cumulative.Add(totalActivity);
            }

            var pick = random.NextDouble() * totalActivity;
            var index = cumulative.BinarySearch(pick);
            var user = activeUsers[Math.Min(index < 0 ? ~index : index, activeUsers.Count - 1)];
            var drifted = options.DriftAt is { } at && t >= at;
            var taste = drifted ? after[user] : before[user];

            var total = 0.0;
            for (var i = 0; i < options.Items; i++)
            {
                if (itemArrival[i] > t)
                {
                    scores[i] = 0;
                    continue;
                }

                var affinity = Dot(taste, itemLatent[i]) + popularity[i];
                scores[i] = Math.Exp(options.ChoiceSharpness * affinity / Math.Sqrt(dims));
                total += scores[i];
            }

            var draw = random.NextDouble() * total;
            var item = -1;
            for (var i = 0; i < options.Items; i++)
            {
                if (itemArrival[i] > t)
                {
                    continue;
                }

                item = i;
                draw -= scores[i];
                if (draw <= 0)
                {
                    break;
                }
            }

            var value = 1f;
            if (options.ExplicitRatings)
            {
                var affinityValue = Dot(taste, itemLatent[item]) + popularity[item];
                var rating = 3.2 + (0.9 * affinityValue) + (options.RatingNoise * Gaussian(random));
                value = (float)Math.Clamp(Math.Round(rating), 1, 5);
            }

            events[t] = new Interaction(user, item, value, t);
        }

        return new SyntheticWorld(options, users, items, events, itemLatent, before, after, itemCategory, userArrival, itemArrival);
    }

    private static float Dot(float[] a, float[] b)
    {
        var sum = 0f;
        for (var d = 0; d < a.Length; d++)
        {
            sum += a[d] * b[d];
        }

        return sum;
    }

    private static float[] RandomVector(SeededRandom random, int dims) => Enumerable.Range(0, dims).Select(_ => Gaussian(random)).ToArray();

    private static float[] Normalised(float[] v)
    {
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return norm == 0 ? v : v.Select(x => x / norm).ToArray();
    }

    private static float Gaussian(SeededRandom random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }

    private static string Word(SeededRandom random, int syllables)
        => string.Concat(Enumerable.Range(0, syllables).Select(_ => Syllables[random.Next(Syllables.Length)]));
}
