using BenchmarkDotNet.Attributes;
using FuncRec.Core.Features;

namespace FuncRec.Benchmarks.Micro;

/// <summary>
/// Encoding a request user under the default schema with a fitted model (reading mode, no growth): the five
/// profile fields (segment ×2, country, age, gender, friends ×3) with <see cref="FeatureEncoder.EncodeProfile"/>,
/// 50 rated behaviour items with <see cref="FeatureEncoder.EncodeBehaviour"/>, and both, which is what a
/// recommendation request pays before scoring. The output buffer is reused, as a pooled request would.
/// </summary>
[MemoryDiagnoser]
public class FeatureEncoderBenchmarks
{
    private const int BehaviourItems = 50;

    private readonly FeatureVector _into = new(128);
    private FeatureEncoder _encoder = null!;
    private EntityProfile _user = null!;
    private string[] _behaviourIds = null!;
    private float[] _behaviourValues = null!;

    [GlobalSetup]
    public void Setup()
    {
        var recommender = new SyntheticRecommender(users: 500, items: 2_000, interactions: 8_000, rank: 32);
        _encoder = recommender.Model.Encoder;
        _user = recommender.Users[7];
        (_behaviourIds, _behaviourValues) = recommender.RandomBehaviour(BehaviourItems);
        if (_user.Fields.Count != 5)
        {
            throw new InvalidOperationException($"The benchmark user has {_user.Fields.Count} fields, not 5.");
        }
    }

    [Benchmark]
    public int EncodeProfile()
    {
        _into.Clear();
        _encoder.EncodeProfile(FeatureSide.User, _user, grow: false, _into);
        return _into.Count;
    }

    [Benchmark]
    public int EncodeBehaviour()
    {
        _into.Clear();
        _encoder.EncodeBehaviour(_behaviourIds, _behaviourValues, grow: false, _into);
        return _into.Count;
    }

    [Benchmark(Baseline = true)]
    public int EncodeRequestUser()
    {
        _into.Clear();
        _encoder.EncodeProfile(FeatureSide.User, _user, grow: false, _into);
        _encoder.EncodeBehaviour(_behaviourIds, _behaviourValues, grow: false, _into);
        return _into.Count;
    }
}
