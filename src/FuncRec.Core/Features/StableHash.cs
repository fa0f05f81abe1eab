namespace FuncRec.Core.Features;

/// <summary>
/// A hash that is the same in every process and on every machine (unlike <see cref="string.GetHashCode()"/>),
/// so hashed feature rows mean the same thing when a model moves between trainer and scorers.
/// </summary>
public static class StableHash
{
    private const ulong OffsetBasis = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    /// <summary>64-bit FNV-1a over the UTF-16 code units of a seed string and a value, finished with a mixer.</summary>
    public static ulong Of(ReadOnlySpan<char> seed, ReadOnlySpan<char> value)
    {
        var hash = OffsetBasis;
        foreach (var c in seed)
        {
            hash = (hash ^ c) * Prime;
        }

        hash = (hash ^ 0x1F) * Prime;
        foreach (var c in value)
        {
            hash = (hash ^ c) * Prime;
        }

        return Mix(hash);
    }

    /// <summary>The bucket of a value among <paramref name="buckets"/> rows.</summary>
    public static int Bucket(ReadOnlySpan<char> seed, ReadOnlySpan<char> value, int buckets) => (int)(Of(seed, value) % (ulong)buckets);

    /// <summary>Mixes an integer into a well-spread 64-bit value (splitmix64 finaliser).</summary>
    public static ulong Mix(ulong x)
    {
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return x;
    }
}
