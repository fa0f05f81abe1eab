using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;

namespace FuncRec.Embedded;

/// <summary>The item catalog in SQLite, indexed by update time for incremental refreshes.</summary>
public sealed class SqliteItemStore(SqliteDatabase database) : IItemStore
{
    public Task<ItemDocument?> GetAsync(string id, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        var command = connection.Prepared("SELECT doc FROM items WHERE id = $id");
        command.Parameters.AddWithValue("$id", id);
        var doc = command.ExecuteScalar() as string;
        return Task.FromResult(doc is null ? null : EmbeddedJson.Read<ItemDocument>(doc));
    }

    public async Task UpsertAsync(ItemDocument item, CancellationToken cancellationToken)
    {
        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;
        var command = connection.Prepared("INSERT INTO items (id, doc, updated) VALUES ($id, $doc, $updated) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, updated = excluded.updated");
        command.Parameters.AddWithValue("$id", item.Id);
        command.Parameters.AddWithValue("$doc", EmbeddedJson.Write(item));
        command.Parameters.AddWithValue("$updated", item.UpdatedAt.UtcTicks);
        command.ExecuteNonQuery();
    }

    public async Task<bool> TryCreateAsync(ItemDocument item, CancellationToken cancellationToken)
    {
        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;
        var command = connection.Prepared("INSERT INTO items (id, doc, updated) VALUES ($id, $doc, $updated) ON CONFLICT(id) DO NOTHING");
        command.Parameters.AddWithValue("$id", item.Id);
        command.Parameters.AddWithValue("$doc", EmbeddedJson.Write(item));
        command.Parameters.AddWithValue("$updated", item.UpdatedAt.UtcTicks);
        return command.ExecuteNonQuery() == 1;
    }

    public Task<IReadOnlyList<ItemDocument>> ListChangedSinceAsync(DateTimeOffset? since, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        var command = connection.Prepared("SELECT doc FROM items WHERE updated >= $since ORDER BY updated, id");
        command.Parameters.AddWithValue("$since", since?.UtcTicks ?? long.MinValue);
        using var reader = command.ExecuteReader();
        var items = new List<ItemDocument>();
        while (reader.Read())
        {
            items.Add(EmbeddedJson.Read<ItemDocument>(reader.GetString(0)));
        }

        return Task.FromResult<IReadOnlyList<ItemDocument>>(items);
    }
}
