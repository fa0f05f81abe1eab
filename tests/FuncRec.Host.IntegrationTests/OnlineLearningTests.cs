using System.Text.Json;
using FuncRec.Host.IntegrationTests.Support;

namespace FuncRec.Host.IntegrationTests;

/// <summary>The loop over real HTTP: posted events reach the served model within moments, without a new version.</summary>
[Collection(TrainedHostCollection.Name)]
public sealed class OnlineLearningTests(TrainedHostFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task PostingClicksInOneCategoryRaisesThatCategoryForTheUser()
    {
        // A user of the history who favours category 0 starts clicking category 2; the items of category 2 they
        // have not touched must gain on the others, in their scores and in their recommendations.
        var user = fixture.Catalog.Users.First(u => u.Favourite == 0).Id;
        var target = fixture.Catalog.ItemsOf(2);
        var clicked = target.Take(8).ToArray();
        var untouched = target.Skip(8).ToArray();
        var others = fixture.Catalog.Items.Where(i => i.Category is 1 or 3).Select(i => i.Id).ToArray();
        var (before, _) = await _client.ScoreAsync(user, untouched.Concat(others));
        var recommendedBefore = (await _client.RecommendAsync(user, "k=10")).ItemIds();

        var clicks = Enumerable.Range(0, 24).Select(n => new TestEvent($"shift-{n}", user, clicked[n % clicked.Length])).ToArray();
        await _client.PostAllAsync(clicks, perRequest: 6);
        await _client.WaitForQueueDrainedAsync();

        var (after, answer) = await _client.ScoreAsync(user, untouched.Concat(others));
        var recommendedAfter = await _client.RecommendAsync(user, "k=10");
        Assert.Equal(fixture.FirstVersion, answer.GetProperty("modelVersion").GetString());
        Assert.Equal(fixture.FirstVersion, recommendedAfter.GetProperty("modelVersion").GetString());

        var targetGain = untouched.Average(i => after[i] - before[i]);
        var otherGain = others.Average(i => after[i] - before[i]);
        Assert.True(targetGain > otherGain, $"untouched category-2 items gained {targetGain:F4}, other categories {otherGain:F4}");
        Assert.All(untouched, i => Assert.True(after[i] > before[i], $"{i}: {before[i]:F4} -> {after[i]:F4}"));

        var inTargetBefore = recommendedBefore.Count(target.Contains);
        var inTargetAfter = recommendedAfter.ItemIds().Count(target.Contains);
        Assert.True(inTargetAfter > inTargetBefore, $"category-2 items in the top 10: {inTargetBefore} before, {inTargetAfter} after");
        Assert.DoesNotContain(recommendedAfter.ItemIds(), clicked.Contains);
    }

    [Fact]
    public async Task ANewItemIsRecommendableAtOnceWithoutANewModel()
    {
        var models = (await _client.GetJsonAsync("api/models")).GetArrayLength();
        var user = fixture.Catalog.Users[1].Id;

        await _client.PutItemAsync("fresh-item", new Dictionary<string, object> { ["category"] = "fresh-category", ["brand"] = "b-new" });
        await _client.PutItemAsync("late-item", new Dictionary<string, object> { ["category"] = TestCatalog.CategoryName(1), ["brand"] = "b1" });

        var onlyNew = await _client.RecommendAsync(user, "category=fresh-category&k=5");
        Assert.Equal(["fresh-item"], onlyNew.ItemIds());
        Assert.Equal(fixture.FirstVersion, onlyNew.GetProperty("modelVersion").GetString());

        var wholeCategory = await _client.RecommendAsync(user, $"category={TestCatalog.CategoryName(1)}&k=100&excludeSeen=false");
        Assert.Contains("late-item", wholeCategory.ItemIds());
        Assert.Superset(fixture.Catalog.ItemsOf(1).ToHashSet(), wholeCategory.ItemIds().ToHashSet());

        var (scores, answer) = await _client.ScoreAsync(user, ["fresh-item", "late-item"]);
        Assert.Empty(answer.GetProperty("unknownItems").EnumerateArray());
        Assert.True(double.IsFinite(scores["fresh-item"]) && double.IsFinite(scores["late-item"]), answer.ToString());
        Assert.Equal(fixture.FirstVersion, answer.GetProperty("modelVersion").GetString());
        Assert.Equal(models, (await _client.GetJsonAsync("api/models")).GetArrayLength());
    }

    [Fact]
    public async Task UnknownUsersGetColdStartRecommendationsFromTheModel()
    {
        var recommendations = await _client.RecommendAsync("never-seen-user", "k=5");

        Assert.Equal("cold-start", recommendations.GetProperty("strategy").GetString());
        Assert.Equal(fixture.FirstVersion, recommendations.GetProperty("modelVersion").GetString());
        Assert.Equal(5, recommendations.ItemIds().Length);

        var (scores, answer) = await _client.ScoreAsync("never-seen-user", fixture.Catalog.ItemsOf(0));
        Assert.Equal(TestCatalog.ItemsPerCategory, scores.Count);
        Assert.Equal(JsonValueKind.String, answer.GetProperty("modelVersion").ValueKind);
    }
}
