using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using FuncRec.Application.Contracts;
using FuncRec.Core.Data;
using FuncRec.Core.Features;

namespace FuncRec.Embedded;

/// <summary>
/// The embedded store's encoding of a user document: length-prefixed UTF-8 strings, raw little-endian numbers and
/// float arrays, one format byte first. A user document is rewritten on every event batch that touches the user,
/// and as JSON its encoding was the largest cost of applying a batch (a 5–14 KB string per user, converted again to
/// UTF-8 in the database's write turn); this is several times faster to write and read and about half the size.
/// The Azure store keeps JSON, which Cosmos needs. Rows written as JSON text by earlier versions are still read
/// (<see cref="SqliteUserStore"/> tells them apart by each stored value's type, text or blob), and rewritten in this
/// form when next written. The change is one way: a build older than this form cannot read a row written in it.
/// </summary>
public static class UserDocumentBinary
{
    /// <summary>
    /// The first byte of every encoding; a change of layout takes the next number and keeps reading the earlier ones.
    /// Format 2 writes the batch tags as 4-byte numbers, and the event and batch id windows as <see cref="Writer.Tokens"/>
    /// (ids that are lowercase hex of one length, such as batch ids, as raw bytes). Those windows are most of a
    /// document, and transcoding them string by string was most of the time spent encoding it, which the consumer
    /// does for every user of every batch. Format 1 wrote them all as strings; rows in it are still read.
    /// </summary>
    public const byte FormatVersion = 2;

    private const byte PlainStringsFormat = 1;

    /// <summary>
    /// Every property of <see cref="UserDocument"/> this codec carries. A test compares it with the type, so a property
    /// added to the document cannot be silently dropped by the embedded store.
    /// </summary>
    public static readonly IReadOnlyList<string> EncodedProperties =
    [
        nameof(UserDocument.Id), nameof(UserDocument.Features), nameof(UserDocument.Recent), nameof(UserDocument.Online),
        nameof(UserDocument.AppliedEventIds), nameof(UserDocument.AppliedEventBatches), nameof(UserDocument.AppliedBatchTags),
        nameof(UserDocument.AppliedBatchIds), nameof(UserDocument.EventCount), nameof(UserDocument.UpdatedAt), nameof(UserDocument.DeletedAt),
    ];

    // One growing buffer per thread: encoding is synchronous, and the result is copied out at its exact length.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>The encoding of <paramref name="document"/>.</summary>
    public static byte[] Encode(UserDocument document) => Encode(document, previous: null).Bytes;

    /// <summary>
    /// The encoding of <paramref name="document"/>, copying from <paramref name="previous"/> (an earlier version of the
    /// user's document, as encoded or decoded here) the bytes of what the two share: the same features object, and
    /// the interactions and ids of its windows that are the same objects, shifted by the ones that left. The bytes
    /// are exactly those of a fresh encoding (for a previous version read from a row this codec wrote; a corrupt row
    /// that still decodes, say with an over-long count, passes its odd bytes on, and they decode the same); what is saved is reading the shared objects, and that was most of the
    /// cost. A consumer encodes every user of every batch, each user's document was last touched about a second
    /// before, among hundreds of megabytes of others, and its few hundred small objects (an interaction, its item
    /// id, an event id) each cost a cache miss to read: ~27 µs a document against ~6 µs when they are in cache.
    /// Comparing references reads only the lists' arrays, and the previous bytes are read in sequence.
    /// </summary>
    public static EncodedUserDocument Encode(UserDocument document, EncodedUserDocument? previous)
    {
        ArgumentNullException.ThrowIfNull(document);
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(16 * 1024);
        buffer.ResetWrittenCount();
        var writer = new Writer(buffer);
        writer.Byte(FormatVersion);
        writer.String(document.Id);

        var featuresStart = writer.Position;
        var copied = 0;
        if (previous is not null && ReferenceEquals(previous.Document.Features, document.Features))
        {
            writer.Bytes(previous.Bytes.AsSpan(previous.FeaturesStart, previous.FeaturesEnd - previous.FeaturesStart));
            copied += previous.FeaturesEnd - previous.FeaturesStart;
        }
        else
        {
            writer.Features(document.Features);
        }

        var featuresEnd = writer.Position;
        var recent = writer.Recent(document.Recent, previous is null ? null : new(previous.Document.Recent, previous.Recent, previous.Bytes), ref copied);

        writer.Flag(document.Online is not null);
        if (document.Online is { } online)
        {
            writer.String(online.ModelVersion);
            writer.Floats(online.Vectors);
            writer.Floats(online.Biases);
            writer.Floats(online.VectorAccumulators);
            writer.Floats(online.BiasAccumulators);
            writer.Int64(online.AppliedEvents);
        }

        var eventIds = writer.Tokens(document.AppliedEventIds, previous is null ? null : new(previous.Document.AppliedEventIds, previous.EventIds, previous.Bytes), ref copied);
        writer.Tags(document.AppliedEventBatches);
        writer.Tags(document.AppliedBatchTags);
        var batchIds = writer.Tokens(document.AppliedBatchIds, previous is null ? null : new(previous.Document.AppliedBatchIds, previous.BatchIds, previous.Bytes), ref copied);
        writer.Int64(document.EventCount);
        writer.Time(document.UpdatedAt);
        writer.Flag(document.DeletedAt.HasValue);
        if (document.DeletedAt is { } deletedAt)
        {
            writer.Time(deletedAt);
        }

        return new EncodedUserDocument(document, buffer.WrittenSpan.ToArray(), featuresStart, featuresEnd, recent, eventIds, batchIds) { CopiedBytes = copied };
    }

    /// <summary>Reads an encoding; anything malformed (truncated, unknown format) is an <see cref="InvalidDataException"/>.</summary>
    public static UserDocument Decode(ReadOnlySpan<byte> encoded) => Decode(encoded, out _);

    /// <summary>Reads an encoding, keeping it with where its parts lie for <see cref="Encode(UserDocument, EncodedUserDocument?)"/> to reuse.</summary>
    public static EncodedUserDocument DecodeEncoded(byte[] encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        var document = Decode(encoded, out var layout);
        return new EncodedUserDocument(document, encoded, layout.FeaturesStart, layout.FeaturesEnd, layout.Recent, layout.EventIds, layout.BatchIds);
    }

    private static UserDocument Decode(ReadOnlySpan<byte> encoded, out (int FeaturesStart, int FeaturesEnd, WindowLayout Recent, WindowLayout EventIds, WindowLayout BatchIds) layout)
    {
        try
        {
            var reader = new Reader(encoded);
            var format = reader.Byte();
            if (format is not (PlainStringsFormat or FormatVersion))
            {
                throw new InvalidDataException($"A stored user document has format {format}; this version reads formats {PlainStringsFormat} and {FormatVersion}.");
            }

            var tokens = format >= FormatVersion;

            var id = reader.String();
            var featuresStart = reader.Position;
            var featureCount = reader.Count();
            var features = new Dictionary<string, FeatureValue>(reader.Capacity(featureCount), StringComparer.Ordinal);
            for (var i = 0; i < featureCount; i++)
            {
                var name = reader.String();
                features[name] = (FeatureValueKind)reader.Byte() switch
                {
                    FeatureValueKind.Text => FeatureValue.Of(reader.String()),
                    FeatureValueKind.Number => FeatureValue.Of(reader.Double()),
                    FeatureValueKind.List => FeatureValue.Of(reader.Strings()),
                    var kind => throw new InvalidDataException($"A stored user feature has unknown kind {(int)kind}."),
                };
            }

            var featuresEnd = reader.Position;
            var recentCount = reader.Count();
            var recent = new List<RecentInteraction>(reader.Capacity(recentCount));
            var recentStarts = new int[reader.Capacity(recentCount) + 1];
            for (var i = 0; i < recentCount; i++)
            {
                recentStarts[i] = reader.Position;
                var itemId = reader.String();
                var type = EventTypes.Canonical(reader.String());
                var value = reader.Single();
                var hasTarget = reader.Flag();
                var target = reader.Single();
                var appliedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.Int64());
                recent.Add(new RecentInteraction(itemId, type, value, hasTarget ? target : null, appliedAt));
            }

            recentStarts[recentCount] = reader.Position;

            OnlineStateDocument? online = null;
            if (reader.Flag())
            {
                online = new OnlineStateDocument(reader.String(), reader.Floats(), reader.Floats(), reader.Floats(), reader.Floats(), reader.Int64());
            }

            var eventIds = reader.Tokens(tokens, out var eventIdsLayout);
            var eventBatches = tokens ? reader.Tags() : reader.TagStrings();
            var batchTags = tokens ? reader.Tags() : reader.TagStrings();
            var batchIds = reader.Tokens(tokens, out var batchIdsLayout);
            var document = new UserDocument
            {
                Id = id,
                Features = features,
                Recent = recent,
                Online = online,
                AppliedEventIds = eventIds,
                AppliedEventBatches = eventBatches,
                AppliedBatchTags = batchTags,
                AppliedBatchIds = batchIds,
                EventCount = reader.Int64(),
                UpdatedAt = reader.Time(),
            };
            var deletedAt = reader.Flag() ? reader.Time() : (DateTimeOffset?)null;
            if (!reader.AtEnd)
            {
                throw new InvalidDataException("A stored user document has bytes after its end.");
            }

            // Format 1 wrote the same bytes for features, interactions and each id string as format 2 writes, so
            // its layout serves the next encoding as well.
            layout = (featuresStart, featuresEnd, new WindowLayout(recentStarts, 0), eventIdsLayout, batchIdsLayout);
            return document with { DeletedAt = deletedAt };
        }
        catch (Exception exception) when (exception is ArgumentException or OverflowException or DecoderFallbackException)
        {
            throw new InvalidDataException("A stored user document is truncated or malformed.", exception);
        }
    }

    private readonly ref struct Writer(ArrayBufferWriter<byte> buffer)
    {
        public int Position => buffer.WrittenCount;

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(buffer.GetSpan(bytes.Length));
            buffer.Advance(bytes.Length);
        }

        public void Features(Dictionary<string, FeatureValue> features)
        {
            Count(features.Count);
            foreach (var (name, value) in features)
            {
                String(name);
                Byte((byte)value.Kind);
                switch (value.Kind)
                {
                    case FeatureValueKind.Text:
                        String(value.Text ?? string.Empty);
                        break;
                    case FeatureValueKind.Number:
                        Double(value.Number);
                        break;
                    default:
                        var list = value.List ?? [];
                        Count(list.Count);
                        foreach (var entry in list)
                        {
                            String(entry);
                        }

                        break;
                }
            }
        }

        /// <summary>The recent interactions, copying from <paramref name="previous"/> those it shares (see <see cref="SlidingWindow"/>).</summary>
        public WindowLayout Recent(List<RecentInteraction> now, PreviousWindow<RecentInteraction>? previous, ref int copied)
        {
            Count(now.Count);
            var starts = new int[now.Count + 1];
            var next = 0;
            if (previous is { } window)
            {
                next = window.Shared(now, out var dropped);
                copied += CopyElements(window, dropped, next, starts);
            }

            for (; next < now.Count; next++)
            {
                starts[next] = Position;
                var interaction = now[next];
                String(interaction.ItemId);
                String(interaction.Type);
                Single(interaction.Value);
                Flag(interaction.Target.HasValue);
                Single(interaction.Target ?? 0f);

                // Milliseconds, as the JSON form stores them: both stores remember the same instant.
                Int64(interaction.AppliedAt.ToUnixTimeMilliseconds());
            }

            starts[now.Count] = Position;
            return new WindowLayout(starts, 0);
        }

        /// <summary>Copies the bytes of <paramref name="count"/> of the window's elements from <paramref name="dropped"/> on, notes where each now starts, and returns how many bytes it copied.</summary>
        private int CopyElements<T>(PreviousWindow<T> window, int dropped, int count, int[] starts)
            where T : class
        {
            if (count == 0)
            {
                return 0;
            }

            var fromStarts = window.Layout.Starts;
            var first = fromStarts[dropped];
            var length = fromStarts[dropped + count] - first;
            var at = Position;
            Bytes(window.Bytes.AsSpan(first, length));
            for (var i = 0; i < count; i++)
            {
                starts[i] = fromStarts[dropped + i] - first + at;
            }

            return length;
        }

        public void Byte(byte value)
        {
            buffer.GetSpan(1)[0] = value;
            buffer.Advance(1);
        }

        /// <summary>A presence byte (what <see cref="Reader.Flag"/> reads).</summary>
        public void Flag(bool present) => Byte(present ? (byte)1 : (byte)0);

        public void Count(int value)
        {
            // 7 bits per byte: counts and string lengths are almost always one byte.
            var remaining = (uint)value;
            while (remaining >= 0x80)
            {
                Byte((byte)(remaining | 0x80));
                remaining >>= 7;
            }

            Byte((byte)remaining);
        }

        public void String(string value)
        {
            if (value.Length <= MaxOneByteLengthChars)
            {
                // Short enough that its UTF-8 length fits the one-byte count whatever it holds: transcode once,
                // straight after the count's place, instead of measuring first.
                var span = buffer.GetSpan(1 + (value.Length * 3));
                var written = Encoding.UTF8.GetBytes(value, span[1..]);
                span[0] = (byte)written;
                buffer.Advance(1 + written);
                return;
            }

            var length = Encoding.UTF8.GetByteCount(value);
            Count(length);
            Encoding.UTF8.GetBytes(value, buffer.GetSpan(length));
            buffer.Advance(length);
        }

        /// <summary>
        /// A window of ids: its count, then the byte width of its tokens when every one is lowercase hex of the same
        /// even length (at most <see cref="MaxTokenBytes"/> bytes), followed by their bytes; else a width of 0 and
        /// plain strings. Reading gives back the same strings either way. The ids it shares with
        /// <paramref name="previous"/> are copied from there when a fresh encoding would write them the same way:
        /// the new ids settle that, unless they are hex and the shared ones were written as strings (then only a
        /// fresh look at every id can).
        /// </summary>
        public WindowLayout Tokens(List<string> now, PreviousWindow<string>? previous, ref int copied)
        {
            Count(now.Count);
            var starts = new int[now.Count + 1];
            var width = now.Count > 0 && now[0].Length is > 0 and <= 2 * MaxTokenBytes && now[0].Length % 2 == 0 ? now[0].Length / 2 : 0;
            if (previous is { } window)
            {
                var layout = window.Layout;
                var shared = window.Shared(now, out var dropped);
                if (shared > 0 && (layout.Width > 0
                    ? width == layout.Width && AllHex(now, shared, width)
                    : width == 0 || !AllHex(now, shared, width)))
                {
                    Byte(layout.Width);
                    copied += CopyElements(window, dropped, shared, starts);
                    for (var i = shared; i < now.Count; i++)
                    {
                        starts[i] = Position;
                        if (layout.Width > 0)
                        {
                            TryParseLowercaseHex(now[i], buffer.GetSpan(layout.Width)[..layout.Width]);
                            buffer.Advance(layout.Width);
                        }
                        else
                        {
                            String(now[i]);
                        }
                    }

                    starts[now.Count] = Position;
                    return new WindowLayout(starts, layout.Width);
                }
            }

            if (width > 0)
            {
                // Written after the width byte's place and committed only if every token is hex of that width.
                var body = Position + 1;
                var span = buffer.GetSpan(1 + (now.Count * width));
                var hex = true;
                for (var i = 0; i < now.Count && hex; i++)
                {
                    hex = TryParseLowercaseHex(now[i], span.Slice(1 + (i * width), width));
                }

                if (hex)
                {
                    span[0] = (byte)width;
                    buffer.Advance(1 + (now.Count * width));
                    return WindowLayout.Evenly(body, now.Count, (byte)width);
                }
            }

            Byte(0);
            for (var i = 0; i < now.Count; i++)
            {
                starts[i] = Position;
                String(now[i]);
            }

            starts[now.Count] = Position;
            return new WindowLayout(starts, 0);
        }

        /// <summary>Whether the ids from <paramref name="from"/> on are all lowercase hex of <paramref name="width"/> bytes.</summary>
        private static bool AllHex(List<string> ids, int from, int width)
        {
            if (width == 0)
            {
                return false;
            }

            Span<byte> scratch = stackalloc byte[MaxTokenBytes];
            for (var i = from; i < ids.Count; i++)
            {
                if (!TryParseLowercaseHex(ids[i], scratch[..width]))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Batch tags: their count, then 4 little-endian bytes each.</summary>
        public void Tags(List<uint> tags)
        {
            Count(tags.Count);
            var bytes = tags.Count * sizeof(uint);
            var span = buffer.GetSpan(bytes);
            for (var i = 0; i < tags.Count; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(span[(i * sizeof(uint))..], tags[i]);
            }

            buffer.Advance(bytes);
        }

        /// <summary>
        /// Parses exactly <c>2 × into.Length</c> lowercase hex digits. By hand: an id window can hold hundreds of hex
        /// ids, and the framework's parser (with a separate check for upper case) cost several times this.
        /// </summary>
        private static bool TryParseLowercaseHex(string token, Span<byte> into)
        {
            if (token.Length != 2 * into.Length)
            {
                return false;
            }

            for (var i = 0; i < into.Length; i++)
            {
                var high = LowercaseHexDigit(token[2 * i]);
                var low = LowercaseHexDigit(token[(2 * i) + 1]);
                if ((high | low) < 0)
                {
                    return false;
                }

                into[i] = (byte)((high << 4) | low);
            }

            return true;
        }

        private static int LowercaseHexDigit(char c)
            => (uint)(c - '0') <= 9 ? c - '0' : (uint)(c - 'a') <= 5 ? c - 'a' + 10 : -1;

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer.GetSpan(8), value);
            buffer.Advance(8);
        }

        public void Single(float value)
        {
            BinaryPrimitives.WriteSingleLittleEndian(buffer.GetSpan(4), value);
            buffer.Advance(4);
        }

        public void Double(double value)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(buffer.GetSpan(8), value);
            buffer.Advance(8);
        }

        public void Floats(float[] values)
        {
            if (!BitConverter.IsLittleEndian)
            {
                throw new PlatformNotSupportedException("User documents are stored little-endian.");
            }

            Count(values.Length);
            var bytes = MemoryMarshal.AsBytes(values.AsSpan());
            bytes.CopyTo(buffer.GetSpan(bytes.Length));
            buffer.Advance(bytes.Length);
        }

        public void Time(DateTimeOffset value)
        {
            // Ticks and offset: the instant and the offset it was written with, as the JSON form keeps them.
            Int64(value.UtcTicks);
            Int64((long)value.Offset.TotalMinutes);
        }
    }

    /// <summary>Strings up to this many UTF-16 chars have at most 126 UTF-8 bytes: a one-byte count.</summary>
    private const int MaxOneByteLengthChars = 42;

    /// <summary>The widest hex token written as bytes (a SHA-256 in hex); longer ones are plain strings.</summary>
    private const int MaxTokenBytes = 32;

    // Invalid UTF-8 in a stored string is corruption, not something to replace silently.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private ref struct Reader(ReadOnlySpan<byte> encoded)
    {
        private readonly ReadOnlySpan<byte> _encoded = encoded;
        private int _position;

        public readonly bool AtEnd => _position == _encoded.Length;

        public readonly int Position => _position;

        public byte Byte() => Take(1)[0];

        public int Count()
        {
            uint value = 0;
            for (var shift = 0; shift < 35; shift += 7)
            {
                var next = Byte();
                value |= (uint)(next & 0x7F) << shift;
                if (next < 0x80)
                {
                    return value <= int.MaxValue ? (int)value : throw new InvalidDataException("A stored count is out of range.");
                }
            }

            throw new InvalidDataException("A stored count is malformed.");
        }

        public string String()
        {
            var length = Count();
            return StrictUtf8.GetString(Take(length));
        }

        public List<string> Strings()
        {
            var count = Count();
            var values = new List<string>(Capacity(count));
            for (var i = 0; i < count; i++)
            {
                values.Add(String());
            }

            return values;
        }

        /// <summary>What <see cref="Writer.Tokens"/> wrote (format 1: plain strings), and where each id lies.</summary>
        public List<string> Tokens(bool tokensFormat, out WindowLayout layout)
        {
            var count = Count();
            var width = tokensFormat ? Byte() : (byte)0;
            if (width == 0)
            {
                var values = new List<string>(Capacity(count));
                var starts = new int[Capacity(count) + 1];
                for (var i = 0; i < count; i++)
                {
                    starts[i] = _position;
                    values.Add(String());
                }

                starts[count] = _position;
                layout = new WindowLayout(starts, 0);
                return values;
            }

            if (width > MaxTokenBytes)
            {
                throw new InvalidDataException($"A stored id window has tokens of {width} bytes.");
            }

            var body = _position;
            var bytes = Take(checked(count * width));
            var tokens = new List<string>(count);
            for (var i = 0; i < count; i++)
            {
                tokens.Add(Convert.ToHexStringLower(bytes.Slice(i * width, width)));
            }

            layout = WindowLayout.Evenly(body, count, width);
            return tokens;
        }

        /// <summary>What <see cref="Writer.Tags"/> wrote.</summary>
        public List<uint> Tags()
        {
            var count = Count();
            var bytes = Take(checked(count * sizeof(uint)));
            var tags = new List<uint>(count);
            for (var i = 0; i < count; i++)
            {
                tags.Add(BinaryPrimitives.ReadUInt32LittleEndian(bytes[(i * sizeof(uint))..]));
            }

            return tags;
        }

        /// <summary>Batch tags as format 1 wrote them: their hex strings.</summary>
        public List<uint> TagStrings()
        {
            var strings = Strings();
            var tags = new List<uint>(strings.Count);
            foreach (var text in strings)
            {
                tags.Add(BatchTags.TryParse(text, out var tag) ? tag : throw new InvalidDataException("A stored batch tag is not 8 hex digits."));
            }

            return tags;
        }

        /// <summary>A presence byte: 0 or 1, anything else is corruption.</summary>
        public bool Flag() => Byte() switch
        {
            0 => false,
            1 => true,
            var other => throw new InvalidDataException($"A stored user document has a presence byte of {other}."),
        };

        /// <summary>A collection's initial capacity: never more entries than bytes left, so a corrupt count cannot allocate without bound.</summary>
        public readonly int Capacity(int count) => Math.Min(count, _encoded.Length - _position);

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public float Single() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

        public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

        public float[] Floats()
        {
            var count = Count();
            var bytes = Take(checked(count * sizeof(float)));
            var values = new float[count];
            bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
            return values;
        }

        public DateTimeOffset Time()
        {
            var utcTicks = Int64();
            var offset = TimeSpan.FromMinutes(Int64());
            return new DateTimeOffset(utcTicks, TimeSpan.Zero).ToOffset(offset);
        }

        private ReadOnlySpan<byte> Take(int length)
        {
            if (length < 0 || length > _encoded.Length - _position)
            {
                throw new InvalidDataException("A stored user document is truncated.");
            }

            var span = _encoded.Slice(_position, length);
            _position += length;
            return span;
        }
    }
}
