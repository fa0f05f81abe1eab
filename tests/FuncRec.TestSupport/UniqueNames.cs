using System.Globalization;

namespace FuncRec.TestSupport;

/// <summary>
/// Names for containers, queues and databases that no other test uses: a short prefix, a per-process counter and a
/// random tail, lowercase alphanumerics and hyphens only (valid for blob containers, queues and Cosmos resources).
/// </summary>
public static class UniqueNames
{
    private static int _counter;

    public static string Next(string prefix)
    {
        var number = Interlocked.Increment(ref _counter).ToString(CultureInfo.InvariantCulture);
        var name = $"{prefix.ToLowerInvariant()}-{number}-{Guid.NewGuid():N}";

        // Queue names get "-poison" appended (7 characters) and must stay within 63.
        return name.Length <= 50 ? name : name[..50].TrimEnd('-');
    }
}
