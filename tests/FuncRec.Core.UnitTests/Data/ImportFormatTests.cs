using FuncRec.Core.Data;
using FuncRec.Core.Features;

namespace FuncRec.Core.UnitTests.Data;

public sealed class ImportFormatTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly List<ImportProblem> _problems = [];

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void ReadEntities_jsonl_reads_ids_and_features()
    {
        var path = _directory.Write("users.jsonl", """
            {"id":"u1","features":{"age":30,"genre":["a","b"],"city":"Lyon"}}
            {"id":"u2"}
            """);

        var users = ImportFormat.ReadEntities(path, _problems);

        Assert.Empty(_problems);
        Assert.Equal(["u1", "u2"], users.Select(u => u.Id));
        Assert.Equal(30, users[0].Fields["age"].Number);
        Assert.Equal(["a", "b"], users[0].Fields["genre"].List!);
        Assert.Equal("Lyon", users[0].Fields["city"].Text);
        Assert.Empty(users[1].Fields);
    }

    [Fact]
    public void ReadEntities_jsonl_reports_bad_lines_with_file_and_line_and_keeps_reading()
    {
        var path = _directory.Write("items.jsonl", """
            {"id":"i1"}

            not json
            {"features":{"genre":"x"}}
            {"id":"i2","features":{"bad":{"nested":1}}}
            {"id":"i3"}
            """);

        var items = ImportFormat.ReadEntities(path, _problems);

        Assert.Equal(["i1", "i3"], items.Select(i => i.Id));
        Assert.Equal([3, 4, 5], _problems.Select(p => p.Line));
        Assert.All(_problems, p => Assert.Equal(path, p.File));
        Assert.All(_problems, p => Assert.False(string.IsNullOrWhiteSpace(p.Reason)));
        Assert.Equal("missing 'id'", _problems[1].Reason);
    }

    [Fact]
    public void ReadEntities_of_no_file_is_empty()
    {
        Assert.Empty(ImportFormat.ReadEntities(null, _problems));
        Assert.Empty(_problems);
    }

    [Fact]
    public void ReadEntities_csv_reads_pipe_lists_numbers_texts_and_quoted_cells()
    {
        var path = _directory.Write("users.csv", """"
            id,age,genre,city
            u1,30,a|b,Paris
            u2,,x|,
            u3,"1,5",solo,"Saint ""Denis"""
            """");

        var users = ImportFormat.ReadEntities(path, _problems);

        Assert.Empty(_problems);
        Assert.Equal(["u1", "u2", "u3"], users.Select(u => u.Id));

        Assert.Equal(FeatureValueKind.Number, users[0].Fields["age"].Kind);
        Assert.Equal(30, users[0].Fields["age"].Number);
        Assert.Equal(["a", "b"], users[0].Fields["genre"].List!);
        Assert.Equal("Paris", users[0].Fields["city"].Text);

        // Empty cells are left out; a trailing '|' still makes a one-value list.
        Assert.Equal(["genre"], users[1].Fields.Keys);
        Assert.Equal(["x"], users[1].Fields["genre"].List!);

        Assert.Equal(FeatureValueKind.Text, users[2].Fields["age"].Kind);
        Assert.Equal("1,5", users[2].Fields["age"].Text);
        Assert.Equal("solo", users[2].Fields["genre"].Text);
        Assert.Equal("Saint \"Denis\"", users[2].Fields["city"].Text);
    }

    [Fact]
    public void ReadEntities_csv_reports_wrong_cell_counts_and_empty_ids_and_keeps_reading()
    {
        var path = _directory.Write("items.csv", """
            id,price,tags
            i1,9.99,new|sale
            i2,1
            ,5,a
            i3,-2.5e1,
            """);

        var items = ImportFormat.ReadEntities(path, _problems);

        Assert.Equal(["i1", "i3"], items.Select(i => i.Id));
        Assert.Equal(9.99, items[0].Fields["price"].Number);
        Assert.Equal(["new", "sale"], items[0].Fields["tags"].List!);
        Assert.Equal(-25, items[1].Fields["price"].Number);
        Assert.Equal(
            [new ImportProblem(path, 3, "expected 3 cells, found 2"), new ImportProblem(path, 4, "empty id")],
            _problems);
    }

    [Fact]
    public void ReadEntities_csv_without_an_id_column_is_reported_and_read_as_empty()
    {
        var path = _directory.Write("users.csv", "name,age\nx,1\n");

        var users = ImportFormat.ReadEntities(path, _problems);

        Assert.Empty(users);
        Assert.Equal([new ImportProblem(path, 1, "the header has no 'id' column")], _problems);
    }

    [Fact]
    public void ReadEvents_jsonl_reads_every_field()
    {
        var path = _directory.Write("events.jsonl", """
            {"eventId":"e1","userId":"u1","itemId":"i1","type":"rating","value":4,"timestamp":"2024-01-02T03:04:05Z","context":{"device":"mobile"}}
            {"userId":"u1","itemId":"i2","type":"click"}
            """);

        var events = ImportFormat.ReadEvents(path, _problems);

        Assert.Empty(_problems);
        Assert.Equal(2, events.Count);
        var rating = events[0];
        Assert.Equal("e1", rating.EventId);
        Assert.Equal(("u1", "i1", "rating"), (rating.UserId, rating.ItemId, rating.Type));
        Assert.Equal(4f, rating.Value);
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), rating.Timestamp);
        Assert.Equal("mobile", rating.Context!["device"]);
        Assert.Null(events[1].Value);
        Assert.Null(events[1].Timestamp);
        Assert.Null(events[1].EventId);
    }

    [Fact]
    public void ReadEvents_jsonl_reports_invalid_events_by_line_and_keeps_reading()
    {
        var path = _directory.Write("events.jsonl", """
            {"userId":"u1","itemId":"i1","type":"view"}
            {"userId":"u1","itemId":"i2","type":"teleport"}
            {"userId":"u1","itemId":"i3","type":"rating"}
            {"itemId":"i3","type":"view"}
            {"userId":" ","itemId":"i3","type":"view"}
            {"userId":"u1","itemId":"i3","type":"view"
            null
            {"userId":"u2","itemId":"i4","type":"purchase","value":2}
            """);

        var events = ImportFormat.ReadEvents(path, _problems);

        Assert.Equal(["i1", "i4"], events.Select(e => e.ItemId));
        Assert.Equal([2, 3, 4, 5, 6, 7], _problems.Select(p => p.Line));
        Assert.All(_problems, p => Assert.Equal(path, p.File));
        Assert.StartsWith("type 'teleport' is not one of", _problems[0].Reason);
        Assert.Equal("a rating needs a value", _problems[1].Reason);
        Assert.Equal("userId is required", _problems[3].Reason);
        Assert.Equal("empty record", _problems[5].Reason);
    }

    [Fact]
    public void ReadEvents_csv_reads_unix_seconds_and_iso_timestamps()
    {
        var path = _directory.Write("events.csv", """
            userId,itemId,type,value,timestamp,eventId
            u1,i1,rating,4.5,1700000000,e1
            u1,i2,click,,2024-01-02T03:04:05Z,
            u1,i3,view,,2024-01-02T05:04:05+02:00,
            u1,i4,view,,2024-01-02 03:04:05,
            u2,i5,purchase,,,
            """);

        var events = ImportFormat.ReadEvents(path, _problems);

        Assert.Empty(_problems);
        Assert.Equal(5, events.Count);
        Assert.Equal("e1", events[0].EventId);
        Assert.Equal(4.5f, events[0].Value);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), events[0].Timestamp);
        var expected = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);
        Assert.Equal(expected, events[1].Timestamp);
        Assert.Equal(expected, events[2].Timestamp);
        Assert.Equal(expected, events[3].Timestamp);
        Assert.Equal(TimeSpan.Zero, events[3].Timestamp!.Value.Offset);
        Assert.Null(events[1].EventId);
        Assert.Null(events[1].Value);
        Assert.Null(events[4].Timestamp);
    }

    [Fact]
    public void ReadEvents_csv_finds_columns_by_header_name()
    {
        var path = _directory.Write("events.csv", "type,itemId,userId\nlike,i9,u7\n");

        var e = Assert.Single(ImportFormat.ReadEvents(path, _problems));

        Assert.Equal(("u7", "i9", "like"), (e.UserId, e.ItemId, e.Type));
    }

    [Fact]
    public void ReadEvents_csv_reports_bad_lines_with_a_reason_and_keeps_reading()
    {
        var path = _directory.Write("events.csv", """
            userId,itemId,type,value,timestamp
            u1,i3,view,abc,
            u1,i3,view,NaN,
            u1,i4,rating,,
            u2,i6,teleport,,
            u9,i9,view,,99999999999999999
            u3,i7,like,,not-a-date
            ,i1,view,,
            u1,,view,,
            u2,i5,share,,
            """);

        var events = ImportFormat.ReadEvents(path, _problems);

        var e = Assert.Single(events);
        Assert.Equal("i5", e.ItemId);
        Assert.Equal([2, 3, 4, 5, 6, 7, 8, 9], _problems.Select(p => p.Line));
        Assert.All(_problems, p => Assert.Equal(path, p.File));
        Assert.All(_problems, p => Assert.False(string.IsNullOrWhiteSpace(p.Reason)));
        Assert.Equal("value must be a finite number", _problems[1].Reason);
        Assert.Equal("a rating needs a value", _problems[2].Reason);
        Assert.StartsWith("type 'teleport'", _problems[3].Reason);
        Assert.Equal("userId is required", _problems[6].Reason);
        Assert.Equal("itemId is required", _problems[7].Reason);
    }

    [Fact]
    public void ReadDirectory_reads_users_items_and_events_preferring_jsonl_over_csv()
    {
        _directory.Write("users.csv", "id,age\nu1,30\nu2,40\n");
        _directory.Write("items.jsonl", "{\"id\":\"i1\"}\n");
        _directory.Write("events.jsonl", "{\"userId\":\"u1\",\"itemId\":\"i1\",\"type\":\"view\"}\n");
        _directory.Write("events.csv", "userId,itemId,type\nu1,i1,view\nu2,i1,view\n");

        var data = ImportFormat.ReadDirectory(_directory.Path, _problems);

        Assert.Empty(_problems);
        Assert.Equal(2, data.Users.Count);
        Assert.Single(data.Items);
        Assert.Single(data.Events);
    }

    [Fact]
    public void ReadDirectory_without_entity_files_reads_only_events()
    {
        _directory.Write("events.csv", "userId,itemId,type\nu1,i1,view\n");

        var data = ImportFormat.ReadDirectory(_directory.Path, _problems);

        Assert.Empty(data.Users);
        Assert.Empty(data.Items);
        Assert.Single(data.Events);
    }

    [Fact]
    public void ReadDirectory_without_events_throws_FileNotFoundException()
    {
        _directory.Write("users.csv", "id\nu1\n");

        Assert.Throws<FileNotFoundException>(() => ImportFormat.ReadDirectory(_directory.Path, _problems));
    }

    [Fact]
    public void Validate_accepts_a_well_formed_event()
    {
        Assert.Null(ImportFormat.Validate(Event("view", null)));
        Assert.Null(ImportFormat.Validate(Event("rating", 3f)));
    }

    [Fact]
    public void Validate_rejects_an_unknown_type_including_a_wrong_case()
    {
        Assert.StartsWith("type 'teleport' is not one of", ImportFormat.Validate(Event("teleport", null)));
        Assert.NotNull(ImportFormat.Validate(Event("Click", null)));
    }

    [Fact]
    public void Validate_rejects_missing_ids()
    {
        Assert.Equal("userId is required", ImportFormat.Validate(Event("view", null) with { UserId = "" }));
        Assert.Equal("itemId is required", ImportFormat.Validate(Event("view", null) with { ItemId = "  " }));
    }

    [Fact]
    public void Validate_rejects_a_rating_without_value()
    {
        Assert.Equal("a rating needs a value", ImportFormat.Validate(Event("rating", null)));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Validate_rejects_a_non_finite_value(float value)
    {
        Assert.Equal("value must be a finite number", ImportFormat.Validate(Event("click", value)));
        Assert.Equal("value must be a finite number", ImportFormat.Validate(Event("rating", value)));
    }

    [Fact]
    public void EntityRecord_without_features_becomes_a_profile_without_fields()
    {
        var profile = new EntityRecord("u1", null).ToProfile();

        Assert.Equal("u1", profile.Id);
        Assert.Empty(profile.Fields);
    }

    private static InteractionEvent Event(string type, float? value)
        => new() { UserId = "u1", ItemId = "i1", Type = type, Value = value };
}
