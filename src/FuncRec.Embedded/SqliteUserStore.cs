using System.Globalization;
using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;
using Microsoft.Data.Sqlite;

namespace FuncRec.Embedded;

/// <summary>
/// Users in SQLite; the ETag is a per-row version counter, checked in the UPDATE's WHERE clause. Parsed documents
/// are kept by (id, version): a read asks SQLite only for the version and parses the document again only when it
/// changed — the parse, not the lookup, is what a recommendation would otherwise spend most of its time on. The
/// version check keeps it exact even when another process writes the same database. Cached documents are shared:
/// callers treat them as immutable (they copy before changing, as the services do).
/// </summary>
public sealed class SqliteUserStore(SqliteDatabase database) : IUserStore
{
    private const int MaxCachedDocuments = 50_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Version, UserDocument Document)> _parsed = new(StringComparer.Ordinal);

    public Task<Versioned<UserDocument>?> GetAsync(string id, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        if (_parsed.TryGetValue(id, out var cached))
        {
            var probe = connection.Prepared("SELECT version FROM users WHERE id = $id");
            probe.Parameters.AddWithValue("$id", id);
            if (probe.ExecuteScalar() is long current && current == cached.Version)
            {
                return Task.FromResult<Versioned<UserDocument>?>(new Versioned<UserDocument>(cached.Document, current.ToString(CultureInfo.InvariantCulture)));
            }
        }

        var command = connection.Prepared("SELECT doc, version FROM users WHERE id = $id");
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            _parsed.TryRemove(id, out _);
            return Task.FromResult<Versioned<UserDocument>?>(null);
        }

        var document = EmbeddedJson.Read<UserDocument>(reader.GetString(0));
        var version = reader.GetInt64(1);
        Remember(id, version, document);
        return Task.FromResult<Versioned<UserDocument>?>(new Versioned<UserDocument>(document, version.ToString(CultureInfo.InvariantCulture)));
    }

    private void Remember(string id, long version, UserDocument document)
    {
        if (_parsed.Count >= MaxCachedDocuments)
        {
            // Crude but bounded: drop everything and let the working set refill.
            _parsed.Clear();
        }

        _parsed[id] = (version, document);
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
            if (insert.ExecuteNonQuery() != 1)
            {
                return Task.FromResult<string?>(null);
            }

            Remember(document.Id, 1, document);
            return Task.FromResult<string?>("1");
        }

        if (!long.TryParse(expectedETag, NumberStyles.None, CultureInfo.InvariantCulture, out var expected))
        {
            return Task.FromResult<string?>(null);
        }

        var update = connection.Prepared("UPDATE users SET doc = $doc, version = version + 1 WHERE id = $id AND version = $expected");
        update.Parameters.AddWithValue("$id", document.Id);
        update.Parameters.AddWithValue("$doc", json);
        update.Parameters.AddWithValue("$expected", expected);
        if (update.ExecuteNonQuery() != 1)
        {
            return Task.FromResult<string?>(null);
        }

        Remember(document.Id, expected + 1, document);
        return Task.FromResult<string?>((expected + 1).ToString(CultureInfo.InvariantCulture));
    }

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        var command = connection.Prepared("DELETE FROM users WHERE id = $id");
        command.Parameters.AddWithValue("$id", id);
        _parsed.TryRemove(id, out _);
        return Task.FromResult(command.ExecuteNonQuery() == 1);
    }
}
