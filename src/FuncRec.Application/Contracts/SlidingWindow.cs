namespace FuncRec.Application.Contracts;

/// <summary>
/// Windows of a user document (recent interactions, applied ids) change by appending at the end and dropping from
/// the front, and each new version's list holds the very objects of the previous one. What was computed from the
/// objects of one version can then be reused for the next by comparing references only, never reading the objects:
/// the documents of 10,000 users are spread over hundreds of megabytes, and reading one's few hundred small objects
/// costs a cache miss each.
/// </summary>
public static class SlidingWindow
{
    /// <summary>
    /// How many of <paramref name="now"/>'s first elements are the very objects that end <paramref name="before"/>
    /// (all of <paramref name="before"/> from index <paramref name="dropped"/> on). 0 when none are, or when the two are
    /// not related that way (for instance when <paramref name="now"/> lost elements from its end).
    /// </summary>
    public static int Shared<T>(ReadOnlySpan<T> now, ReadOnlySpan<T> before, out int dropped)
        where T : class
    {
        dropped = 0;
        if (before.IsEmpty || now.IsEmpty)
        {
            return 0;
        }

        for (var start = 0; start < before.Length; start++)
        {
            var shared = before.Length - start;
            if (shared <= now.Length && ReferenceEquals(before[start], now[0]) && Same(now[..shared], before[start..]))
            {
                dropped = start;
                return shared;
            }
        }

        return 0;
    }

    private static bool Same<T>(ReadOnlySpan<T> left, ReadOnlySpan<T> right)
        where T : class
    {
        for (var i = 0; i < left.Length; i++)
        {
            if (!ReferenceEquals(left[i], right[i]))
            {
                return false;
            }
        }

        return true;
    }
}
