using System.Runtime.InteropServices;

namespace FuncRec.Application.Contracts;

/// <summary>
/// Hash codes of a document's applied event ids, in the same order, kept beside the document in memory and never
/// stored. Finding an id compares codes in one contiguous array and reads only the strings whose code matches:
/// a consumer checks each new event against the user's window of up to 200 ids, and those strings, scattered over
/// a heap of many users' documents, each cost a cache miss to read (a scan was ~6 % of the consumer's CPU).
/// Codes are the process's string hash codes, so the index is rebuilt, never persisted, in another process.
/// </summary>
internal sealed class AppliedIdIndex
{
    private readonly List<string> _ids;
    private readonly int[] _hashes;

    private AppliedIdIndex(List<string> ids, int[] hashes)
    {
        _ids = ids;
        _hashes = hashes;
    }

    /// <summary>The index of <paramref name="document"/>'s applied ids: the one it carries when that was made for its very list, else a new one.</summary>
    public static AppliedIdIndex Of(UserDocument document)
    {
        var ids = document.AppliedEventIds;
        if (document.IdIndex is { } kept && ReferenceEquals(kept._ids, ids) && kept._hashes.Length == ids.Count)
        {
            return kept;
        }

        var hashes = new int[ids.Count];
        for (var i = 0; i < hashes.Length; i++)
        {
            hashes[i] = Hash(ids[i]);
        }

        // A benign race: two threads may both build it; either reference is a correct index of the same list.
        var index = new AppliedIdIndex(ids, hashes);
        document.IdIndex = index;
        return index;
    }

    /// <summary>
    /// The index for <paramref name="window"/>, a list made as the last <c>keep</c> entries of this index's ids followed by
    /// <paramref name="added"/>, from the codes already known: only the added ids are hashed.
    /// </summary>
    public AppliedIdIndex Then(List<string> window, ReadOnlySpan<string> added)
    {
        var hashes = new int[window.Count];
        var fromOld = window.Count - added.Length;
        if (fromOld < 0 || fromOld > _hashes.Length)
        {
            throw new ArgumentException("The window is not this index's ids followed by the added ones.", nameof(window));
        }

        _hashes.AsSpan(_hashes.Length - fromOld).CopyTo(hashes);
        for (var i = 0; i < added.Length; i++)
        {
            hashes[fromOld + i] = Hash(added[i]);
        }

        return new AppliedIdIndex(window, hashes);
    }

    /// <summary>The position of the last occurrence of <paramref name="id"/>, or -1.</summary>
    public int LastIndexOf(string id)
    {
        var hash = Hash(id);
        var codes = _hashes.AsSpan();
        var ids = CollectionsMarshal.AsSpan(_ids);
        while (!codes.IsEmpty)
        {
            var at = codes.LastIndexOf(hash);
            if (at < 0)
            {
                return -1;
            }

            if (string.Equals(ids[at], id, StringComparison.Ordinal))
            {
                return at;
            }

            codes = codes[..at];
        }

        return -1;
    }

    private static int Hash(string id) => string.GetHashCode(id, StringComparison.Ordinal);
}
