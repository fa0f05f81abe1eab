using BenchmarkDotNet.Attributes;
using FuncRec.Core.Data;
using FuncRec.Core.Evaluation;
using FuncRec.Core.Features;
using FuncRec.Core.Training;

namespace FuncRec.Benchmarks.Micro;

/// <summary>
/// One online SGD step, <see cref="OnlineLearner.PredictThenLearn"/>, in a MovieLens-sized synthetic world
/// (943 users, 1,682 items, 100,000 explicit ratings) configured as <see cref="MovieLensQualityBenchmark.Prequential"/>
/// runs MovieLens: its <see cref="MovieLensQualityBenchmark.PrequentialOptions"/>, and the world's schema cut the way
/// <see cref="MovieLensQualityBenchmark.PrequentialSchema"/> cuts MovieLens's (ids, the newest recent items, item
/// categories; no demographics, no title words). Reported per event.
/// <para>
/// The learner defers a user's behaviour update while that user's events keep coming, so the cost per event
/// depends on how events interleave. The synthetic world draws a user per event (runs of about one event), the
/// worst case; MovieLens in time order comes in sessions (runs of 9.4 events on average, 69% of events in runs of
/// 16 or more). Both orders are measured: <see cref="EventOrder.UserSessions"/> regroups the same events by user
/// within windows of <see cref="SessionWindow"/> events, which gives runs of 11.8 events on average (55% of events in runs
/// of 16 or more).
/// </para>
/// </summary>
[MemoryDiagnoser]
public class OnlineLearnerBenchmarks
{
    private const int EventsPerInvocation = 1_000;
    private const int SessionWindow = 10_000;

    // Enough of the stream that every user and item has been seen and histories are filled before timing starts.
    private const int WarmUpEvents = 20_000;

    private OnlineLearner _learner = null!;
    private Interaction[] _stream = null!;
    private int _next;

    public enum EventOrder
    {
        /// <summary>As the world generates them: each event's user drawn afresh.</summary>
        Interleaved,

        /// <summary>Grouped by user within each window of events, keeping each user's own order.</summary>
        UserSessions,
    }

    [Params(EventOrder.Interleaved, EventOrder.UserSessions)]
    public EventOrder Order { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var world = SyntheticWorld.Generate(new SyntheticWorldOptions
        {
            Users = 943,
            Items = 1_682,
            Categories = 19,
            Events = 100_000,
            ExplicitRatings = true,
            Seed = 42,
        });
        var options = MovieLensQualityBenchmark.PrequentialOptions;
        var model = new RecommenderTrainer(options).Fit(PrequentialLikeSchema(), new TrainingData(world.Users, world.Items, []));
        _learner = new OnlineLearner(model, world.Users, world.Items, options);
        _stream = Order == EventOrder.UserSessions ? InSessions(world.Events) : world.Events;
        for (_next = 0; _next < WarmUpEvents; _next++)
        {
            _learner.PredictThenLearn(_stream[_next]);
        }
    }

    // OrderBy is stable: within a window each user's events keep their time order.
    private static Interaction[] InSessions(Interaction[] events)
        => events.Chunk(SessionWindow).SelectMany(window => window.OrderBy(e => e.User)).ToArray();

    /// <summary>The synthetic world's groups that have a counterpart in the prequential MovieLens schema, with its behaviour cap.</summary>
    private static FeatureSchema PrequentialLikeSchema()
    {
        var movieLens = MovieLensQualityBenchmark.PrequentialSchema;
        var behaviourCap = movieLens.UserGroups.Single(g => g.Kind == FeatureGroupKind.Behaviour).MaxValues;
        var hasDemographics = movieLens.UserGroups.Any(g => g.Kind is FeatureGroupKind.Categorical or FeatureGroupKind.Numeric);
        var hasText = movieLens.ItemGroups.Any(g => g.Kind == FeatureGroupKind.Text);
        var groups = SyntheticWorld.Schema(behaviourCap).Groups.Where(g =>
            (g.Side == FeatureSide.Item || hasDemographics || g.Kind is FeatureGroupKind.Id or FeatureGroupKind.Behaviour)
            && (hasText || g.Kind != FeatureGroupKind.Text));
        return new FeatureSchema(groups);
    }

    /// <summary>The events carry on through the stream and wrap around at its end: the model is always mid-stream, never reset.</summary>
    [Benchmark(OperationsPerInvoke = EventsPerInvocation)]
    public float PredictThenLearn()
    {
        var sum = 0f;
        for (var i = 0; i < EventsPerInvocation; i++)
        {
            sum += _learner.PredictThenLearn(_stream[_next]);
            _next = _next + 1 == _stream.Length ? 0 : _next + 1;
        }

        return sum;
    }
}
