namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>
/// A small hand-made world: items in a few categories (the <c>category</c> feature the API filters on) and users
/// who each favour one category, so that behaviour carries a signal a model can learn in seconds.
/// </summary>
public sealed class TestCatalog
{
    public const int Categories = 4;
    public const int ItemsPerCategory = 12;

    private TestCatalog(int users)
    {
        Items = Enumerable.Range(0, Categories * ItemsPerCategory).Select(i => new CatalogItem($"i{i % Categories}-{i / Categories}", i % Categories)).ToArray();
        Users = Enumerable.Range(0, users).Select(u => new CatalogUser($"u{u}", u % Categories)).ToArray();
    }

    public IReadOnlyList<CatalogItem> Items { get; }

    public IReadOnlyList<CatalogUser> Users { get; }

    public static TestCatalog Create(int users = 40) => new(users);

    public static string CategoryName(int category) => $"c{category}";

    public IReadOnlyList<string> ItemsOf(int category) => Items.Where(i => i.Category == category).Select(i => i.Id).ToArray();

    /// <summary>Each user's clicks, four in five of them in their favourite category, with client event ids; deterministic per seed.</summary>
    public IReadOnlyList<TestEvent> History(int eventsPerUser, int seed, string eventPrefix = "h")
    {
        var random = new Random(seed);
        var events = new List<TestEvent>();
        for (var round = 0; round < eventsPerUser; round++)
        {
            foreach (var user in Users)
            {
                var category = random.NextDouble() < 0.8 ? user.Favourite : random.Next(Categories);
                var items = ItemsOf(category);
                events.Add(new TestEvent($"{eventPrefix}-{events.Count}", user.Id, items[random.Next(items.Count)]));
            }
        }

        return events;
    }

    /// <summary>Puts every item (category, brand) and user (segment hinting at their favourite) through the API, in a fixed order.</summary>
    public async Task PutAllAsync(HttpClient client)
    {
        foreach (var item in Items)
        {
            await client.PutItemAsync(item.Id, new Dictionary<string, object> { ["category"] = CategoryName(item.Category), ["brand"] = $"b{item.Category}" });
        }

        foreach (var user in Users)
        {
            await client.PutUserAsync(user.Id, new Dictionary<string, object> { ["segment"] = $"s{user.Favourite}" });
        }
    }
}

public sealed record CatalogItem(string Id, int Category);

public sealed record CatalogUser(string Id, int Favourite);
