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
internal sealed record WindowLayout(int[] Starts, byte Width);
