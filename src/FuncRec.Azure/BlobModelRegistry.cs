using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FuncRec.Azure;

/// <summary>
/// Model versions as immutable blobs <c>models/{version}/model.bin</c>, <c>model.onnx</c> and <c>manifest.json</c>,
/// each written with If-None-Match: * so no version is ever overwritten. The manifest is written last: a version is
/// visible (listed, loadable) only once all its files are there, so a publisher that dies half-way leaves nothing
/// half-usable behind. The active pointer <c>models/current.json</c> and the fine-tune control
/// <c>control/fine-tune.json</c> are flipped with a compare-and-swap on their blob ETag.
/// </summary>
public sealed class BlobModelRegistry : IModelRegistry
{
    internal const string ActivePointerBlob = "models/current.json";
    internal const string ControlBlob = "control/fine-tune.json";
    private const string VersionsPrefix = "models/";
    private const string ManifestFile = "manifest.json";
    private const int ParallelDownloads = 8;

    private readonly BlobContainerClient _container;
    private readonly OnceInitializer _containerReady;
    private readonly TimeProvider _clock;
    private readonly ILogger<BlobModelRegistry> _logger;

    public BlobModelRegistry(BlobServiceClient blobs, IOptions<AzureStorageOptions> options, TimeProvider clock, ILogger<BlobModelRegistry> logger)
    {
        _container = blobs.GetBlobContainerClient(options.Value.ModelContainer);
        _containerReady = options.Value.CreateIfMissing
            ? new OnceInitializer(async ct => await _container.CreateIfNotExistsAsync(cancellationToken: ct))
            : OnceInitializer.Nothing;
        _clock = clock;
        _logger = logger;
    }

    public async Task<ActiveModelPointer?> GetActiveAsync(CancellationToken cancellationToken)
    {
        var stored = await ReadAsync<PointerDocument>(ActivePointerBlob, cancellationToken);
        return stored is null ? null : new ActiveModelPointer(stored.Value.Version, stored.Value.ActivatedAt, stored.ETag);
    }

    public async Task<IReadOnlyList<ModelManifest>> ListAsync(CancellationToken cancellationToken)
    {
        await _containerReady.EnsureAsync(cancellationToken);
        var manifestBlobs = new List<string>();
        await foreach (var blob in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = VersionsPrefix }, cancellationToken))
        {
            // Only models/{version}/manifest.json: the pointer and the other files of a version are not versions.
            var parts = blob.Name.Split('/');
            if (parts.Length == 3 && parts[2] == ManifestFile)
            {
                manifestBlobs.Add(blob.Name);
            }
        }

        var manifests = new ModelManifest?[manifestBlobs.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, manifestBlobs.Count),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelDownloads, CancellationToken = cancellationToken },
            async (index, ct) => manifests[index] = (await ReadAsync<ModelManifest>(manifestBlobs[index], ct))?.Value);
        return manifests.OfType<ModelManifest>().OrderBy(m => m.CreatedAt).ToArray();
    }

    public async Task<ModelManifest?> GetManifestAsync(string version, CancellationToken cancellationToken)
    {
        // A name that cannot be a version (e.g. from a URL) names no version: not found, rather than an error.
        return IsVersionName(version) ? (await ReadAsync<ModelManifest>(VersionBlob(version, ManifestFile), cancellationToken))?.Value : null;
    }

    public async Task<ModelArtifacts?> LoadAsync(string version, CancellationToken cancellationToken)
    {
        // The manifest decides visibility: without it the other files may be the leftovers of a publish that died.
        var manifest = await GetManifestAsync(version, cancellationToken);
        if (manifest is null)
        {
            return null;
        }

        var parameters = DownloadBytesAsync(VersionBlob(version, "model.bin"), cancellationToken);
        var onnx = DownloadBytesAsync(VersionBlob(version, "model.onnx"), cancellationToken);
        return new ModelArtifacts(manifest, await parameters, await onnx);
    }

    public async Task PublishAsync(ModelArtifacts artifacts, CancellationToken cancellationToken)
    {
        var version = artifacts.Manifest.Version;
        await _containerReady.EnsureAsync(cancellationToken);
        if (await GetManifestAsync(version, cancellationToken) is not null)
        {
            throw new InvalidOperationException($"Model version {version} already exists; versions never change.");
        }

        await CreateVersionFileAsync(version, "model.bin", BinaryData.FromBytes(artifacts.Parameters), "application/octet-stream", cancellationToken);
        await CreateVersionFileAsync(version, "model.onnx", BinaryData.FromBytes(artifacts.Onnx), "application/octet-stream", cancellationToken);
        await CreateVersionFileAsync(version, ManifestFile, AzureJson.Write(artifacts.Manifest), "application/json", cancellationToken);
        _logger.LogInformation("Published model version {Version} ({ParameterBytes} parameter bytes, {OnnxBytes} ONNX bytes)", version, artifacts.Parameters.Length, artifacts.Onnx.Length);
    }

    public Task<bool> TryActivateAsync(string version, string? expectedETag, CancellationToken cancellationToken)
        => TrySwapAsync(ActivePointerBlob, new PointerDocument(version, _clock.GetUtcNow()), expectedETag, cancellationToken);

    public async Task<Versioned<FineTuneControl>?> GetControlAsync(CancellationToken cancellationToken)
    {
        var stored = await ReadAsync<FineTuneControl>(ControlBlob, cancellationToken);
        return stored is null ? null : new Versioned<FineTuneControl>(stored.Value, stored.ETag);
    }

    public Task<bool> TrySaveControlAsync(FineTuneControl control, string? expectedETag, CancellationToken cancellationToken)
        => TrySwapAsync(ControlBlob, control, expectedETag, cancellationToken);

    private async Task CreateVersionFileAsync(string version, string file, BinaryData content, string contentType, CancellationToken cancellationToken)
    {
        try
        {
            await _container.GetBlobClient(VersionBlob(version, file)).UploadAsync(content, new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            }, cancellationToken);
        }
        catch (RequestFailedException exception) when (BlobConditions.IsWriteConditionFailed(exception))
        {
            // Another publisher got this version first, or an earlier publish died before its manifest: either way
            // the name is taken and its files are not ours to replace.
            throw new InvalidOperationException($"Model version {version} already exists (its {file} is stored); versions never change, publish under a new version.", exception);
        }
    }

    private async Task<bool> TrySwapAsync<T>(string blobName, T value, string? expectedETag, CancellationToken cancellationToken)
    {
        await _containerReady.EnsureAsync(cancellationToken);
        try
        {
            await _container.GetBlobClient(blobName).UploadAsync(AzureJson.Write(value), new BlobUploadOptions
            {
                Conditions = expectedETag is null
                    ? new BlobRequestConditions { IfNoneMatch = ETag.All }
                    : new BlobRequestConditions { IfMatch = new ETag(expectedETag) },
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
            }, cancellationToken);
            return true;
        }
        catch (RequestFailedException exception) when (BlobConditions.IsWriteConditionFailed(exception))
        {
            _logger.LogInformation("{Blob} changed since ETag {ExpectedETag} was read; not overwritten", blobName, expectedETag ?? "(none)");
            return false;
        }
    }

    private async Task<StoredBlob<T>?> ReadAsync<T>(string blobName, CancellationToken cancellationToken)
    {
        await _containerReady.EnsureAsync(cancellationToken);
        try
        {
            var response = await _container.GetBlobClient(blobName).DownloadContentAsync(cancellationToken);
            return new StoredBlob<T>(AzureJson.Read<T>(response.Value.Content, blobName), response.Value.Details.ETag.ToString());
        }
        catch (RequestFailedException exception) when (exception.ErrorCode == BlobErrorCode.BlobNotFound)
        {
            // Only a missing blob is "none": a missing container is a misconfiguration and must surface.
            return null;
        }
    }

    private async Task<byte[]> DownloadBytesAsync(string blobName, CancellationToken cancellationToken)
        => (await _container.GetBlobClient(blobName).DownloadContentAsync(cancellationToken)).Value.Content.ToArray();

    /// <summary>The same rule as the embedded registry: a version is one path segment and never collides with current.json.</summary>
    private static bool IsVersionName(string version)
        => !string.IsNullOrWhiteSpace(version) && version.IndexOfAny(['/', '\\', '.']) < 0 && version.Length <= 128;

    private static string VersionBlob(string version, string file)
    {
        if (!IsVersionName(version))
        {
            throw new ArgumentException($"'{version}' is not a valid model version.", nameof(version));
        }

        return $"{VersionsPrefix}{version}/{file}";
    }

    private sealed record PointerDocument(string Version, DateTimeOffset ActivatedAt);

    private sealed record StoredBlob<T>(T Value, string ETag);
}
