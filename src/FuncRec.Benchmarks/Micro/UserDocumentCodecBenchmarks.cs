using System.Text.Json;
using BenchmarkDotNet.Attributes;
using FuncRec.Application.Contracts;
using FuncRec.Embedded;

namespace FuncRec.Benchmarks.Micro;

/// <summary>
/// What storing a user document costs the consumer, which rewrites one per user of every batch: the embedded
/// store's binary form (<see cref="UserDocumentBinary"/>) side by side with the JSON the Azure store writes. The
/// documents have full windows, as a user has after a few hundred events: 200 applied event ids (client ids such
/// as <c>order-123456-7</c>) with their batch tags, 256 batch tags, 20 batch ids, 50 remembered interactions and
/// online state at rank 32. Each operation takes the next of 1,024 distinct documents, so the windows' strings are
/// not all in the cache, as in the consumer, where 10,000 users' documents share the heap.
/// </summary>
[MemoryDiagnoser]
public class UserDocumentCodecBenchmarks
{
    private const int Documents = 1_024;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private UserDocument[] _documents = null!;
    private byte[][] _binary = null!;
    private string[] _json = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(17);
        _documents = Enumerable.Range(0, Documents).Select(i => FullWindows(random, i)).ToArray();
        _binary = _documents.Select(UserDocumentBinary.Encode).ToArray();
        _json = _documents.Select(d => JsonSerializer.Serialize(d, Json)).ToArray();
        var roundTrip = UserDocumentBinary.Decode(_binary[0]);
        if (JsonSerializer.Serialize(roundTrip, Json) != _json[0])
        {
            throw new InvalidOperationException("The binary form does not give back the document.");
        }
    }

    /// <summary>Bytes per document in each form (printed once, for the write-up).</summary>
    [GlobalCleanup]
    public void Report()
        => Console.WriteLine($"// mean bytes per document: binary {_binary.Average(b => b.Length):F0}, JSON (UTF-8) {_json.Average(j => System.Text.Encoding.UTF8.GetByteCount(j)):F0}");

    [Benchmark(Baseline = true)]
    public int EncodeJson() => System.Text.Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(_documents[Next()], Json));

    [Benchmark]
    public int EncodeBinary() => UserDocumentBinary.Encode(_documents[Next()]).Length;

    [Benchmark]
    public int DecodeJson() => JsonSerializer.Deserialize<UserDocument>(_json[Next()], Json)!.AppliedEventIds.Count;

    [Benchmark]
    public int DecodeBinary() => UserDocumentBinary.Decode(_binary[Next()]).AppliedEventIds.Count;

    private int Next() => _next = (_next + 1) % Documents;

    private static UserDocument FullWindows(Random random, int user)
    {
        var now = new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero);
        uint Tag() => (uint)random.Next(1, int.MaxValue);
        return new UserDocument
        {
            Id = $"user-{user}",
            Recent = Enumerable.Range(0, 50).Select(i => new RecentInteraction($"item-{random.Next(10_000)}", "click", 1.5f, 1.5f, now.AddMinutes(i))).ToList(),
            Online = new OnlineStateDocument("v-0007", RandomFloats(random, 32), [0.1f], RandomFloats(random, 32), [0.5f], 250),
            AppliedEventIds = Enumerable.Range(0, 200).Select(i => $"order-{random.Next(1_000_000)}-{i % 10}").ToList(),
            AppliedEventBatches = Enumerable.Range(0, 200).Select(_ => Tag()).ToList(),
            AppliedBatchTags = Enumerable.Range(0, 256).Select(_ => Tag()).ToList(),
            AppliedBatchIds = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid().ToString("N")).ToList(),
            EventCount = 250,
            UpdatedAt = now,
        };
    }

    private static float[] RandomFloats(Random random, int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
}
