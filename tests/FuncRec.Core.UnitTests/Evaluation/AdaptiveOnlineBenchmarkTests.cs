using FuncRec.Core.Drift;
using FuncRec.Core.Evaluation;
using FuncRec.Core.Model;

namespace FuncRec.Core.UnitTests.Evaluation;

/// <summary>
/// The drift detector and the adaptive rate as the service runs them for its default objective (ranking: BPR losses
/// of clicks), on synthetic streams. These seeds are not the ones <c>bench adaptive</c> reports, so they also check
/// that the ranking settings were not fitted to that benchmark's seeds alone. The counts rest on three worlds each,
/// so a change in floating-point summation (another vector width) could move one of them; the margins were chosen
/// with that in mind (the current settings had no false alarm in 30 tuning runs, the former ones in half).
/// </summary>
public sealed class AdaptiveOnlineBenchmarkTests(AdaptiveOnlineBenchmarkTests.RankingRuns runs) : IClassFixture<AdaptiveOnlineBenchmarkTests.RankingRuns>
{
    /// <summary>Each benchmark run trains models and replays 10,000 events per world, so the tests share them.</summary>
    public sealed class RankingRuns
    {
        // Streams of the benchmark's length (6,000 events to pre-train, the drift 4,000 later, 6,000 after it).
        public AdaptiveReport Current { get; } = new AdaptiveOnlineBenchmark().Run(runs: 3, loss: LossKind.Bpr, firstSeed: 7_000);

        /// <summary>δ 0.02 and λ 30: the ranking settings until BPR losses were measured in bench adaptive.</summary>
        public AdaptiveReport Former { get; } = new AdaptiveOnlineBenchmark().Run(runs: 3, loss: LossKind.Bpr, detector: new PageHinkleyOptions { Delta = 0.02, Threshold = 30 }, firstSeed: 7_000);
    }

    [Fact]
    public void The_ranking_detector_fires_soon_after_a_drift_and_never_on_a_stationary_stream()
    {
        var report = runs.Current;

        Assert.Equal("ranking", report.Objective);
        Assert.Equal(3, report.DriftDetectedRuns);
        Assert.Equal(0, report.FalseAlarmRuns);
        Assert.InRange(report.MeanDetectionDelay, 0, 1_000);
    }

    [Fact]
    public void The_former_ranking_settings_alarm_on_stationary_streams()
    {
        // They alarmed without a drift in 5 of 10 runs of bench adaptive, which is why the demo's detector fired
        // before its drift.
        Assert.True(runs.Former.FalseAlarmRuns > 0, "Expected the former settings to alarm on at least one stationary stream.");
    }

    [Fact]
    public void The_adaptive_rate_is_no_worse_than_the_best_fixed_rate_and_better_than_the_default_for_ranking()
    {
        var report = runs.Current;

        Assert.Equal("mean prequential BPR loss", report.ErrorMetric);
        Assert.True(report.AdaptiveError <= report.BestFixedError * 1.01, $"adaptive {report.AdaptiveError} against best fixed {report.BestFixedError}");
        Assert.True(report.AdaptiveError < report.DefaultFixedError, $"adaptive {report.AdaptiveError} against the default rate's {report.DefaultFixedError}");
    }

    [Fact]
    public void The_service_takes_its_settings_by_loss()
    {
        Assert.Same(DriftDefaults.Rating, DriftDefaults.For(LossKind.Squared));
        Assert.Same(DriftDefaults.Ranking, DriftDefaults.For(LossKind.Bpr));
        Assert.Same(DriftDefaults.Ranking, DriftDefaults.For(LossKind.Warp));
    }

    [Theory]
    [InlineData(LossKind.Warp, 1)]
    [InlineData(LossKind.Bpr, 0)]
    public void Other_losses_and_no_runs_are_refused(LossKind loss, int count)
        => Assert.Throws<ArgumentOutOfRangeException>(() => new AdaptiveOnlineBenchmark().Run(runs: count, loss: loss));
}
