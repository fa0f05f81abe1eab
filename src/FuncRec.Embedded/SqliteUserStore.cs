using System.Globalization;
using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;
using Microsoft.Data.Sqlite;

namespace FuncRec.Embedded;

/// <summary>Users in SQLite; the ETag is a per-row version counter, checked in the UPDATE's WHERE clause.</summary>
public sealed class SqliteUserStore(SqliteDatabase database) : IUserStore
{
    public Task<Versioned<UserDocument>?> GetAsync(string id, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        var command = connection.Prepared("SELECT doc, version FROM users WHERE id = $id");
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        Versioned<UserDocument>? result = reader.Read()
            ? new Versioned<UserDocument>(EmbeddedJson.Read<UserDocument>(reader.GetString(0)), reader.GetInt64(1).ToString(CultureInfo.InvariantCulture))
            : null;
        return Task.FromResult(result);
    }

    public Task<string?> TryWriteAsync(UserDocument document, string? expectedETag, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        var json = EmbeddedJson.Write(document);
        if (expectedETag is null)
        {
            var insert = connection.Prepared("INSERT INTO users (id, doc, version) VALUES ($id, $doc, 1) ON CONFLICT(id) DO NOTHING");
            insert.Parameters.AddWithValue("$id", document.Id);
            insert.Parameters.AddWithValue("$doc", json);
            return Task.FromResult(insert.ExecuteNonQuery() == 1 ? "1" : null);
        }

        if (!long.TryParse(expectedETag, NumberStyles.None, CultureInfo.InvariantCulture, out var expected))
        {
            return Task.FromResult<string?>(null);
        }

        var update = connection.Prepared("UPDATE users SET doc = $doc, version = version + 1 WHERE id = $id AND version = $expected");
        update.Parameters.AddWithValue("$id", document.Id);
        update.Parameters.AddWithValue("$doc", json);
        update.Parameters.AddWithValue("$expected", expected);
        return Task.FromResult(update.ExecuteNonQuery() == 1 ? (expected + 1).ToString(CultureInfo.InvariantCulture) : null);
    }

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        var command = connection.Prepared("DELETE FROM users WHERE id = $id");
        command.Parameters.AddWithValue("$id", id);
        return Task.FromResult(command.ExecuteNonQuery() == 1);
    }
}
