using System.Globalization;
using System.Text.Json;
using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;

namespace FuncRec.Embedded;

/// <summary>
/// Model versions as immutable folders <c>models/{version}/</c> (model.bin, model.onnx, manifest.json) under the
/// data directory; the active pointer and the fine-tune control live in SQLite, flipped by a compare-and-swap on
/// their version. A version's files are written to a temporary folder and renamed into place, so a crash never
/// leaves a half-written version visible.
/// </summary>
public sealed class FileModelRegistry(SqliteDatabase database, TimeProvider clock) : IModelRegistry
{
    private const string ActivePointer = "models/current";
    private const string ControlPointer = "fine-tune/control";
    private readonly string _root = Path.Combine(database.DataDirectory, "models");

    public Task<ActiveModelPointer?> GetActiveAsync(CancellationToken cancellationToken)
    {
        var stored = ReadPointer(ActivePointer);
        if (stored is null)
        {
            return Task.FromResult<ActiveModelPointer?>(null);
        }

        var pointer = EmbeddedJson.Read<PointerValue>(stored.Value.Value);
        return Task.FromResult<ActiveModelPointer?>(new ActiveModelPointer(pointer.Version, pointer.ActivatedAt, stored.Value.Version.ToString(CultureInfo.InvariantCulture)));
    }

    public async Task<IReadOnlyList<ModelManifest>> ListAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_root))
        {
            return [];
        }

        var manifests = new List<ModelManifest>();
        foreach (var directory in Directory.EnumerateDirectories(_root).Where(d => !Path.GetFileName(d).StartsWith('.')))
        {
            if (await GetManifestAsync(Path.GetFileName(directory), cancellationToken) is { } manifest)
            {
                manifests.Add(manifest);
            }
        }

        return manifests.OrderBy(m => m.CreatedAt).ToArray();
    }

    public async Task<ModelManifest?> GetManifestAsync(string version, CancellationToken cancellationToken)
    {
        // A name that cannot be a version (e.g. from a URL) names no version: not found, rather than an error.
        if (!IsVersionName(version))
        {
            return null;
        }

        var path = Path.Combine(VersionDirectory(version), "manifest.json");
        return File.Exists(path) ? EmbeddedJson.Read<ModelManifest>(await File.ReadAllTextAsync(path, cancellationToken)) : null;
    }

    public async Task<ModelArtifacts?> LoadAsync(string version, CancellationToken cancellationToken)
    {
        if (!IsVersionName(version))
        {
            return null;
        }

        var directory = VersionDirectory(version);
        if (!File.Exists(Path.Combine(directory, "manifest.json")))
        {
            return null;
        }

        return new ModelArtifacts(
            EmbeddedJson.Read<ModelManifest>(await File.ReadAllTextAsync(Path.Combine(directory, "manifest.json"), cancellationToken)),
            await File.ReadAllBytesAsync(Path.Combine(directory, "model.bin"), cancellationToken),
            await File.ReadAllBytesAsync(Path.Combine(directory, "model.onnx"), cancellationToken));
    }

    public async Task PublishAsync(ModelArtifacts artifacts, CancellationToken cancellationToken)
    {
        var target = VersionDirectory(artifacts.Manifest.Version);
        if (Directory.Exists(target))
        {
            throw new InvalidOperationException($"Model version {artifacts.Manifest.Version} already exists; versions never change.");
        }

        var staging = Path.Combine(_root, $".staging-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        await File.WriteAllBytesAsync(Path.Combine(staging, "model.bin"), artifacts.Parameters, cancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(staging, "model.onnx"), artifacts.Onnx, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(staging, "manifest.json"), JsonSerializer.Serialize(artifacts.Manifest, new JsonSerializerOptions(EmbeddedJson.Options) { WriteIndented = true }), cancellationToken);
        Directory.Move(staging, target);
    }

    public Task<bool> TryActivateAsync(string version, string? expectedETag, CancellationToken cancellationToken)
        => TryWritePointerAsync(ActivePointer, EmbeddedJson.Write(new PointerValue(version, clock.GetUtcNow())), expectedETag);

    public Task<Versioned<FineTuneControl>?> GetControlAsync(CancellationToken cancellationToken)
    {
        var stored = ReadPointer(ControlPointer);
        return Task.FromResult(stored is null ? null : new Versioned<FineTuneControl>(EmbeddedJson.Read<FineTuneControl>(stored.Value.Value), stored.Value.Version.ToString(CultureInfo.InvariantCulture)));
    }

    public Task<bool> TrySaveControlAsync(FineTuneControl control, string? expectedETag, CancellationToken cancellationToken)
        => TryWritePointerAsync(ControlPointer, EmbeddedJson.Write(control), expectedETag);

    private static bool IsVersionName(string version)
        => !string.IsNullOrWhiteSpace(version) && version.IndexOfAny(['/', '\\', '.']) < 0 && version.Length <= 128;

    private string VersionDirectory(string version)
    {
        if (!IsVersionName(version))
        {
            throw new ArgumentException($"'{version}' is not a valid model version.", nameof(version));
        }

        return Path.Combine(_root, version);
    }

    private (string Value, long Version)? ReadPointer(string name)
    {
        using var connection = database.Open();
        var command = connection.Prepared("SELECT value, version FROM pointers WHERE name = $name");
        command.Parameters.AddWithValue("$name", name);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetString(0), reader.GetInt64(1)) : null;
    }

    private async Task<bool> TryWritePointerAsync(string name, string value, string? expectedETag)
    {
        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;
        using var command = connection.CreateCommand();
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$value", value);
        if (expectedETag is null)
        {
            command.CommandText = "INSERT INTO pointers (name, value, version) VALUES ($name, $value, 1) ON CONFLICT(name) DO NOTHING";
            return command.ExecuteNonQuery() == 1;
        }

        if (!long.TryParse(expectedETag, NumberStyles.None, CultureInfo.InvariantCulture, out var expected))
        {
            return false;
        }

        command.CommandText = "UPDATE pointers SET value = $value, version = version + 1 WHERE name = $name AND version = $expected";
        command.Parameters.AddWithValue("$expected", expected);
        return command.ExecuteNonQuery() == 1;
    }

    private sealed record PointerValue(string Version, DateTimeOffset ActivatedAt);
}
