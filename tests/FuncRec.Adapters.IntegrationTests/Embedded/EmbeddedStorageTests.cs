using System.Text.Json;
using FuncRec.Application.Contracts;
using FuncRec.Core.Features;
using FuncRec.Embedded;
using Microsoft.Data.Sqlite;

namespace FuncRec.Adapters.IntegrationTests.Embedded;

/// <summary>The embedded store's own encoding of user documents, its reading of older JSON rows, and its checkpointing.</summary>
public sealed class EmbeddedStorageTests : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("funcrec-embedded-storage-");

    /// <summary>Every property set, with values that a lossy encoding would change: offsets, null and set targets, all feature kinds.</summary>
    private static UserDocument Everything() => new()
    {
        Id = "ünïcödé user/1",
        Features = new Dictionary<string, FeatureValue> { ["age"] = 31.25, ["country"] = "NZ", ["tags"] = new[] { "a", "", "ü" }, ["empty"] = Array.Empty<string>() },
        Recent =
        [
            new RecentInteraction("item-1", "view", 1f, null, new DateTimeOffset(2026, 11, 28, 4, 5, 6, 789, TimeSpan.Zero)),
            new RecentInteraction("item-2", "rating", 4.5f, 4.5f, new DateTimeOffset(2026, 11, 28, 5, 5, 6, 1, TimeSpan.FromHours(13))),
        ],
        Online = new OnlineStateDocument("v-0007", [0.5f, -1.25f, float.Epsilon, 3f], [0.1f], [1e-7f, 2f, 3f, 4f], [0.25f], 17),
        AppliedEventIds = ["e-1", "e-2", "ë-3"],
        AppliedEventBatches = [0xa, 0xa, 0xffffffff],
        AppliedBatchTags = [0xa, 0xffffffff],
        AppliedBatchIds = ["batch-1", "batch-2"],
        EventCount = 5_000_000_000,
        UpdatedAt = new DateTimeOffset(2026, 11, 28, 4, 5, 6, TimeSpan.FromMinutes(-210)).AddTicks(1234567),
        DeletedAt = new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.FromHours(2)),
    };

    [Fact]
    public void A_document_with_every_property_set_comes_back_exactly()
    {
        var document = Everything();

        var decoded = UserDocumentBinary.Decode(UserDocumentBinary.Encode(document));

        Assert.Equal(JsonSerializer.Serialize(document, Json), JsonSerializer.Serialize(decoded, Json));
        Assert.Equal(document.UpdatedAt.Offset, decoded.UpdatedAt.Offset);
        Assert.Equal(document.UpdatedAt.UtcTicks, decoded.UpdatedAt.UtcTicks);
        Assert.Null(decoded.Recent[0].Target);
    }

    [Fact]
    public void A_fresh_document_with_nothing_set_comes_back_exactly()
    {
        var document = new UserDocument { Id = "u" };

        var decoded = UserDocumentBinary.Decode(UserDocumentBinary.Encode(document));

        Assert.Equal(JsonSerializer.Serialize(document, Json), JsonSerializer.Serialize(decoded, Json));
        Assert.Null(decoded.Online);
        Assert.Null(decoded.DeletedAt);
    }

    /// <summary><see cref="Everything"/> as format 1 wrote it (the id windows as plain strings), before format 2.</summary>
    internal const string EverythingInFormat1 =
        "ARLDvG7Dr2PDtmTDqSB1c2VyLzEEA2FnZQEAAAAAAEA/QAdjb3VudHJ5AAJOWgR0YWdzAgMBYQACw7wFZW1wdHkCAAIGaXRlbS0xBHZpZXcAAIA/AAAAAABlBFQgogEAAAZpdGVtLTIGcmF0aW5nAACQQAEAAJBAUdPAHaIBAAABBnYtMDAwNwQAAAA/AACgvwEAAAAAAEBAAc3MzD0Elb/WMwAAAEAAAEBAAACAQAEAAIA+EQAAAAAAAAADA2UtMQNlLTIEw6stMwMIMDAwMDAwMGEIMDAwMDAwMGEIZmZmZmZmZmYCCDAwMDAwMDBhCGZmZmZmZmZmAgdiYXRjaC0xB2JhdGNoLTIA8gUqAQAAAIcHax8iTd8ILv////////8BADCU8ppN3wh4AAAAAAAAAA==";

    [Fact]
    public void A_document_stored_in_format_1_is_still_read_exactly()
    {
        var decoded = UserDocumentBinary.Decode(Convert.FromBase64String(EverythingInFormat1));

        Assert.Equal(JsonSerializer.Serialize(Everything(), Json), JsonSerializer.Serialize(decoded, Json));
        Assert.Equal(2, UserDocumentBinary.Encode(decoded)[0]);
    }

    [Theory]
    [InlineData("0000000a", "ffffffff", "0123abcd")] // hex event ids: written as 4 bytes each
    [InlineData("0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210")] // batch ids (GUIDs, "N")
    [InlineData("ABCDEF01", "abcdef01")] // upper case would not come back as written: plain strings
    [InlineData("ab", "abcd")] // lengths differ
    [InlineData("0000000a", "0000000A")] // the first is hex, a later one of the same length is not: written as strings after all
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")] // 32 bytes: the widest written as bytes
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01")] // 33 bytes: a plain string
    [InlineData("abc", "def")] // odd length
    [InlineData("", "")]
    [InlineData("e-1", "0000000a")]
    public void Every_id_window_comes_back_exactly_whether_or_not_it_is_hex(params string[] window)
    {
        var document = new UserDocument { Id = "u", AppliedEventIds = [.. window], AppliedBatchIds = [.. window] };

        var decoded = UserDocumentBinary.Decode(UserDocumentBinary.Encode(document));

        Assert.Equal(window, decoded.AppliedEventIds);
        Assert.Equal(window, decoded.AppliedBatchIds);
    }

    [Fact]
    public void A_full_window_of_batch_tags_takes_four_bytes_a_tag()
    {
        var tags = Enumerable.Range(0, 256).Select(i => unchecked((uint)(i * 2_654_435_761L))).ToList();
        var bare = UserDocumentBinary.Encode(new UserDocument { Id = "u" }).Length;

        var encoded = UserDocumentBinary.Encode(new UserDocument { Id = "u", AppliedBatchTags = tags });

        Assert.Equal(bare + (256 * 4) + 1, encoded.Length); // the count grows from one byte to two
        Assert.Equal(tags, UserDocumentBinary.Decode(encoded).AppliedBatchTags);
    }

    [Fact]
    public void A_window_of_batch_ids_in_hex_takes_sixteen_bytes_an_id()
    {
        var ids = Enumerable.Range(0, 20).Select(i => new Guid(i, 7, 9, [1, 2, 3, 4, 5, 6, 7, (byte)i]).ToString("N")).ToList();
        var bare = UserDocumentBinary.Encode(new UserDocument { Id = "u" }).Length;

        var encoded = UserDocumentBinary.Encode(new UserDocument { Id = "u", AppliedBatchIds = ids });

        Assert.Equal(bare + (20 * 16), encoded.Length); // the width byte (0 when empty) now says 16
        Assert.Equal(ids, UserDocumentBinary.Decode(encoded).AppliedBatchIds);
    }

    [Fact]
    public void Batch_tags_in_json_are_the_hex_strings_documents_always_held()
    {
        var json = JsonSerializer.Serialize(new UserDocument { Id = "u", AppliedEventBatches = [0xa, BatchTags.Unknown], AppliedBatchTags = [0xffffffff] }, Json);

        Assert.Contains("\"appliedEventBatches\":[\"0000000a\",\"\"]", json, StringComparison.Ordinal);
        Assert.Contains("\"appliedBatchTags\":[\"ffffffff\"]", json, StringComparison.Ordinal);

        // Documents written before the tags were numbers: an empty tag was an unknown batch.
        var legacy = JsonSerializer.Deserialize<UserDocument>("""{"id":"u","appliedEventBatches":["0000000a",""],"appliedBatchTags":["ffffffff"]}""", Json)!;
        Assert.Equal([0xau, BatchTags.Unknown], legacy.AppliedEventBatches);
        Assert.Equal([0xffffffffu], legacy.AppliedBatchTags);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<UserDocument>("""{"id":"u","appliedBatchTags":["not hex!"]}""", Json));
        Assert.Empty(JsonSerializer.Deserialize<UserDocument>("""{"id":"u","appliedBatchTags":null}""", Json)!.AppliedBatchTags);
    }

    [Fact]
    public async Task A_json_row_from_an_earlier_version_with_string_tags_and_fewer_properties_is_read_through_the_store()
    {
        // The embedded store reads JSON rows with its source-generated options, not the reflection-based ones above.
        var database = new SqliteDatabase(_directory.FullName);
        using (var connection = database.Open())
        {
            var insert = connection.CreateCommand();
            insert.CommandText = """INSERT INTO users (id, doc, version) VALUES ('tags', '{"id":"tags","appliedEventIds":["e-1","e-2"],"appliedEventBatches":["","0000000a"],"appliedBatchTags":["0000000a"]}', 1)""";
            insert.ExecuteNonQuery();
        }

        var read = await new SqliteUserStore(database).GetAsync("tags", CancellationToken.None);

        Assert.Equal([BatchTags.Unknown, 0xau], read!.Value.AppliedEventBatches);
        Assert.Equal([0xau], read.Value.AppliedBatchTags);

        // Properties the row lacks (an older version had no such property) read as empty, not null.
        Assert.Empty(read.Value.Features);
        Assert.Empty(read.Value.Recent);
        Assert.Empty(read.Value.AppliedBatchIds);
        database.ReleaseConnections();
    }

    [Theory]
    [InlineData(42, "é")] // 84 bytes
    [InlineData(42, "€")] // 126 bytes: the longest one-byte count
    [InlineData(43, "€")] // 129 bytes: a two-byte count
    [InlineData(21, "😀")] // 42 chars in surrogate pairs, 84 bytes
    [InlineData(43, "a")]
    [InlineData(0, "a")]
    public void Strings_around_the_one_byte_count_come_back_exactly(int repeats, string unit)
    {
        var text = string.Concat(Enumerable.Repeat(unit, repeats));
        var document = new UserDocument { Id = text, AppliedEventIds = [text, "e"], Recent = [new RecentInteraction(text, "view", 1f, null, DateTimeOffset.UnixEpoch)] };

        var decoded = UserDocumentBinary.Decode(UserDocumentBinary.Encode(document));

        Assert.Equal(text, decoded.Id);
        Assert.Equal([text, "e"], decoded.AppliedEventIds);
        Assert.Equal(text, decoded.Recent[0].ItemId);
    }

    [Fact]
    public void The_encoding_carries_every_property_of_the_document_type()
    {
        // A property added to UserDocument must be added to the encoding too, or the embedded store would drop it.
        var properties = typeof(UserDocument).GetProperties().Where(p => p.CanWrite).Select(p => p.Name).Order(StringComparer.Ordinal);

        Assert.Equal(properties, UserDocumentBinary.EncodedProperties.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_truncated_or_foreign_encoding_is_refused_as_invalid_data()
    {
        var encoded = UserDocumentBinary.Encode(Everything());

        for (var length = 0; length < encoded.Length; length++)
        {
            Assert.Throws<InvalidDataException>(() => UserDocumentBinary.Decode(encoded.AsSpan(0, length)));
        }

        var foreign = (byte[])encoded.Clone();
        foreign[0] = 99;
        Assert.Throws<InvalidDataException>(() => UserDocumentBinary.Decode(foreign));
        Assert.Throws<InvalidDataException>(() => UserDocumentBinary.Decode([.. encoded, 0]));
    }

    [Theory]
    [InlineData(new byte[] { 1, 1, (byte)'u', 0xFF, 0xFF, 0xFF, 0xFF, 0x07 })] // a feature count of int.MaxValue, then nothing
    [InlineData(new byte[] { 1, 1, (byte)'u', 0, 0, 2 })] // an online-state presence byte of 2
    [InlineData(new byte[] { 1, 1, 0xFF, 0, 0, 0 })] // an id that is not UTF-8
    [InlineData(new byte[] { 2, 1, (byte)'u', 0, 0, 0, 1, 33, 0 })] // an id window of 33-byte tokens
    [InlineData(new byte[] { 2, 1, (byte)'u', 0, 0, 0, 2, 4, 0, 0, 0, 0 })] // an id window of two 4-byte tokens with one's bytes
    [InlineData(new byte[] { 2, 1, (byte)'u', 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x07 })] // int.MaxValue batch tags, then nothing
    [InlineData(new byte[] { 1, 1, (byte)'u', 0, 0, 0, 0, 1, 2, (byte)'z', (byte)'z' })] // format 1: a batch tag that is not hex
    public void A_corrupt_count_presence_byte_or_string_is_refused_as_invalid_data(byte[] encoded)
        => Assert.Throws<InvalidDataException>(() => UserDocumentBinary.Decode(encoded));

    [Fact]
    public async Task A_row_written_as_json_by_an_earlier_version_is_read_and_rewritten_in_the_binary_form()
    {
        var database = new SqliteDatabase(_directory.FullName);
        var legacy = Everything() with { Id = "legacy", DeletedAt = null };
        using (var connection = database.Open())
        {
            var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO users (id, doc, version) VALUES ('legacy', $doc, 3)";
            insert.Parameters.AddWithValue("$doc", JsonSerializer.Serialize(legacy, Json));
            insert.ExecuteNonQuery();
        }

        var store = new SqliteUserStore(database);
        var read = await store.GetAsync("legacy", CancellationToken.None);

        Assert.NotNull(read);
        Assert.Equal("3", read.ETag);
        Assert.Equal(JsonSerializer.Serialize(legacy, Json), JsonSerializer.Serialize(read.Value, Json));

        var etag = await store.TryWriteAsync(read.Value with { EventCount = 1 }, read.ETag, CancellationToken.None);
        Assert.Equal("4", etag);
        using (var connection = database.Open())
        {
            var type = connection.CreateCommand();
            type.CommandText = "SELECT typeof(doc) FROM users WHERE id = 'legacy'";
            Assert.Equal("blob", type.ExecuteScalar());
        }

        // A second store (another process) reads the binary row from the database, not from the first one's memory.
        var reread = await new SqliteUserStore(database).GetAsync("legacy", CancellationToken.None);
        Assert.Equal(1, reread!.Value.EventCount);
        Assert.Equal(legacy.AppliedEventIds, reread.Value.AppliedEventIds);
        database.ReleaseConnections();
    }

    [Fact]
    public async Task A_stored_documents_next_version_is_encoded_from_the_stored_encoding_and_reads_back_the_same()
    {
        var database = new SqliteDatabase(_directory.FullName);
        var first = TestData.LargeUser("sliding");
        Assert.NotNull(await new SqliteUserStore(database).TryWriteAsync(first, null, CancellationToken.None));

        // A second store (as after a restart) reads the row, so the previous encoding comes from decoding it.
        var store = new SqliteUserStore(database);
        var read = (await store.GetAsync("sliding", CancellationToken.None))!;
        var interaction = new RecentInteraction("item-new", "click", 1f, 1f, read.Value.UpdatedAt);
        var next = read.Value with
        {
            Recent = [.. read.Value.Recent.Skip(1), interaction],
            AppliedEventIds = [.. read.Value.AppliedEventIds.Skip(1), "e-new"],
            AppliedEventBatches = [.. read.Value.AppliedEventBatches.Skip(1), 7u],
            EventCount = read.Value.EventCount + 1,
        };
        var results = await store.TryWriteManyAsync([(next, read.ETag)], CancellationToken.None);

        Assert.NotNull(Assert.Single(results));
        Assert.True(store.CopiedBytes > UserDocumentBinary.Encode(next).Length / 2, $"only {store.CopiedBytes} bytes were copied");
        var reread = await new SqliteUserStore(database).GetAsync("sliding", CancellationToken.None);
        Assert.Equal(JsonSerializer.Serialize(next, Json), JsonSerializer.Serialize(reread!.Value, Json));
        database.ReleaseConnections();
    }

    [Fact]
    public async Task A_checkpoint_copies_the_whole_log_and_lets_the_next_writer_start_it_again()
    {
        var database = new SqliteDatabase(_directory.FullName);
        var store = new SqliteUserStore(database);
        var writes = Enumerable.Range(0, 40).Select(i => (TestData.LargeUser($"user-{i}"), (string?)null)).ToArray();
        await store.TryWriteManyAsync(writes, CancellationToken.None);

        var (logPages, copiedPages, held) = await database.CheckpointAsync(restartLogPages: 10);
        Assert.True(logPages > 10, $"the log held only {logPages} pages");
        Assert.Equal(logPages, copiedPages);
        Assert.True(held > TimeSpan.Zero, "a restart reports how long it held writers");

        await store.TryWriteAsync(TestData.User("one-more"), null, CancellationToken.None);
        using var connection = database.Open();
        var (afterPages, _) = connection.Checkpoint("PASSIVE");

        // Restarted: the log holds the last write only, not everything since the database opened.
        Assert.InRange(afterPages, 1, 4);

        // Below the threshold, pages are copied but the log is left to grow (restarting costs a sync with writers held).
        var (smallLog, smallCopied, smallHeld) = await database.CheckpointAsync();
        Assert.Equal(afterPages, smallLog);
        Assert.Equal(smallLog, smallCopied);
        Assert.Equal(TimeSpan.Zero, smallHeld);
        database.ReleaseConnections();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }
}
