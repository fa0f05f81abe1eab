using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;

namespace FuncRec.Benchmarks.Micro;

/// <summary>
/// What excluding a user's seen items costs: 50 item ids looked up in a 10,000-item catalog snapshot
/// (<see cref="Serving.ItemCatalogSnapshot.IndexOf"/>), side by side with the <see cref="ImmutableDictionary{TKey,TValue}"/>
/// the snapshot used before. Each operation takes the next 50 of 4,096 ids drawn at random, so the lookups do not
/// keep hitting the same few entries in the cache.
/// </summary>
[MemoryDiagnoser]
public class CatalogLookupBenchmarks
{
    private const int CatalogSize = 10_000;
    private const int SeenItems = 50;

    private ScoringFixture _fixture = null!;
    private ImmutableDictionary<string, int> _immutable = null!;
    private string[] _ids = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _fixture = new ScoringFixture(CatalogSize);
        var snapshot = _fixture.Snapshot;
        _immutable = Enumerable.Range(0, snapshot.Count).ToImmutableDictionary(snapshot.IdAt, i => i, StringComparer.Ordinal);
        var random = new Random(11);
        _ids = Enumerable.Range(0, 4096).Select(_ => snapshot.IdAt(random.Next(snapshot.Count))).ToArray();
        var viaImmutable = ImmutableDictionaryLookups();
        _next = 0;
        if (viaImmutable != SnapshotLookups())
        {
            throw new InvalidOperationException("The two indices disagree.");
        }

        _next = 0;
    }

    [GlobalCleanup]
    public void Cleanup() => _fixture.Dispose();

    [Benchmark(Baseline = true)]
    public long ImmutableDictionaryLookups()
    {
        var start = NextWindow();
        long sum = 0;
        for (var i = 0; i < SeenItems; i++)
        {
            sum += _immutable.TryGetValue(_ids[start + i], out var index) ? index : -1;
        }

        return sum;
    }

    [Benchmark]
    public long SnapshotLookups()
    {
        var start = NextWindow();
        var snapshot = _fixture.Snapshot;
        long sum = 0;
        for (var i = 0; i < SeenItems; i++)
        {
            sum += snapshot.IndexOf(_ids[start + i]);
        }

        return sum;
    }

    private int NextWindow()
    {
        var start = _next;
        _next = (_next + SeenItems) % (_ids.Length - SeenItems);
        return start;
    }
}
