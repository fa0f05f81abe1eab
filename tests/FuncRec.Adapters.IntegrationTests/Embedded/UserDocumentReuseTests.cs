using System.Text.Json;
using FuncRec.Application.Contracts;
using FuncRec.Core.Features;
using FuncRec.Embedded;

namespace FuncRec.Adapters.IntegrationTests.Embedded;

/// <summary>
/// Encoding a user's next version from the previous one's encoding: the bytes must be exactly those of a fresh
/// encoding whatever changed between the two, and the shared parts must really be copied.
/// </summary>
public sealed class UserDocumentReuseTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_version_that_slid_its_windows_copies_what_it_shares_and_writes_the_same_bytes_as_a_fresh_encoding()
    {
        var first = User(recent: 50, eventIds: 200, hexIds: false);
        var previous = UserDocumentBinary.Encode(first, previous: null);
        var next = Slide(first, added: 3, recentCap: 50, idCap: 200, hexIds: false, tag: 7);

        var reused = UserDocumentBinary.Encode(next, previous);

        Assert.Equal(UserDocumentBinary.Encode(next), reused.Bytes);
        // Everything but the new interactions and ids, the online state's floats and the batch tags (both copied
        // from arrays, which is cheap) and a few scalars.
        var floats = (160 + 5 + 160 + 5) * sizeof(float);
        var tags = (next.AppliedEventBatches.Count + next.AppliedBatchTags.Count) * sizeof(uint);
        Assert.True(reused.CopiedBytes > (reused.Bytes.Length - floats - tags) * 9 / 10, $"only {reused.CopiedBytes} of {reused.Bytes.Length} bytes were copied");
        Assert.Equal(Serialized(next), Serialized(UserDocumentBinary.Decode(reused.Bytes)));
    }

    [Fact]
    public void Decoded_interactions_share_the_one_instance_of_their_type()
    {
        var decoded = UserDocumentBinary.Decode(UserDocumentBinary.Encode(User(recent: 10, eventIds: 5, hexIds: false)));

        // Every user read from the file keeps dozens of interactions in memory; their types need not be dozens of strings.
        Assert.All(decoded.Recent, interaction => Assert.Same(FuncRec.Core.Data.EventTypes.All.Single(type => type == interaction.Type), interaction.Type));
    }

    [Fact]
    public void Hex_id_windows_are_copied_as_their_raw_bytes()
    {
        var first = User(recent: 10, eventIds: 100, hexIds: true);
        var previous = UserDocumentBinary.Encode(first, previous: null);
        var next = Slide(first, added: 2, recentCap: 10, idCap: 100, hexIds: true, tag: 9);

        var reused = UserDocumentBinary.Encode(next, previous);

        Assert.Equal(UserDocumentBinary.Encode(next), reused.Bytes);
        Assert.True(reused.CopiedBytes >= 98 * 8, $"only {reused.CopiedBytes} bytes were copied"); // 98 kept ids of 8 bytes
    }

    [Fact]
    public void Nothing_is_copied_from_a_version_that_shares_no_objects()
    {
        var first = User(recent: 5, eventIds: 5, hexIds: false);
        var previous = UserDocumentBinary.Encode(first, previous: null);

        // Equal values, but other objects: equality is not enough, since only references are compared.
        var copy = UserDocumentBinary.Decode(UserDocumentBinary.Encode(first));
        var reused = UserDocumentBinary.Encode(copy, previous);

        Assert.Equal(0, reused.CopiedBytes);
        Assert.Equal(UserDocumentBinary.Encode(first), reused.Bytes);
    }

    [Fact]
    public void A_decoded_version_serves_as_the_previous_one_in_either_format()
    {
        var format2 = UserDocumentBinary.Encode(User(recent: 20, eventIds: 30, hexIds: false));
        var format1 = Convert.FromBase64String(EmbeddedStorageTests.EverythingInFormat1);
        foreach (var stored in new[] { format2, format1 })
        {
            var previous = UserDocumentBinary.DecodeEncoded(stored);
            var next = Slide(previous.Document, added: 1, recentCap: 20, idCap: 30, hexIds: false, tag: 3);

            var reused = UserDocumentBinary.Encode(next, previous);

            Assert.Equal(UserDocumentBinary.Encode(next), reused.Bytes);
            Assert.True(reused.CopiedBytes > 0);
        }
    }

    /// <summary>
    /// Hundreds of seeded random changes, each encoded from the one before: windows sliding by any amount, shrinking,
    /// emptied or replaced; ids switching between hex of one width, hex of another and plain strings; features
    /// replaced or kept; online state set and cleared; a tombstone. Every encoding must equal a fresh one.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Any_sequence_of_changes_encodes_exactly_as_fresh_encodings_do(int seed)
    {
        var random = new Random(seed);
        var document = User(recent: random.Next(0, 30), eventIds: random.Next(0, 40), hexIds: random.Next(2) == 0);
        var previous = UserDocumentBinary.Encode(document, previous: null);
        var copiedAny = false;
        for (var step = 0; step < 400; step++)
        {
            document = Change(document, random, step);
            var reused = UserDocumentBinary.Encode(document, previous);
            var fresh = UserDocumentBinary.Encode(document);
            Assert.True(fresh.AsSpan().SequenceEqual(reused.Bytes), $"step {step}: the reused encoding differs from a fresh one");
            copiedAny |= reused.CopiedBytes > 0;

            // The next step starts from this encoding, or (as after a read from the database) from decoding it.
            previous = random.Next(4) == 0 ? UserDocumentBinary.DecodeEncoded(reused.Bytes) : reused;
            document = previous.Document;
        }

        Assert.True(copiedAny);
    }

    private static UserDocument Change(UserDocument document, Random random, int step)
    {
        switch (random.Next(10))
        {
            case 0:
                return document with { Features = new Dictionary<string, FeatureValue> { ["step"] = step, ["segment"] = $"s{random.Next(3)}" } };
            case 1:
                return document with { Online = random.Next(2) == 0 ? null : new OnlineStateDocument($"v-{step}", [step, 1f], [0.5f], [1f, 1f], [1f], step) };
            case 2:
                // Shrunk from the end: what remains is the previous front, which is not a slide.
                return document with
                {
                    Recent = document.Recent.Take(random.Next(document.Recent.Count + 1)).ToList(),
                    AppliedEventIds = document.AppliedEventIds.Take(random.Next(document.AppliedEventIds.Count + 1)).ToList(),
                };
            case 3:
                return document with { Recent = [], AppliedEventIds = [], AppliedEventBatches = [], AppliedBatchIds = [] };
            case 4:
                return document with { AppliedEventIds = Ids(random, random.Next(0, 20), (IdKind)random.Next(3), step), DeletedAt = random.Next(5) == 0 ? Now : null };
            default:
                var kind = (IdKind)random.Next(3);
                var added = random.Next(0, 6);
                var recentCap = random.Next(1, 40);
                var idCap = random.Next(1, 60);
                var fresh = Ids(random, added, kind, step);
                return document with
                {
                    Recent = [.. document.Recent, .. Enumerable.Range(0, added).Select(i => Interaction(random, step * 10 + i))],
                    AppliedEventIds = Window(document.AppliedEventIds, fresh, idCap),
                    AppliedEventBatches = Window(document.AppliedEventBatches, [.. fresh.Select(_ => (uint)step)], idCap),
                    AppliedBatchIds = Window(document.AppliedBatchIds, [Guid.NewGuid().ToString(random.Next(4) == 0 ? "D" : "N")], 5),
                    EventCount = document.EventCount + added,
                } is var slid && slid.Recent.Count > recentCap ? slid with { Recent = slid.Recent.Skip(slid.Recent.Count - recentCap).ToList() } : slid;
        }
    }

    private enum IdKind
    {
        Hex8,
        Hex16,
        Plain,
    }

    private static List<string> Ids(Random random, int count, IdKind kind, int step)
        => [.. Enumerable.Range(0, count).Select(i => kind switch
        {
            IdKind.Hex8 => random.Next().ToString("x8"),
            IdKind.Hex16 => $"{random.Next():x8}{random.Next():x8}",
            _ => $"e-{step}-{i}",
        })];

    private static List<T> Window<T>(List<T> kept, List<T> added, int cap)
    {
        var all = new List<T>(kept.Count + added.Count);
        all.AddRange(kept);
        all.AddRange(added);
        return all.Count > cap ? all.GetRange(all.Count - cap, cap) : all;
    }

    private static RecentInteraction Interaction(Random random, int n)
        => new($"item-{random.Next(1000)}", n % 3 == 0 ? "rating" : "click", 1.5f, n % 2 == 0 ? 1.5f : null, Now.AddSeconds(n));

    private static UserDocument User(int recent, int eventIds, bool hexIds)
    {
        var random = new Random(recent * 1000 + eventIds);
        var ids = Ids(random, eventIds, hexIds ? IdKind.Hex16 : IdKind.Plain, 0);
        return new UserDocument
        {
            Id = "user-1",
            Features = new Dictionary<string, FeatureValue> { ["segment"] = "s0", ["age"] = 31 },
            Recent = [.. Enumerable.Range(0, recent).Select(i => Interaction(random, i))],
            Online = new OnlineStateDocument("v-1", new float[160], new float[5], new float[160], new float[5], 3),
            AppliedEventIds = ids,
            AppliedEventBatches = [.. ids.Select(_ => 1u)],
            AppliedBatchTags = [1u],
            AppliedBatchIds = [Guid.NewGuid().ToString("N")],
            EventCount = recent,
            UpdatedAt = Now,
        };
    }

    /// <summary>The document after a batch of <paramref name="added"/> events, as the batch processor derives it: new lists sharing the kept objects.</summary>
    private static UserDocument Slide(UserDocument document, int added, int recentCap, int idCap, bool hexIds, uint tag)
    {
        var random = new Random(added);
        var ids = Ids(random, added, hexIds ? IdKind.Hex16 : IdKind.Plain, 99);
        return document with
        {
            Recent = Window(document.Recent, [.. Enumerable.Range(0, added).Select(i => Interaction(random, 1000 + i))], recentCap),
            AppliedEventIds = Window(document.AppliedEventIds, ids, idCap),
            AppliedEventBatches = Window(document.AppliedEventBatches, [.. ids.Select(_ => tag)], idCap),
            AppliedBatchTags = Window(document.AppliedBatchTags, [tag], 256),
            AppliedBatchIds = Window(document.AppliedBatchIds, [Guid.NewGuid().ToString("N")], 20),
            Online = document.Online! with { AppliedEvents = document.Online.AppliedEvents + added },
            EventCount = document.EventCount + added,
            UpdatedAt = Now.AddSeconds(1),
        };
    }

    private static string Serialized(UserDocument document) => JsonSerializer.Serialize(document, Json);
}
