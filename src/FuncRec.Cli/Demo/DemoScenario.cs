using FuncRec.Core.Data;
using FuncRec.Core.Evaluation;
using FuncRec.Core.Features;
using FuncRec.Core.Training;

namespace FuncRec.Cli.Demo;

/// <summary>One event of a demo stream, by id.</summary>
public sealed record DemoEvent(string UserId, string ItemId, string Type, float? Value);

/// <summary>
/// What the demo plays: users and items with features, a history to pretrain on, and a stream to replay with a
/// drift at <see cref="DriftIndex"/> (an index into <see cref="Stream"/>).
/// </summary>
public sealed record DemoScenario(
    string Name,
    IReadOnlyList<EntityProfile> Users,
    IReadOnlyList<EntityProfile> Items,
    IReadOnlyList<DemoEvent> History,
    IReadOnlyList<DemoEvent> Stream,
    int DriftIndex,
    string DriftDescription)
{
    /// <summary>
    /// The synthetic world: every user's taste moves to another category at the drift. Quick: 300 users, 200
    /// items, 3,000 history and 6,000 streamed events; full: 1,000 users, 600 items, 20,000 and 40,000.
    /// </summary>
    public static DemoScenario Synthetic(bool quick, ulong seed = 11)
    {
        var history = quick ? 3_000 : 20_000;
        var stream = quick ? 6_000 : 40_000;
        var driftInStream = stream / 3;
        var world = SyntheticWorld.Generate(new SyntheticWorldOptions
        {
            Users = quick ? 300 : 1000,
            Items = quick ? 200 : 600,
            Events = history + stream,
            DriftAt = history + driftInStream,
            ArrivingUsers = 0.1f,
            ArrivingItems = 0.1f,
            ExplicitRatings = false,
            Seed = seed,
        });
        var events = world.Events.Select(e => new DemoEvent(world.Users[e.User].Id, world.Items[e.Item].Id, e.Item % 5 == 0 ? "purchase" : "click", null)).ToArray();
        return new DemoScenario(
            "synthetic world",
            world.Users.Profiles,
            world.Items.Profiles,
            events[..history],
            events[history..],
            driftInStream,
            "every user's taste moves to another category");
    }

    /// <summary>
    /// MovieLens 100K in time order: the first half is history, the second half streams; at the drift the users'
    /// tastes are turned around (every rating r becomes 6 − r), so what they liked they now dislike — a hard,
    /// known shift on real data. Ratings of 4 and 5 are the positives the demo measures.
    /// </summary>
    public static DemoScenario MovieLens(string directory, bool quick)
    {
        var data = MovieLens100K.Load(directory);
        var sorted = DataSplits.SortByTime(data.Ratings);
        var historyCount = quick ? 20_000 : sorted.Length / 2;
        var streamCount = quick ? 10_000 : sorted.Length - historyCount;
        var drift = streamCount / 3;
        var events = sorted.Take(historyCount + streamCount).Select((r, i) =>
        {
            var rating = i >= historyCount + drift ? 6 - r.Value : r.Value;
            return new DemoEvent(data.Users[r.User].Id, data.Items[r.Item].Id, EventTypes.Rating, rating);
        }).ToArray();
        return new DemoScenario(
            "MovieLens 100K",
            data.Users.Profiles.Select(Rename).ToArray(),
            data.Items.Profiles.Select(Rename).ToArray(),
            events[..historyCount],
            events[historyCount..],
            drift,
            "ratings turned around (r becomes 6 - r)");
    }

    /// <summary>The MovieLens loader's field names mapped onto the service's default schema.</summary>
    private static EntityProfile Rename(EntityProfile profile)
    {
        var fields = new Dictionary<string, FeatureValue>();
        foreach (var (name, value) in profile.Fields)
        {
            var mapped = name switch
            {
                "genre" => "category",
                "occupation" => "segment",
                "zip" => "country",
                _ => name,
            };
            fields[mapped] = value;
        }

        return profile with { Fields = fields };
    }
}
