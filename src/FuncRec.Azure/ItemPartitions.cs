using System.Text;

namespace FuncRec.Azure;

/// <summary>
/// The items container's partition key: one of <see cref="Count"/> buckets (<c>b0</c>…<c>b15</c>) from a stable hash of
/// the raw item id. Point operations know the bucket from the id alone; listing the catalog is a fixed number of
/// single-partition queries, never a cross-partition one.
/// </summary>
internal static class ItemPartitions
{
    public const int Count = 16;

    public static IReadOnlyList<string> All { get; } = Enumerable.Range(0, Count).Select(Name).ToArray();

    /// <summary>FNV-1a over the UTF-8 bytes: fixed across processes and versions, unlike string.GetHashCode.</summary>
    public static string Of(string itemId)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(itemId))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return Name((int)(hash % Count));
    }

    private static string Name(int bucket) => "b" + bucket.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
