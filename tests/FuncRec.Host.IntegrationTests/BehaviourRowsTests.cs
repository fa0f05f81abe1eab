using FuncRec.Application.Contracts;
using FuncRec.Application.Services;
using FuncRec.Core.Features;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// Behaviour rows kept between encodings of a user: whatever happened to the user's interactions in between, the
/// features must be exactly those of encoding them afresh.
/// </summary>
public sealed class BehaviourRowsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static readonly FeatureSchema Schema = new(
    [
        new FeatureGroup { Name = "recent", Side = FeatureSide.User, Kind = FeatureGroupKind.Behaviour, MaxValues = 5, ValueScale = 0.25f, ValueCenter = 3f, Normalization = FeatureNormalization.InverseSqrt },
        new FeatureGroup { Name = "item", Side = FeatureSide.Item, Kind = FeatureGroupKind.Id },
    ]);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Kept_rows_give_the_features_of_a_fresh_encoding_after_any_change(int seed)
    {
        var encoder = new FeatureEncoder(new FeatureSpace(Schema));
        encoder.EncodeBehaviour([.. Enumerable.Range(0, 40).Select(i => $"i{i}")], null, grow: true, new FeatureVector());
        var rows = new BehaviourRows(encoder);
        var random = new Random(seed);
        var recent = new List<RecentInteraction>();
        var user = new UserDocument { Id = "u1", Recent = recent };
        for (var step = 0; step < 300; step++)
        {
            switch (random.Next(6))
            {
                case 0:
                    // A new version with a new list sharing the kept interactions, the front dropped.
                    recent = [.. recent.Skip(random.Next(recent.Count + 1)), Interaction(random, step)];
                    break;
                case 1:
                    // Shrunk from the end, or emptied.
                    recent = [.. recent.Take(random.Next(recent.Count + 1))];
                    break;
                case 2:
                    // Equal values in other objects.
                    recent = [.. recent.Select(r => r with { })];
                    break;
                default:
                    // The same list appended to in place, as the batch processor does between the events of one batch.
                    recent.Add(Interaction(random, step));
                    if (recent.Count > 12)
                    {
                        recent.RemoveRange(0, random.Next(1, 4));
                    }

                    break;
            }

            user = user with { Recent = recent };
            var count = random.Next(4) == 0 ? random.Next(recent.Count + 1) : recent.Count;
            var expected = new FeatureVector();
            encoder.EncodeBehaviour([.. recent.Take(count).Select(r => r.ItemId)], [.. recent.Take(count).Select(r => r.Value)], grow: false, expected);
            var kept = new FeatureVector();
            if (count > 0)
            {
                rows.Append(user, count, kept);
            }

            Assert.True(expected.Rows.SequenceEqual(kept.Rows), $"step {step}: rows differ");
            Assert.True(expected.Weights.SequenceEqual(kept.Weights), $"step {step}: weights differ");
        }
    }

    [Fact]
    public async Task Callers_encoding_versions_of_one_user_at_once_each_get_their_own_versions_features()
    {
        // Entries are replaced whole, so a caller may build on another caller's entry for another version of the
        // user (older or newer than its own); what it shares with it is found by reference, and the rest looked up.
        var encoder = new FeatureEncoder(new FeatureSpace(Schema));
        encoder.EncodeBehaviour([.. Enumerable.Range(0, 40).Select(i => $"i{i}")], null, grow: true, new FeatureVector());
        var rows = new BehaviourRows(encoder);
        var history = Enumerable.Range(0, 400).Select(step => Interaction(new Random(step), step)).ToArray();
        var failures = 0;
        var callers = Enumerable.Range(0, 4).Select(caller => Task.Run(() =>
        {
            var random = new Random(caller);
            for (var round = 0; round < 2_000; round++)
            {
                // A window of the one history, as successive versions of the user's document hold it.
                var end = random.Next(1, history.Length + 1);
                var start = Math.Max(0, end - random.Next(1, 13));
                var recent = history[start..end].ToList();
                var user = new UserDocument { Id = "u1", Recent = recent };
                var expected = new FeatureVector();
                encoder.EncodeBehaviour([.. recent.Select(r => r.ItemId)], [.. recent.Select(r => r.Value)], grow: false, expected);
                var kept = new FeatureVector();
                rows.Append(user, recent.Count, kept);
                if (!expected.Rows.SequenceEqual(kept.Rows) || !expected.Weights.SequenceEqual(kept.Weights))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToArray();
        await Task.WhenAll(callers);

        Assert.Equal(0, failures);
    }

    private static RecentInteraction Interaction(Random random, int step)
        => new(random.Next(8) == 0 ? $"new-{step}" : $"i{random.Next(40)}", "rating", random.Next(1, 6), null, Now.AddSeconds(step));
}
