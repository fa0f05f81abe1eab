using System.Runtime.InteropServices;
using FuncRec.Application.Contracts;

namespace FuncRec.Embedded;

/// <summary>
/// A user document with its binary encoding (<see cref="UserDocumentBinary"/>) and where the encoding's reusable
/// parts lie, so that encoding the user's next version copies what did not change instead of reading it again.
/// Immutable, like the document: both are shared by the store's cache and its readers.
/// </summary>
public sealed class EncodedUserDocument
{
    internal EncodedUserDocument(UserDocument document, byte[] bytes, int featuresStart, int featuresEnd, WindowLayout recent, WindowLayout eventIds, WindowLayout batchIds)
    {
        Document = document;
        Bytes = bytes;
        FeaturesStart = featuresStart;
        FeaturesEnd = featuresEnd;
        Recent = recent;
        EventIds = eventIds;
        BatchIds = batchIds;
    }

    public UserDocument Document { get; }

    /// <summary>
    /// This encoding as the base of a later version's (see <see cref="UserDocumentBinary.Encode(UserDocument, EncodedUserDocument?)"/>),
    /// keeping of its document only what the next encoding compares: its features and its three windows. Kept beside a
    /// newer version, it then holds no more of the old one alive than those lists.
    /// </summary>
    internal EncodedUserDocument AsBase() => new(
        new UserDocument { Id = Document.Id, Features = Document.Features, Recent = Document.Recent, AppliedEventIds = Document.AppliedEventIds, AppliedBatchIds = Document.AppliedBatchIds },
        Bytes, FeaturesStart, FeaturesEnd, Recent, EventIds, BatchIds);

    /// <summary>The encoding (not to be changed: it is what the database holds).</summary>
    public byte[] Bytes { get; }

    /// <summary>How many of the bytes were copied from the previous version's encoding rather than encoded again (0 for a decoded one).</summary>
    public int CopiedBytes { get; init; }

    internal int FeaturesStart { get; }

    internal int FeaturesEnd { get; }

    internal WindowLayout Recent { get; }

    internal WindowLayout EventIds { get; }

    internal WindowLayout BatchIds { get; }
}

/// <summary>
/// Where a window's elements lie in an encoding: each one's first byte, then the window's end (one more entry than
/// elements); and the byte width of its tokens, 0 when they are strings (interactions always are).
/// </summary>
internal sealed record WindowLayout(int[] Starts, byte Width)
{
    /// <summary>Tokens of <paramref name="width"/> bytes each, one after the other from <paramref name="body"/>.</summary>
    public static WindowLayout Evenly(int body, int count, byte width)
    {
        var starts = new int[count + 1];
        for (var i = 0; i <= count; i++)
        {
            starts[i] = body + (i * width);
        }

        return new WindowLayout(starts, width);
    }
}

/// <summary>One window of a user's previous version, as its next encoding reuses it: its elements, where each lies, and the bytes they lie in.</summary>
internal readonly record struct PreviousWindow<T>(List<T> Elements, WindowLayout Layout, byte[] Bytes)
    where T : class
{
    /// <summary>How many of <paramref name="now"/>'s first elements are this window's last ones, the same objects (see <see cref="SlidingWindow"/>).</summary>
    public int Shared(List<T> now, out int dropped)
    {
        // A layout always has one entry more than its window; anything else would copy the wrong bytes.
        if (Layout.Starts.Length != Elements.Count + 1)
        {
            dropped = 0;
            return 0;
        }

        return SlidingWindow.Shared<T>(CollectionsMarshal.AsSpan(now), CollectionsMarshal.AsSpan(Elements), out dropped);
    }
}
